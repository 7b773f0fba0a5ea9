package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/fleet"
	"github.com/feedmill/feedmill/internal/store/postgres"
)

// withApplicationName names the process's connections, so that the
// fleet's views can tell which process holds the publisher lock.
func withApplicationName(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// serveFleet runs feedmill serve as a process of a fleet over PostgreSQL.
func serveFleet(ctx context.Context, cfg config.Config, addr string, opts fleet.Options) int {
	logger := opts.Logger
	opts.Owner = fleet.DefaultOwner()
	st, err := postgres.Open(ctx, withApplicationName(cfg.StoreDSN(), opts.Owner))
	if err != nil {
		logger.Error("store", "error", err)
		return exitProblem
	}
	defer st.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("listen", "error", err)
		return exitProblem
	}
	opts.Config, opts.Store = cfg, st
	p := fleet.New(opts)
	var site http.Handler
	if opts.Role != fleet.RoleFetch && !opts.NoSite {
		site = http.FileServer(http.Dir(cfg.SiteDir()))
	}
	srv := &http.Server{Handler: p.Handler(site), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Info("fleet process started", "role", opts.Role, "owner", opts.Owner, "listen", ln.Addr().String())
	err = p.Run(ctx)
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("feedmill serve stopped", "error", err)
		return exitProblem
	}
	return exitOK
}
