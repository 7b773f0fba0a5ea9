package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strings"

	"github.com/feedmill/feedmill/internal/catalog"
	"github.com/feedmill/feedmill/internal/config"
)

const routesUsage = `Usage: feedmill routes [--config PATH] [--rsshub URL | --catalog URL|FILE] [--json] [--refresh] [QUERY]

Lists the routes of RSSHub's catalog that match QUERY (every word must
match the namespace id, the source or channel name in any language, the
group, a category id or the path), one a line: group, source, channel, the
route's example path, and what it needs (config: keys or cookies on the
instance; browser: Puppeteer; anti-crawler: often blocked). A route whose
path has parameters shows its pattern: give the parameters in the path you
put in sources:.

The catalog is the configuration's catalog: (or <rsshub>/api/namespace),
cached in the store for a day; --rsshub or --catalog read another one
without a configuration. --refresh reads it again now.

Flags:
`

// routeJSON is a route as feedmill routes --json writes it.
type routeJSON struct {
	Group            string   `json:"group"`
	Source           string   `json:"source"`
	Channel          string   `json:"channel"`
	Namespace        string   `json:"namespace"`
	Path             string   `json:"path"`
	Paths            []string `json:"paths,omitempty"`
	Example          string   `json:"example,omitempty"`
	Parameters       []string `json:"parameters,omitempty"`
	Categories       []string `json:"categories,omitempty"`
	RequireConfig    bool     `json:"require_config"`
	RequirePuppeteer bool     `json:"require_puppeteer"`
	AntiCrawler      bool     `json:"anti_crawler"`
}

func routesCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("routes", routesUsage)
	asJSON := fs.Bool("json", false, "write the routes as a JSON array, for scripts")
	refresh := fs.Bool("refresh", false, "read the catalog again even when the cached copy is less than a day old")
	rsshub := fs.String("rsshub", "", "read the catalog of this RSSHub instance (its /api/namespace) instead of the configuration's")
	catalogLoc := fs.String("catalog", "", "read this catalog (URL, JSON file, or rsshub npm package folder) instead of the configuration's")
	words, flagArgs := splitArgs(args, "config", "rsshub", "catalog")
	query := strings.Join(words, " ")
	if ok, code := parseFlags(fs, flagArgs, stdout, stderr); !ok {
		return code
	}
	cat, info, code := routesCatalog(ctx, fs, *configPath, *rsshub, *catalogLoc, *refresh, stderr)
	if code != exitOK {
		return code
	}
	routes := cat.Search(query)
	// A line per route, thousands of them: one write, not one a line.
	buf := bufio.NewWriterSize(stdout, 64<<10)
	defer buf.Flush()
	stdout = buf
	if *asJSON {
		out := make([]routeJSON, 0, len(routes))
		for _, r := range routes {
			out = append(out, routeJSON{Group: r.Group, Source: r.Source, Channel: r.Channel, Namespace: r.Namespace,
				Path: r.Path, Paths: r.Paths, Example: r.Example, Parameters: r.Params, Categories: r.Categories,
				RequireConfig: r.RequireConfig, RequirePuppeteer: r.RequirePuppeteer, AntiCrawler: r.AntiCrawler})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return exitProblem
		}
		return exitOK
	}
	if len(routes) > 0 {
		table := [][]string{{"GROUP", "SOURCE", "CHANNEL", "ROUTE", "NOTES"}}
		for _, r := range routes {
			route := r.Example
			if route == "" {
				route = r.Path
			}
			notes := r.Flags()
			if len(r.Params) > 0 {
				notes = append(notes, "path "+r.Path)
			}
			table = append(table, []string{r.Group, r.Source, r.Channel, route, strings.Join(notes, ", ")})
		}
		writeTable(stdout, table)
	}
	when := info.FetchedAt.Local().Format("2006-01-02 15:04")
	fmt.Fprintf(stderr, "%d of %d routes match; catalog from %s (read %s)\n", len(routes), len(cat.Routes), info.From, when)
	return exitOK
}

// routesCatalog loads the catalog that feedmill routes lists: the one
// --rsshub or --catalog names, else the configuration's, through its
// store's cache.
func routesCatalog(ctx context.Context, fs *flag.FlagSet, configPath, rsshub, loc string, refresh bool, stderr io.Writer) (*catalog.Catalog, catalog.Info, int) {
	cfg := config.Default()
	withConfig := rsshub == "" && loc == ""
	if withConfig {
		var err error
		cfg, err = config.Load(configPath)
		if err != nil {
			if _, statErr := os.Stat(configPath); errors.Is(statErr, iofs.ErrNotExist) && !flagSet(fs, "config") {
				fmt.Fprintf(stderr, "feedmill routes: no %s here: give --rsshub https://your.rsshub.instance (or --catalog FILE), or run feedmill init\n", configPath)
				return nil, catalog.Info{}, exitUsage
			}
			fmt.Fprintf(stderr, "feedmill: config: %v\n", err)
			return nil, catalog.Info{}, exitUsage
		}
	} else {
		cfg.RSSHub = strings.TrimSpace(rsshub)
		cfg.Catalog = strings.TrimSpace(loc)
		cfg.File = "."
		if cfg.RSSHub != "" && !strings.HasPrefix(cfg.RSSHub, "http://") && !strings.HasPrefix(cfg.RSSHub, "https://") {
			fmt.Fprintf(stderr, "feedmill routes: --rsshub %q is not an http(s) URL\n", rsshub)
			return nil, catalog.Info{}, exitUsage
		}
	}
	var cache catalog.Settings
	if withConfig {
		st, ok := openStore(ctx, cfg, stderr)
		if !ok {
			return nil, catalog.Info{}, exitProblem
		}
		defer st.Close()
		cache = st
	}
	cat, info, err := openCatalog(ctx, cfg, cache, refresh, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: catalog: %v\n", err)
		return nil, info, catalogStatus(err)
	}
	return cat, info, exitOK
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
