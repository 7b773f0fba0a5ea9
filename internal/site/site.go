// Package site renders the news site from the store: a home page, a page
// per group, source and channel of the taxonomy, a page per post, date
// archives, feeds (RSS 2.0, Atom, JSON Feed) of the whole site and of
// every category, a sitemap, an OPML file of the sources and a static
// search index. Templates are html/template files embedded in the binary;
// a folder of the user's replaces any of them, and any asset, by name.
//
// Builds are incremental. Every output page has a fingerprint: a hash of
// everything its bytes depend on (the items it shows, its place in its
// list, the templates and the settings). A manifest beside the pages keeps
// the fingerprints of the last build; a page whose fingerprint did not
// change is neither rendered nor written. A full build, which renders
// every page, writes only those whose bytes differ from the disk. Lists are paginated from
// their oldest item, so a new item changes the top page of each list it
// lands on and leaves the archived pages alone.
package site

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/store"
)

// Config says what site to build and where.
type Config struct {
	// Dir is the folder the site is written to. It is ignored when Memory
	// is set.
	Dir string
	// Memory, when not nil, receives the site instead of Dir: feedmill
	// serve can keep the whole site in memory.
	Memory *Memory
	// Title and Description name the site.
	Title       string
	Description string
	// BaseURL is the absolute URL the site is published at. Feeds and the
	// sitemap need it for absolute links; its path prefixes every link.
	// "" serves the site from "/" with path-only links.
	BaseURL string
	// Templates is a folder whose files replace the built-in templates
	// and assets of the same name; "" uses the built-in ones.
	Templates string
	// PerPage is how many posts a list page shows (default 20).
	PerPage int
	// FeedItems is how many posts a feed carries (default 20).
	FeedItems int
	// Location is the zone dates are shown in and archives cut by
	// (default UTC).
	Location *time.Location
	// Content are the options of content.Process, as feedmill run uses
	// them for posts.
	Content content.Options
	// ImageProxy, when not nil, routes every http(s) image through the
	// builtin proxy at <root>img with URLs it signs.
	ImageProxy *imgproxy.Signer
	// Sources are the configured sources' keys (group/source/channel):
	// the site shows these and their items only, so a source removed from
	// the configuration leaves every page, feed, the search index and
	// sources.opml at the next build. nil shows every source of the store.
	Sources []string
}

// Options change how one build runs.
type Options struct {
	// Full ignores the manifest: every page is rendered again (and still
	// written only when its bytes changed).
	Full bool
	// Workers bounds the goroutines that render and write (default
	// GOMAXPROCS).
	Workers int
	Logger  *slog.Logger
	// OnWrite, when not nil, is called with the path of every page
	// written, from the goroutine that wrote it.
	OnWrite func(rel string)
}

// Stats say what a build did.
type Stats struct {
	// PagesTotal is how many files the site has; PagesRendered how many
	// of them this build rendered, and PagesWritten how many it wrote
	// (a full build writes only the pages whose bytes changed).
	PagesTotal    int
	PagesRendered int
	PagesWritten  int
	// PagesRemoved counts files of an earlier build that the site no
	// longer has (posts removed from the store).
	PagesRemoved int
	// Posts is how many posts the site has.
	Posts    int
	Duration time.Duration
}

