package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/feedmill/feedmill/internal/config"
)

const healthcheckUsage = `Usage: feedmill healthcheck [--url URL]

Asks a running feedmill serve whether it is healthy: GET /healthz on the
address serve listens on, which is --url, else $FEEDMILL_LISTEN, else the
listen of the configuration ($FEEDMILL_CONFIG or feedmill.yaml) when it
can be read, else 127.0.0.1:8080. It is the container image's
HEALTHCHECK, which has no shell and no curl. Exit status: 0 when /healthz
answers 200, 1 otherwise.

Flags:
`

func healthcheckCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	url := fs.String("url", "", "the `URL` of /healthz (default: from the listen address)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), healthcheckUsage)
		fs.PrintDefaults()
	}
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *url == "" {
		*url = healthURL(listenAddress())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill healthcheck: %v\n", err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill healthcheck: %v\n", err)
		return exitFailed
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "feedmill healthcheck: %s: %s\n%s\n", *url, resp.Status, body)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s\n", body)
	return exitOK
}

// listenAddress is where feedmill serve listens when it has no --listen
// flag: the environment's, else the configuration's when it can be read,
// else the default.
func listenAddress() string {
	if v := os.Getenv(config.EnvListen); v != "" {
		return v
	}
	if cfg, err := config.Load(config.DefaultPath(os.LookupEnv)); err == nil {
		return cfg.Listen
	}
	return config.Default().Listen
}

// healthURL is the /healthz URL of a server listening on addr; a server
// on every address (":8080", "0.0.0.0:8080") is asked on loopback.
func healthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/healthz"
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
