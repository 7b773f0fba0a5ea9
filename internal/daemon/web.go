package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/feedmill/feedmill/internal/admin"
	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
)

// web is what one configuration serves besides /healthz and /metrics.
type web struct {
	site   site.Config
	siteH  http.Handler // the pages and the image proxy; nil with NoSite
	adminH http.Handler
}

// web builds the handlers of a configuration. It fails when the admin
// token file cannot be read or the image proxy key cannot be had.
func (d *Daemon) web(ctx context.Context, cfg config.Config) (web, error) {
	token, err := cfg.AdminSecret()
	if err != nil {
		return web{}, fmt.Errorf("admin token: %w", err)
	}
	keys := make([]string, len(cfg.Sources))
	for i, s := range cfg.FeedSources() {
		keys[i] = s.Key()
	}
	w := web{adminH: admin.Handler(admin.Options{
		Store:    d.store,
		Keys:     keys,
		Token:    token,
		Location: cfg.Location(),
		Logger:   d.logger,
		FetchNow: d.fetchNow,
		NextDue:  d.nextDue,
	})}
	if d.noSite {
		return w, nil
	}
	w.site, err = site.FromConfig(ctx, cfg, d.store)
	if err != nil {
		return web{}, err
	}
	w.siteH = site.HandlerWithProxy(w.site, imgproxy.Options{UserAgent: cfg.UserAgent, Logger: d.logger})
	return w, nil
}

// install makes w the served configuration and the site's next build.
func (d *Daemon) install(w web) {
	d.admin.Set(w.adminH)
	if w.siteH != nil {
		d.site.Set(w.siteH)
	}
	d.mu.Lock()
	d.siteCfg = w.site
	d.mu.Unlock()
}

// build brings the site up to date with the store. Only the round
// loop calls it, so builds never overlap. A failure is logged and kept
// for /healthz; the daemon goes on.
func (d *Daemon) build(ctx context.Context) {
	if d.noSite {
		return
	}
	d.mu.Lock()
	cfg := d.siteCfg
	d.mu.Unlock()
	stats, err := site.Build(ctx, d.store, cfg, site.Options{Logger: d.logger})
	if ctx.Err() != nil {
		d.logger.Info("site build stopped: shutting down; the next start finishes it")
		return
	}
	d.metrics.SiteBuild(stats, err)
	d.mu.Lock()
	d.state.siteErr = err
	if err == nil {
		d.state.siteBuilt = time.Now()
	}
	d.mu.Unlock()
	if err != nil {
		d.logger.Error("site build failed; serving the last good pages", keyError, err, "dir", cfg.Dir)
		return
	}
	d.logger.Info("site built", keyWritten, stats.PagesWritten, keyPages, stats.PagesTotal, keyPosts, stats.Posts,
		"removed", stats.PagesRemoved, keyTook, stats.Duration.Round(time.Millisecond).String())
}

// fetchNow is /admin's "fetch now": the source is fetched in the next
// round, which starts at once unless one is running.
func (d *Daemon) fetchNow(_ context.Context, src store.Source) error {
	if src.Paused {
		return errors.New("the source is paused; resume it first")
	}
	cfg, _ := d.current()
	if !slices.ContainsFunc(cfg.FeedSources(), func(s feed.Source) bool { return s.Key() == src.Key }) {
		return errors.New("the source is no longer in the configuration")
	}
	d.mu.Lock()
	d.queued[src.Key] = true
	d.mu.Unlock()
	d.poke()
	return nil
}

// nextDue is when /admin shows the source is fetched next: at once when
// it is queued, else its schedule's time (zero, shown as unknown, for a
// source never fetched).
func (d *Daemon) nextDue(src store.Source) time.Time {
	d.mu.Lock()
	queued := d.queued[src.Key]
	d.mu.Unlock()
	if queued {
		return time.Now()
	}
	return src.NextDue
}
