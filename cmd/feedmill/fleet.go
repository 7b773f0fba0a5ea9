package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/fleet"
	"github.com/feedmill/feedmill/internal/server"
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
// SIGHUP reloads the configuration.
func serveFleet(ctx context.Context, cfg config.Config, addr string, lookup func(string) (string, bool), opts fleet.Options, stdout, stderr io.Writer) int {
	logger := opts.Logger
	opts.Owner = fleet.DefaultOwner()
	st, err := postgres.Open(ctx, withApplicationName(cfg.StoreDSN(), opts.Owner))
	if err != nil {
		logger.Error("store", "error", err)
		return exitProblem
	}
	defer st.Close()
	opts.Config, opts.Store = cfg, st
	p := fleet.New(opts)
	load := func(path string) (config.Config, error) {
		cfg, err := config.LoadEnv(path, lookup)
		if err != nil {
			return cfg, err
		}
		_, err = nameSources(ctx, &cfg, st, stderr)
		return cfg, err
	}
	h, err := p.Handler(ctx)
	if err != nil {
		logger.Error("serve", "error", err)
		return exitProblem
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("listen", "error", err)
		return exitProblem
	}
	// Once, as a line of its own: terminals make it a link to click.
	if opts.Role == fleet.RoleFetch || opts.NoSite {
		fmt.Fprintf(stdout, "feedmill: %s, serving %sadmin\n", opts.Role, siteURL(ln.Addr().String(), ""))
	} else {
		fmt.Fprintf(stdout, "feedmill: %s, serving the site on %s (sources and the fleet on %sadmin)\n", opts.Role, siteURL(ln.Addr().String(), cfg.Site.BaseURL), siteURL(ln.Addr().String(), ""))
	}
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- server.Serve(serveCtx, ln, h, logger) }()
	logger.Info("fleet process started", "role", opts.Role, "owner", opts.Owner, "listen", ln.Addr().String())

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				reloadFleet(ctx, p, cfg.File, load, logger)
			case <-ctx.Done():
				return
			}
		}
	}()
	err = p.Run(ctx)
	stopServing()
	if serr := <-served; serr != nil {
		logger.Error("serve", "error", serr)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("feedmill serve stopped", "error", err)
		return exitProblem
	}
	return exitOK
}

// reloadFleet reads the configuration file again and gives it to p; an
// invalid one is logged and the running one kept.
func reloadFleet(ctx context.Context, p *fleet.Process, path string, load func(path string) (config.Config, error), logger *slog.Logger) {
	cfg, err := load(path)
	if err == nil {
		err = p.Reload(ctx, cfg)
	}
	if err != nil {
		logger.Error("config reload failed; keeping the running configuration", "config", path, "error", err)
		return
	}
	logger.Info("config reloaded", "config", path, "sources", len(cfg.Sources))
}
