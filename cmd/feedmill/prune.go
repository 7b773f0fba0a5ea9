package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/feedmill/feedmill/internal/refresh"
)

const pruneUsage = `Usage: feedmill prune [--config PATH] [--yes]

Lists the post files of the sources no longer in the configuration that
feedmill wrote and nobody changed since, and with --yes removes them (and
the folders they leave empty). A removed source leaves the news site at
the next build by itself; its Hexo post files stay until you prune them.
Files edited since feedmill wrote them, and files it did not write (such
as the old system's posts it adopted), are listed as left and never
removed. A renamed source (same url, new names) is not removed: its row
and posts follow the new names.

Flags:
`

func pruneCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("prune", pruneUsage)
	yes := fs.Bool("yes", false, "remove the files; without it, only list them")
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
	sources := cfg.FeedSources()
	// A renamed source is not a removed one.
	if _, err := refresh.AdoptRenamed(ctx, st, sources); err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return exitProblem
	}
	runner := refresh.FromConfig(cfg, st, slog.New(slog.NewTextHandler(stderr, nil)))
	pruned, err := runner.Prune(ctx, sources, *yes)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: %v\n", err)
		return exitProblem
	}
	removed, left := 0, 0
	verb := "to remove"
	if *yes {
		verb = "removed"
	}
	for _, p := range pruned {
		removed += len(p.Removed)
		left += len(p.Left)
		fmt.Fprintf(stdout, "%s (no longer configured): %d post %s %s, %d left\n", p.Key, len(p.Removed), plural(len(p.Removed), "file", "files"), verb, len(p.Left))
		for _, path := range p.Removed {
			fmt.Fprintf(stdout, "  %s %s\n", map[bool]string{true: "removed", false: "remove"}[*yes], path)
		}
		for _, path := range p.Left {
			fmt.Fprintf(stdout, "  keep   %s (edited, or not written by feedmill)\n", path)
		}
	}
	switch {
	case len(pruned) == 0:
		fmt.Fprintln(stdout, "no post files of removed sources: nothing to prune")
	case *yes:
		fmt.Fprintf(stdout, "%d post %s removed, %d left\n", removed, plural(removed, "file", "files"), left)
	case removed > 0:
		fmt.Fprintf(stdout, "nothing removed yet: run 'feedmill prune --yes' to remove these %d %s\n", removed, plural(removed, "file", "files"))
	default:
		fmt.Fprintln(stdout, "nothing to remove: every file left was edited or not written by feedmill")
	}
	return exitOK
}
