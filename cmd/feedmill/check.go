package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/feedmill/feedmill/internal/catalog"
	"github.com/feedmill/feedmill/internal/config"
)

const checkUsage = `Usage: feedmill check [--config PATH] [--refresh]

Checks the configuration without fetching a feed: every setting, and every
RSSHub route against RSSHub's catalog (cached in the store for a day;
--refresh reads it again). A route not in the catalog is named with the
closest routes; a route whose parameters are left as placeholders
(/guancha/topic/:id) says so; routes that need configuration on the
instance, a browser, or are anti-crawler are noted. Exit status: 0 when
all is well, 2 when something must change, 3 when the catalog could not
be read.

Flags:
`

func checkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("check", checkUsage)
	refresh := fs.Bool("refresh", false, "read the catalog again even when the cached copy is less than a day old")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "feedmill: config: %s\n", line)
		}
		return exitUsage
	}
	routes := 0
	for _, s := range cfg.Sources {
		if strings.HasPrefix(strings.TrimSpace(s.URL), "/") && s.Page == "" {
			routes++
		}
	}
	if routes == 0 {
		fmt.Fprintf(stdout, "%s: ok, %d sources, no RSSHub routes to check\n", *configPath, len(cfg.Sources))
		return exitOK
	}
	st, ok := openStore(ctx, cfg, stderr)
	if !ok {
		return exitProblem
	}
	defer st.Close()
	cat, info, err := openCatalog(ctx, cfg, st, *refresh, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: catalog: %v\n", err)
		return catalogStatus(err)
	}
	errs := cfg.CheckRoutes(func(route string) error {
		m, ok := cat.Lookup(route)
		if !ok {
			_, _, _, err := cat.Names(route) // names the closest routes
			return err
		}
		if len(m.Missing) > 0 {
			_, _, _, err := cat.Names(route)
			return err
		}
		if flags := m.Flags(); len(flags) > 0 {
			fmt.Fprintf(stdout, "note: %s (%s/%s/%s) is marked %s in RSSHub's catalog: %s\n", route, m.Group, m.Source, m.Channel, strings.Join(flags, ", "), flagAdvice(m.Route))
		}
		return nil
	})
	if len(errs) == 0 {
		if err := cfg.FillNames(cat.Names); err != nil {
			errs = append(errs, err)
		}
	}
	for _, err := range errs {
		fmt.Fprintf(stderr, "feedmill: config: %v\n", err)
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "%d of %d routes need a change (catalog from %s)\n", len(errs), routes, info.From)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: ok, %d sources, %d routes in RSSHub's catalog (from %s, read %s)\n", *configPath, len(cfg.Sources), routes, info.From, info.FetchedAt.Local().Format("2006-01-02 15:04"))
	return exitOK
}

// flagAdvice says what a route's features ask of the user.
func flagAdvice(r catalog.Route) string {
	var parts []string
	if r.RequireConfig {
		parts = append(parts, "the instance needs keys or cookies set for it (see its docs page)")
	}
	if r.RequirePuppeteer {
		parts = append(parts, "the instance needs Puppeteer (a browser)")
	}
	if r.AntiCrawler {
		parts = append(parts, "the site often blocks RSSHub; expect failures")
	}
	return strings.Join(parts, "; ")
}
