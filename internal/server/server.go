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

// Limits of the HTTP server: a client may not hold a connection open by
// sending or reading slowly, nor send a large body; an idle keep-alive
// connection is closed.
type limits struct {
	readHeader time.Duration // the request line and headers
	read       time.Duration // the whole request, body included
	write      time.Duration // the response; the image proxy sets its own
	idle       time.Duration
	body       int64 // bytes of a request body
}

var defaultLimits = limits{
	readHeader: 10 * time.Second,
	read:       30 * time.Second,
	write:      2 * time.Minute,
	idle:       2 * time.Minute,
	body:       MaxBodyBytes,
}

// MaxBodyBytes bounds a request body: feedmill takes only small forms
// (/admin's actions), and a larger body is refused with 413.
const MaxBodyBytes = 1 << 20

// ShutdownTimeout is how long Serve lets requests in flight finish once
// ctx ends.
const ShutdownTimeout = 10 * time.Second

// Serve answers requests on ln with h until ctx ends, then lets requests
// in flight finish (for up to ShutdownTimeout) and returns nil. It returns
// an error when serving fails. A request must arrive whole within 30 s
// (its headers within 10 s) with a body of at most MaxBodyBytes, and its
// response be taken within 2 minutes.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	return serve(ctx, ln, h, logger, defaultLimits)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, lim limits) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           boundBody(h, lim.body),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
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

// boundBody refuses a body announced larger than n with 413 and stops
// reading one that turns out larger, whatever the handler does with it.
func boundBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			w.Header().Set("Connection", "close")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}
