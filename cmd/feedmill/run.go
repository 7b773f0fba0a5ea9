package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

const runUsage = `Usage: feedmill run [--config PATH] [--republish]

Fetches every source once and writes each item not published before as a
post. Prints a line per source and a summary. Exit status: 0 when every
source succeeded, 1 when any failed (the others are still published), 2 for
a bad configuration or command line.

Flags:
`

// loadConfig reads the configuration named by --config, printing the
// error the user must fix.
func loadConfig(path string, stderr io.Writer) (config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: config: %v\n", err)
		return cfg, false
	}
	return cfg, true
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	configPath := fs.String("config", config.DefaultFile, "configuration `file`")
	republish := fs.Bool("republish", false, "rewrite the post of every known item (after a template change) instead of fetching")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	cfg, ok := loadConfig(*configPath, stderr)
	if !ok {
		return exitUsage
	}
	st, err := sqlite.Open(ctx, cfg.Path(cfg.Store))
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return exitProblem
	}
	defer st.Close()

	runner := &refresh.Runner{
		Fetch:       fetch.New(fetch.Options{Timeout: cfg.Timeout.Std(), MaxBytes: cfg.MaxBytes, UserAgent: cfg.UserAgent}),
		Store:       st,
		OutDir:      cfg.Path(cfg.Output.Dir),
		Location:    cfg.Location(),
		Concurrency: cfg.Concurrency,
		Logger:      slog.New(slog.NewTextHandler(stderr, nil)),
	}
	sources := cfg.FeedSources()
	width := 0
	for _, s := range sources {
		width = max(width, displayWidth(s.Key()))
	}
	var mu sync.Mutex
	report := func(r refresh.Result) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(stdout, resultLine(r, width))
	}
	var results []refresh.Result
	if *republish {
		results, err = runner.Republish(ctx, sources, report)
	} else {
		results, err = runner.Run(ctx, sources, report)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "feedmill: interrupted; posts written so far are complete and recorded")
		} else {
			fmt.Fprintf(stderr, "feedmill: %v\n", err)
		}
		return exitProblem
	}
	failed, posts, items := 0, 0, 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
		posts += r.Posts
		items += r.Items
	}
	verb := "new posts"
	if *republish {
		verb = "posts rewritten"
	}
	fmt.Fprintf(stdout, "%d sources, %d ok, %d failed; %d items seen, %d %s in %s\n",
		len(results), len(results)-failed, failed, items, posts, verb, runner.OutDir)
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

func resultLine(r refresh.Result, width int) string {
	key := r.Source.Key()
	pad := strings.Repeat(" ", max(0, width-displayWidth(key)))
	switch {
	case r.Err != nil:
		return fmt.Sprintf("FAIL %s%s  %v", key, pad, r.Err)
	case r.Paused:
		return fmt.Sprintf("ok   %s%s  paused (resume it on the admin page)", key, pad)
	case r.NotModified:
		return fmt.Sprintf("ok   %s%s  not modified, %d new posts", key, pad, r.Posts)
	default:
		return fmt.Sprintf("ok   %s%s  %d new posts, %d items seen", key, pad, r.Posts, r.Items)
	}
}

// displayWidth counts East Asian wide characters as two columns, so that
// the per-source lines line up in a terminal.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6) || r >= 0x20000) {
			w += 2
		} else {
			w++
		}
	}
	return w
}
