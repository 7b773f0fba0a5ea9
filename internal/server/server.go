// Package server is feedmill's HTTP side: one http.ServeMux that answers
// /healthz and /metrics itself and carries whatever other packages mount
// on it (the news site at "/", the admin under "/admin/").
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the handler New builds.
type Options struct {
	// Health reports the daemon's state for /healthz as a JSON object;
	// an error answers 503 with the error in it. nil answers a bare ok.
	Health func(ctx context.Context) (map[string]any, error)
	// Metrics is what /metrics exposes; nil leaves /metrics out. Give it
	// a registry of its own, never prometheus.DefaultGatherer, so that
	// two daemons in one process (as in tests) do not share counters.
	Metrics prometheus.Gatherer
	Logger  *slog.Logger
}

// Mount is a handler another package adds to the server.
type Mount struct {
	// Pattern is an http.ServeMux pattern such as "/" or "/admin/".
	// "GET /healthz" and "GET /metrics" are taken; a more general pattern
	// such as "/" does not shadow them. Mind that ServeMux refuses two
	// patterns where neither is more specific: "GET /" next to "/admin/"
	// panics, "/" next to "/admin/" (or "GET /" next to "GET /admin/")
	// does not.
	Pattern string
	Handler http.Handler
}

// New returns the server's mux with /healthz, /metrics and the mounts.
// Like http.ServeMux.Handle, it panics on a pattern that is invalid or
// conflicts with another: mounts are fixed in code, not configured.
func New(opts Options, mounts ...Mount) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		status, body := http.StatusOK, map[string]any{}
		if opts.Health != nil {
			b, err := opts.Health(r.Context())
			if b != nil {
				body = b
			}
			if err != nil {
				status = http.StatusServiceUnavailable
				body["error"] = err.Error()
			}
		}
		body["status"] = "ok"
		if status != http.StatusOK {
			body["status"] = "error"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body) // a failed write is the client gone
	})
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Metrics, promhttp.HandlerOpts{
			ErrorLog: slogPrinter{opts.logger()},
		}))
	}
	for _, m := range mounts {
		mux.Handle(m.Pattern, m.Handler)
	}
	return mux
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// slogPrinter lets promhttp report gathering errors through slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Error("metrics", "error", v) }

// Timeouts of the HTTP server: a client may not hold a connection open
// by sending slowly, and an idle keep-alive connection is closed.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// ShutdownTimeout is how long Serve lets requests in flight finish
	// once ctx ends.
	ShutdownTimeout = 10 * time.Second
)

// Serve answers requests on ln with h until ctx ends, then lets requests
// in flight finish (for up to ShutdownTimeout) and returns nil. It returns
// an error when serving fails.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
