package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/site"
)

const buildUsage = `Usage: feedmill build [--config PATH] [--full]

Renders the news site from the store into site.dir (default: public/ beside
the configuration file): home, categories, posts, archives, feeds, sitemap,
OPML and search. Only the pages that changed since the last build are
written. Prints how many pages it wrote and how long it took.

Flags:
`

func buildCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("build", buildUsage)
	full := fs.Bool("full", false, "render every page again instead of only the changed ones")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	cfg, code := loadConfig(ctx, *configPath, stderr)
	if code != exitOK {
		return code
	}
	st, closeStore, ok := openLocked(ctx, cfg, stderr)
	if !ok {
		return exitProblem
	}
	defer closeStore()
	// A source renamed since the last run shows under its new names.
	if _, err := refresh.AdoptRenamed(ctx, st, cfg.FeedSources()); err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return exitProblem
	}
	scfg, err := site.FromConfig(ctx, cfg, st)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: %v\n", err)
		return exitProblem
	}
	limitMemory(buildMemoryLimit)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stats, err := site.Build(ctx, st, scfg, site.Options{Full: *full, Logger: logger})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "feedmill: interrupted; pages written so far are complete, the next build finishes the rest")
		} else {
			fmt.Fprintf(stderr, "feedmill: %v\n", err)
		}
		return exitProblem
	}
	fmt.Fprintln(stdout, buildLine(stats, scfg.Dir))
	// Links start at the site's root, so the pages work from a web
	// server, not opened from the disk: say how to look at them.
	fmt.Fprintf(stdout, "to view it: feedmill serve --config %s, then open %s (opened from the disk, the pages have no style and their links go nowhere)\n",
		*configPath, siteURL(cfg.Listen, cfg.Site.BaseURL))
	return exitOK
}

// limitMemory sets the soft memory limit limit unless GOMEMLIMIT sets one.
func limitMemory(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

// buildMemoryLimit is the soft memory limit feedmill build gives the Go
// runtime unless GOMEMLIMIT sets one: a build of a large site then
// collects garbage more often instead of letting its heap grow to twice
// what it holds (100,000 posts stay under 300 MB). It is soft: a site that
// needs more still builds, with more time spent collecting.
const buildMemoryLimit = 224 << 20

// buildLine is the one-line summary of a site build.
func buildLine(s site.Stats, dir string) string {
	return fmt.Sprintf("site: %d of %d pages written (%d rendered, %d removed), %d posts, in %s -> %s",
		s.PagesWritten, s.PagesTotal, s.PagesRendered, s.PagesRemoved, s.Posts, s.Duration.Round(time.Millisecond), dir)
}
