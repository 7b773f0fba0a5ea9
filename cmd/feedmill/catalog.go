package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/feedmill/feedmill/internal/catalog"
	"github.com/feedmill/feedmill/internal/config"
)

// errNoCatalog is a configuration that names no catalog: neither rsshub
// (whose /api/namespace is one) nor catalog.
var errNoCatalog = errors.New("no route catalog: set rsshub (its /api/namespace is the catalog) or catalog: (a URL, a file, or the rsshub npm package's folder)")

// openCatalog loads the configuration's route catalog, through the cache
// when one is given, and warns on stderr when it had to fall back to an
// old cached copy.
func openCatalog(ctx context.Context, cfg config.Config, cache catalog.Settings, refresh bool, stderr io.Writer) (*catalog.Catalog, catalog.Info, error) {
	loc := cfg.CatalogLocation()
	if loc == "" {
		return nil, catalog.Info{}, errNoCatalog
	}
	cat, info, err := catalog.Load(ctx, catalog.Options{
		Location:  loc,
		Key:       cfg.RSSHubKey,
		UserAgent: cfg.UserAgent,
		Client:    &http.Client{Timeout: max(cfg.Timeout.Std(), 30*time.Second)},
		Cache:     cache,
		Refresh:   refresh,
	})
	if err != nil {
		return nil, info, err
	}
	if info.Stale != nil {
		fmt.Fprintf(stderr, "feedmill: catalog: %v; using the copy cached %s\n", info.Stale, info.FetchedAt.Local().Format("2006-01-02 15:04"))
	}
	return cat, info, nil
}

// catalogStatus is the exit status for a catalog that could not be
// loaded: 3 when it could not be reached (try again later), 2 when the
// configuration must change (a refused key, a file that is no catalog).
func catalogStatus(err error) int {
	var ue *catalog.UnreachableError
	if errors.As(err, &ue) {
		return exitProblem
	}
	return exitUsage
}

// nameSources gives the sources that leave their names to the catalog
// their group, source and channel, from the catalog cached in st.
func nameSources(ctx context.Context, cfg *config.Config, st catalog.Settings, stderr io.Writer) (int, error) {
	if !cfg.NeedsCatalog() {
		return exitOK, nil
	}
	cat, _, err := openCatalog(ctx, *cfg, st, false, stderr)
	if err != nil {
		return catalogStatus(err), fmt.Errorf("catalog: %w (needed for the sources given by route alone)", err)
	}
	if err := cfg.FillNames(cat.Names); err != nil {
		return exitUsage, fmt.Errorf("config: %w", err)
	}
	return exitOK, nil
}
