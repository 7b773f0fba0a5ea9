package main

import (
	"context"
	"fmt"
	"io"

	"github.com/feedmill/feedmill/internal/opml"
)

const exportUsage = `Usage: feedmill export --opml [--config PATH] [-o FILE] [--force]

Writes the configured sources as OPML 2.0 (group → source → channel
outlines), to stdout or to FILE (written whole, never over an existing
file without --force). URLs are absolute and carry no credentials: user
info and key-like query parameters (an RSSHub access key) are removed, and
local file: sources are left out.

Flags:
`

func exportCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("export", exportUsage)
	asOPML := fs.Bool("opml", false, "write OPML (the only format so far)")
	out := fs.String("o", "", "write to this `file` instead of stdout")
	force := fs.Bool("force", false, "replace the file when it exists")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if !*asOPML {
		fmt.Fprintln(stderr, "feedmill export: say which format: --opml")
		return exitUsage
	}
	cfg, code := loadConfig(ctx, *configPath, stderr)
	if code != exitOK {
		return code
	}
	var feeds []opml.Feed
	for _, s := range cfg.FeedSources() {
		feeds = append(feeds, opml.Feed{Group: s.Group, Source: s.Name, Channel: s.Channel, URL: s.URL})
	}
	data, err := opml.Build(cfg.Site.Title, feeds).Marshal()
	if err != nil {
		fmt.Fprintf(stderr, "feedmill export: %v\n", err)
		return exitProblem
	}
	if *out == "" {
		if _, err := stdout.Write(data); err != nil {
			return exitProblem
		}
		return exitOK
	}
	if err := writeNew(*out, data, *force); err != nil {
		fmt.Fprintf(stderr, "feedmill export: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "wrote %s: %d feeds\n", *out, len(feeds))
	return exitOK
}