func (c Config) withDefaults() Config {
	if c.PerPage <= 0 {
		c.PerPage = 20
	}
	if c.FeedItems <= 0 {
		c.FeedItems = 20
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Title == "" {
		c.Title = "feedmill"
	}
	return c
}

// root is the path every link starts with: the base URL's path, ending in
// a slash.
func (c Config) root() string {
	if c.BaseURL == "" {
		return "/"
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	return strings.TrimSuffix(u.EscapedPath(), "/") + "/"
}

// origin is the scheme and host of the base URL, "" when none is set.
func (c Config) origin() string {
	u, err := url.Parse(c.BaseURL)
	if c.BaseURL == "" || err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Build renders the site from the store into cfg.Dir (or cfg.Memory) and
// reports what it did. It is safe to call again after new items arrive:
// only the pages they touch are rendered and written.
// Store is the part of the store a site build reads: the sources, the
// items' lists and contents, and their slugs, given once.
type Store interface {
	Sources(ctx context.Context) ([]store.Source, error)
	EnsureSlugs(ctx context.Context) (int, error)
	ListItems(ctx context.Context, f store.ItemFilter) ([]store.ItemMeta, error)
	CountItems(ctx context.Context, f store.ItemFilter) (int, error)
	ItemContents(ctx context.Context, ids []int64, prepared string, fn func(m store.ItemMeta, body store.ItemBody) error) error
}

func Build(ctx context.Context, st Store, cfg Config, opts Options) (Stats, error) {
	start := time.Now()
	cfg = cfg.withDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	out, err := newOutput(cfg)
	if err != nil {
		return Stats{}, err
	}
	tpl, err := loadTemplates(cfg.Templates)
	if err != nil {
		return Stats{}, err
	}
	// The manifest is read while the store is queried: both take a
	// noticeable part of a small incremental build of a large site.
	type loaded struct {
		m        manifest
		complete bool
		err      error
	}
	manifestc := make(chan loaded, 1)
	go func() {
		m, complete, err := out.loadManifest()
		manifestc <- loaded{m, complete, err}
	}()
	opts.Logger.Debug("site build phase", "phase", "templates", "took", time.Since(start))
	if _, err := st.EnsureSlugs(ctx); err != nil {
		<-manifestc
		return Stats{}, fmt.Errorf("build site: %w", err)
	}
	opts.Logger.Debug("site build phase", "phase", "slugs", "took", time.Since(start))
	sources, err := st.Sources(ctx)
	if err != nil {
		<-manifestc
		return Stats{}, fmt.Errorf("build site: %w", err)
	}
	if cfg.Sources != nil {
		// The items of the others are left out with them (model skips
		// items whose source it does not have).
		keep := make(map[string]bool, len(cfg.Sources))
		for _, k := range cfg.Sources {
			keep[k] = true
		}
		sources = slices.DeleteFunc(sources, func(r store.Source) bool { return !keep[r.Key] })
	}
	cached, err := out.loadItems()
	if err != nil {
		opts.Logger.Warn("site items file unreadable; listing every item", "err", err)
		cached = nil
	}
	if opts.Full {
		cached = nil
	}
	metas, save, why, err := listItems(ctx, st, cached)
	if err != nil {
		<-manifestc
		return Stats{}, fmt.Errorf("build site: %w", err)
	}
	if why != "" {
		opts.Logger.Debug("site build lists every item", "why", why)
	}
	opts.Logger.Debug("site build phase", "phase", "items", "took", time.Since(start))
	ld := <-manifestc
	prev, complete, err := ld.m, ld.complete, ld.err
	if err != nil {
		opts.Logger.Warn("site manifest unreadable; rendering every page", "err", err)
		prev = nil
	}
	if !complete && prev != nil {
		opts.Logger.Warn("the last site build did not finish; checking every page")
		opts.Full = true // compare every page with the disk; prev still says what to remove
	}
	opts.Logger.Debug("site build phase", "phase", "load", "took", time.Since(start), "items", len(metas), "manifest", len(prev))
	b := newBuilder(cfg, opts, out, tpl, prev)
	if b.old != nil {
		if data, err := out.loadEntries(); err != nil {
			opts.Logger.Warn("site entries file unreadable; reading every item shown", "err", err)
		} else if data != nil {
			if b.entryCache, err = decodeEntries(data); err != nil {
				opts.Logger.Debug("site build reads every item shown", "why", err)
			}
		}
	}
	b.model(sources, metas)
	if err := b.run(ctx, st); err != nil {
		return b.stats, err
	}
	// A cache too: a build that cannot save it still built the site. A
	// build that rendered nothing leaves the file in place as it is.
	if b.stats.PagesRendered > 0 || b.entryCache == nil {
		if err := out.saveEntries(encodeEntries(b.entriesToKeep(b.entryCache))); err != nil {
			opts.Logger.Warn("save site entries file", "err", err)
		}
	}
	if save != nil {
		// A cache: a build that cannot save it still built the site.
		if err := out.saveItems(encodeItems(*save)); err != nil {
			opts.Logger.Warn("save site items file", "err", err)
		}
	}
	b.stats.Duration = time.Since(start)
	return b.stats, nil
}
