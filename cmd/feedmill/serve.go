package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/daemon"
	"github.com/feedmill/feedmill/internal/fleet"
	"github.com/feedmill/feedmill/internal/store/backend"
)

const serveUsage = `Usage: feedmill serve [--config PATH] [--listen ADDR] [--log-format text|json] [--no-site] [--role fetch|publish|all] [--lease DURATION]

Runs feedmill as a daemon: fetches every source that is due at once, then
each again when its schedule says (interval, the feed's ttl, the server's
max-age and Retry-After, backoff after errors). On the listen address it
serves the news site from site.dir (built at start, again as sources
publish or retire posts, and after a reload), /admin (the
sources; fetch now and pause need admin_token), the image proxy at /img
with image_proxy: builtin, /healthz and /metrics. --no-site leaves the
site and the image proxy out. SIGINT or SIGTERM stops it cleanly;
SIGHUP reloads the configuration (an invalid one is logged and the
running one kept). Exit status: 0 after a clean stop, 2 for a bad
configuration or command line, 3 when the store, the output folder, the
admin token file or the listen address fails.

With a PostgreSQL store, serve is one process of a fleet (see the README's
"Several machines: PostgreSQL"): --role fetch claims due sources with a
lease and stores their items; --role publish waits for the publisher lock,
then writes the posts of the stored items and builds the site (one
publisher at a time; the others stand by); --role all does both. Every
role serves /healthz, /metrics and /admin (its actions too) with the
fleet's state, a publisher the site and /img as above; SIGHUP reloads.
With SQLite only --role all is possible.

Flags:
`

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("serve", serveUsage)
	listen := fs.String("listen", "", "`address` to listen on (default: listen from the configuration, else 127.0.0.1:8080)")
	logFormat := fs.String("log-format", "text", "log `format`: text for people, json for machines")
	noSite := fs.Bool("no-site", false, "only fetch: do not build or serve the news site (/admin, /healthz and /metrics stay)")
	role := fs.String("role", fleet.RoleAll, "what this process does with a PostgreSQL store: fetch, publish or all")
	lease := fs.Duration("lease", fleet.DefaultLease, "how long a fetcher holds a source it claimed and no longer fetches (PostgreSQL; 10s at least); a fetch in flight renews it, and a dead fetcher's sources are taken 10s after its last heartbeat")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if !fleet.ValidRole(*role) {
		fmt.Fprintf(stderr, "feedmill serve: --role %q: want fetch, publish or all\n", *role)
		return exitUsage
	}
	if *lease < time.Second {
		fmt.Fprintf(stderr, "feedmill serve: --lease %s: want 1s or more\n", *lease)
		return exitUsage
	}
	logger, err := newLogger(*logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill serve: %v\n", err)
		return exitUsage
	}
	// --listen wins over FEEDMILL_LISTEN: the variable is then not read
	// at all, so a value of it the flag replaces is no error.
	lookup := os.LookupEnv
	if *listen != "" {
		lookup = func(name string) (string, bool) {
			if name == config.EnvListen {
				return "", false
			}
			return os.LookupEnv(name)
		}
	}
	cfg, code := loadConfigEnv(ctx, *configPath, lookup, stderr)
	if code != exitOK {
		return code
	}
	tuneGC(buildMemoryLimit)
	addr := cfg.Listen
	if *listen != "" {
		if _, _, err := net.SplitHostPort(*listen); err != nil {
			fmt.Fprintf(stderr, "feedmill serve: --listen %q is not an address such as 127.0.0.1:8080 or :8080\n", *listen)
			return exitUsage
		}
		addr = *listen
	}
	if !cfg.StorePostgres() && *role != fleet.RoleAll {
		fmt.Fprintf(stderr, "feedmill serve: --role %s needs a PostgreSQL store (store: postgres://…); with SQLite one process does it all\n", *role)
		return exitUsage
	}
	if cfg.StorePostgres() {
		return serveFleet(ctx, cfg, addr, lookup, fleet.Options{Role: *role, Lease: *lease, NoSite: *noSite, Logger: logger, Version: buildVersion()}, stdout, stderr)
	}
	release, err := backend.Lock(ctx, cfg.StoreDSN(), lockWait)
	if err != nil {
		logger.Error("store", "error", err)
		return exitProblem
	}
	defer release()
	st, err := backend.Open(ctx, cfg.StoreDSN())
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

	// Once, as a line of its own: terminals make it a link to click.
	if *noSite {
		fmt.Fprintf(stdout, "feedmill: serving %sadmin\n", siteURL(ln.Addr().String(), ""))
	} else {
		fmt.Fprintf(stdout, "feedmill: serving the site on %s (sources on %sadmin)\n", siteURL(ln.Addr().String(), cfg.Site.BaseURL), siteURL(ln.Addr().String(), ""))
	}

	load := func(path string) (config.Config, error) {
		cfg, err := config.LoadEnv(path, lookup)
		if err != nil {
			return cfg, err
		}
		_, err = nameSources(ctx, &cfg, st, stderr)
		return cfg, err
	}
	d := daemon.New(daemon.Options{Config: cfg, Listen: *listen, Store: st, Logger: logger, Version: buildVersion(), NoSite: *noSite, Load: load})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				_ = d.Reload() // Reload logs its failure and keeps the running configuration
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := d.Run(ctx, ln); err != nil {
		logger.Error("feedmill serve stopped", "error", err)
		return exitProblem
	}
	return exitOK
}

// newLogger returns a logger writing to w in the given format.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// siteURL is the URL a browser on this machine opens to reach a server
// listening on addr: an address on every interface (":8080", "0.0.0.0")
// is reached on 127.0.0.1. The path is base_url's, as the site is served
// under it.
func siteURL(addr, baseURL string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	path := "/"
	if u, err := url.Parse(baseURL); err == nil && baseURL != "" {
		path = "/" + strings.Trim(u.Path, "/") + "/"
		path = strings.ReplaceAll(path, "//", "/")
	}
	return "http://" + net.JoinHostPort(host, port) + path
}
