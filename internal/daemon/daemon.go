// Package daemon is feedmill serve: it refreshes the sources that are
// due, round after round, keeps the news site built from the store, and
// serves the site, /admin, the builtin image proxy, /healthz and /metrics
// until its context ends.
//
// A round is one refresh.Runner.Run over the sources due at its start
// (package schedule decides which); rounds never overlap. The first round
// starts at once and fetches every source that is due, which on a new
// store is all of them; a restarted daemon keeps the pauses and backoffs
// it had. Between rounds the daemon sleeps until the next source is due,
// or until a reload or a "fetch now" from /admin.
//
// The site is built once at start, before the first round, so that it
// is up at once; then by a builder goroutine of its own as sources
// publish or retire posts, during the round, so that a source whose
// fetch hangs until timeout holds back only its own posts; and after a
// reload. Requests coalesce: one build at a time, and the requests made
// while it runs get one build after it. A build reads only what the
// store has committed, so a round half-written shows as the sources
// finished so far. A failed build is logged and the daemon goes on; the
// pages of the last good build stay served.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/feedmill/feedmill/internal/admin"
	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/metrics"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/server"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/backend"
)

// Log keys.
const (
	keyAddr        = "addr"
	keyConfig      = "config"
	keyDue         = "due"
	keyError       = "error"
	keyFailed      = "failed"
	keyNextDue     = "next_due"
	keyPausedUntil = "paused_until"
	keyPages       = "pages"
	keyPosts       = "posts"
	keyRetired     = "retired"
	keySource      = "source"
	keySources     = "sources"
	keyTook        = "took"
	keyWritten     = "written"
	keyVersion     = "version"
)

const (
	// maxSleep bounds the sleep between rounds, so that a changed clock
	// or a row changed by another process is noticed within a minute.
	maxSleep = time.Minute
	// unwrittenRetry is how soon the posts that could not be written
	// are tried again: no fetch, only the writes, until the output
	// folder works.
	unwrittenRetry = 5 * time.Second
	// minGap keeps rounds from spinning when a source is due again at
	// once (an interval of a few nanoseconds).
	minGap = time.Second
)

// Store is what the daemon's parts use of the store: the refresh's, the
// site's and the admin page's, and the settings that keep the image
// proxy's key.
type Store interface {
	refresh.Store
	refresh.Renamer
	site.Store
	admin.Store
	imgproxy.Settings
}

// Options are what New needs.
type Options struct {
	Config config.Config
	// Listen, when set, is the --listen flag: it wins over the listen of
	// the configuration, also after a reload.
	Listen  string
	Store   Store
	Logger  *slog.Logger
	Version string
	// NoSite leaves the news site out: no builds, no pages at "/" and no
	// image proxy. /admin, /healthz and /metrics stay.
	NoSite bool
	// Mounts are more handlers for the server. "/", "/admin" and
	// "/admin/" are the daemon's own (the site and the admin page).
	Mounts []server.Mount
	// Load reads the configuration file again on Reload; nil is
	// config.Load. feedmill serve's also names the sources given by route
	// alone from RSSHub's catalog.
	Load func(path string) (config.Config, error)
}

// Daemon is a running feedmill serve.
type Daemon struct {
	store   Store
	logger  *slog.Logger
	version string
	listen  string
	metrics *metrics.Set
	handler http.Handler
	wake    chan struct{}
	// builds asks the builder for a site build: a request while one runs
	// waits in it, and requests made meanwhile join it (see requestBuild).
	builds  chan struct{}
	started time.Time
	noSite  bool
	load    func(path string) (config.Config, error)

	// site serves the news site and the image proxy at "/", admin the
	// admin page; both are replaced on a reload.
	site, admin server.Swap

	mu     sync.Mutex // guards what follows
	cfg    config.Config
	runner *refresh.Runner
	state  state
	// siteCfg is the site the next build builds; rebuild asks for a
	// build after the next round whatever it did (a reload).
	siteCfg site.Config
	rebuild bool
	// queued are the keys of the sources /admin asked to fetch now.
	queued map[string]bool
	// pendingAll asks the next round to write the stored items' missing
	// posts of every source, due or not: set at the start and on a reload,
	// since an output added to the configuration has every item to write
	// (and a process stopped between writing and marking left some), which
	// would otherwise wait for each source's next fetch.
	pendingAll bool
}

// state is what /healthz reports.
type state struct {
	rounds    int
	lastRound time.Time
	nextRound time.Time
	counts    map[schedule.Status]int
	// err is the last round's store failure; nil once a round succeeds.
	err error
	// siteBuilt is when the site was last built; siteErr the last
	// build's failure, nil once a build succeeds.
	siteBuilt time.Time
	siteErr   error
	// unwritten holds, by source key, why the source's last posts could
	// not be written (the output folder failed); a source leaves it once
	// its pending posts are written.
	unwritten map[string]error
}

// New returns a daemon for the configuration; Run starts it.
func New(opts Options) *Daemon {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := opts.Config
	if opts.Listen != "" {
		cfg.Listen = opts.Listen
	}
	d := &Daemon{
		store:   opts.Store,
		logger:  logger,
		version: opts.Version,
		listen:  opts.Listen,
		metrics: metrics.New(),
		wake:    make(chan struct{}, 1),
		builds:  make(chan struct{}, 1),
		started: time.Now(),
		noSite:  opts.NoSite,
		cfg:     cfg,
		queued:  map[string]bool{},
		load:    opts.Load,

		pendingAll: true,
	}
	if d.load == nil {
		d.load = config.Load
	}
	d.runner = d.newRunner(cfg)
	mounts := []server.Mount{{Pattern: "/admin", Handler: &d.admin}, {Pattern: "/admin/", Handler: &d.admin}}
	if !d.noSite {
		mounts = append(mounts, server.Mount{Pattern: "/", Handler: &d.site})
	}
	d.metrics.CountRounds()
	d.handler = server.New(server.Options{Health: d.health, Metrics: gatherer{d}, Logger: logger}, append(mounts, opts.Mounts...)...)
	return d
}

// Handler is the daemon's HTTP handler: /healthz, /metrics, the site,
// /admin and the mounts. The site and /admin answer 503 until Run starts.
func (d *Daemon) Handler() http.Handler { return d.handler }

func (d *Daemon) newRunner(cfg config.Config) *refresh.Runner {
	r := refresh.FromConfig(cfg, d.store, d.logger)
	r.TempCleaned = true
	return r
}

// current returns the configuration and runner of the next round.
func (d *Daemon) current() (config.Config, *refresh.Runner) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg, d.runner
}

// Run serves on ln and runs rounds until ctx ends, then stops cleanly:
// fetches in flight are cancelled, the source being written is finished
// (refresh's publish order makes any stop safe; this one also leaves its
// state whole), and requests in flight get server.ShutdownTimeout. It
// returns nil after a stop asked for by ctx, and an error when the
// output folder or the server fails.
func (d *Daemon) Run(ctx context.Context, ln net.Listener) error {
	cfg, runner := d.current()
	if err := runner.CleanTemp(); err != nil {
		return err
	}
	w, err := d.web(ctx, cfg)
	if err != nil {
		return err
	}
	d.install(w)
	d.logger.Info("listening", keyVersion, d.version, keyConfig, cfg.File, keyAddr, ln.Addr().String(), keySources, len(cfg.Sources))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- server.Serve(ctx, ln, d.handler, d.logger)
		cancel() // a failed server stops the rounds too
	}()
	d.loop(ctx)
	cancel()
	if err := <-served; err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	d.logger.Info("stopped")
	return nil
}

func (d *Daemon) loop(ctx context.Context) {
	d.build(ctx)
	// The site is rebuilt as sources publish, not when the round ends:
	// a source whose fetch hangs until timeout holds back only its own
	// posts.
	built := make(chan struct{})
	go func() {
		defer close(built)
		d.builder(ctx)
	}()
	defer func() { <-built }()
	for {
		start := time.Now()
		next, _ := d.round(ctx)
		if ctx.Err() != nil {
			return
		}
		d.mu.Lock()
		if d.rebuild {
			d.requestBuild()
		}
		d.rebuild = false
		d.mu.Unlock()
		wait := max(time.Until(next), minGap-time.Since(start), 0)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// requestBuild asks for a site build. Requests coalesce: one made while a
// build runs gets one build after it, however many were made.
func (d *Daemon) requestBuild() {
	if d.noSite {
		return
	}
	select {
	case d.builds <- struct{}{}:
	default: // one is asked for already
	}
}

// builder builds the site when asked until ctx ends; it is the only
// goroutine that builds after the first build, so builds never overlap.
func (d *Daemon) builder(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.builds:
			d.build(ctx)
		}
	}
}

// setCounts counts the sources by status at now for /metrics and returns
// the counts; /healthz shows them once the caller stores them in state
// (done here when state has none yet).
func (d *Daemon) setCounts(sources []feed.Source, rows map[string]store.Source, now time.Time) map[schedule.Status]int {
	keys := make([]string, len(sources))
	for i, s := range sources {
		keys[i] = s.Key()
		d.metrics.KnowSource(s.Key())
	}
	counts := schedule.Count(keys, rows, now)
	d.metrics.SetStatuses(counts)
	d.mu.Lock()
	if d.state.counts == nil {
		d.state.counts = counts
	}
	d.mu.Unlock()
	return counts
}

// recount counts the sources by status from the store as it is now, for
// /healthz and /metrics, so that they agree with feedmill sources and
// /admin between rounds too (a pause from /admin or feedmill pause, a
// Retry-After running out). A store that fails leaves the last counts.
func (d *Daemon) recount(ctx context.Context) {
	rows, err := d.rows(ctx)
	if err != nil {
		return
	}
	cfg, _ := d.current()
	counts := d.setCounts(cfg.FeedSources(), rows, time.Now())
	d.mu.Lock()
	d.state.counts = counts
	d.mu.Unlock()
}

// round refreshes the sources due now (and those /admin asked for) and
// returns when the next one is due, and whether the round published or
// retired posts, which the site must show.
func (d *Daemon) round(ctx context.Context) (next time.Time, changed bool) {
	cfg, runner := d.current()
	sources := cfg.FeedSources()
	d.mu.Lock()
	queued := d.queued
	d.queued = map[string]bool{}
	d.mu.Unlock()
	renamed, err := refresh.AdoptRenamed(ctx, d.store, sources)
	if err != nil {
		d.requeue(queued)
		return d.failed(ctx, err), false
	}
	for _, r := range renamed {
		d.logger.Info("source renamed: same url, new names", keySource, r.To, "from", r.From)
	}
	changed = len(renamed) > 0
	rows, err := d.rows(ctx)
	if err != nil {
		d.requeue(queued)
		return d.failed(ctx, err), false
	}
	now := time.Now()
	var due []feed.Source
	for _, s := range sources {
		row, ok := rows[s.Key()]
		switch {
		case !ok:
			due = append(due, s)
		case row.Paused:
			// Paused by an operator: refresh would skip it anyway.
		case queued[s.Key()] || schedule.Due(row, now):
			due = append(due, s)
		}
	}
	d.mu.Lock()
	first := d.state.counts == nil
	d.mu.Unlock()
	if first {
		// The first round may take up to a timeout: show the statuses
		// the store has while it runs.
		d.setCounts(sources, rows, now)
	}
	d.mu.Lock()
	all := d.pendingAll
	d.pendingAll = false
	d.mu.Unlock()
	pending := d.unwrittenNotDue(sources, due)
	if all {
		pending = notDue(sources, due)
	}
	if len(pending) > 0 {
		// The output folder failed, or an output is new: these sources'
		// posts are written as soon as it works, not at their next fetch.
		results, err := runner.PublishPending(ctx, pending)
		if err != nil {
			if all {
				d.mu.Lock()
				d.pendingAll = true
				d.mu.Unlock()
			}
			return d.failed(ctx, err), changed
		}
		for _, r := range results {
			d.report(r)
			changed = changed || r.Posts > 0
		}
	}
	if len(due) > 0 {
		d.logger.Info("round", keyDue, len(due), keySources, len(sources))
		start := time.Now()
		results, err := runner.Run(ctx, due, d.report)
		if ctx.Err() != nil {
			d.logger.Info("round stopped: shutting down", keyDue, len(due))
			return time.Time{}, false
		}
		if err != nil {
			// Some sources may have published before the store failed.
			d.requeue(queued)
			return d.failed(ctx, err), true
		}
		took := time.Since(start)
		failed, posts, retired := 0, 0, 0
		for _, r := range results {
			if r.Err != nil {
				failed++
			}
			posts += r.Posts
			retired += r.Retired
		}
		changed = changed || posts > 0 || retired > 0
		d.metrics.Round(took, time.Now())
		d.logger.Info("round done", keyDue, len(due), keyFailed, failed, keyPosts, posts, keyRetired, retired, keyTook, took.Round(time.Millisecond).String())
		if rows, err = d.rows(ctx); err != nil {
			return d.failed(ctx, err), changed
		}
	}

	// The next wake: the earliest next due time of a configured source.
	now = time.Now()
	next = now.Add(maxSleep)
	for _, s := range sources {
		row, ok := rows[s.Key()]
		if !ok {
			next = now
			continue
		}
		if !row.Paused && row.NextDue.Before(next) {
			next = row.NextDue
		}
	}
	d.mu.Lock()
	if len(d.state.unwritten) > 0 {
		if retry := now.Add(unwrittenRetry); retry.Before(next) {
			next = retry
		}
	}
	d.mu.Unlock()
	counts := d.setCounts(sources, rows, now)
	d.mu.Lock()
	if len(due) > 0 {
		d.state.rounds++
		d.state.lastRound = now
	}
	d.state.nextRound, d.state.counts, d.state.err = next, counts, nil
	d.mu.Unlock()
	return next, changed
}

// unwrittenNotDue returns the sources whose posts could not be written
// and that are not in due.
func (d *Daemon) unwrittenNotDue(sources, due []feed.Source) []feed.Source {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.state.unwritten) == 0 {
		return nil
	}
	inDue := map[string]bool{}
	for _, s := range due {
		inDue[s.Key()] = true
	}
	var out []feed.Source
	for _, s := range sources {
		if _, ok := d.state.unwritten[s.Key()]; ok && !inDue[s.Key()] {
			out = append(out, s)
		}
	}
	return out
}

// notDue returns the sources that are not in due.
func notDue(sources, due []feed.Source) []feed.Source {
	inDue := make(map[string]bool, len(due))
	for _, s := range due {
		inDue[s.Key()] = true
	}
	var out []feed.Source
	for _, s := range sources {
		if !inDue[s.Key()] {
			out = append(out, s)
		}
	}
	return out
}

// requeue puts back the fetch-now requests of a round that failed.
func (d *Daemon) requeue(keys map[string]bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k := range keys {
		d.queued[k] = true
	}
}

// failed records a store failure: /healthz reports it until a round
// succeeds, and the next round is tried after maxSleep.
func (d *Daemon) failed(ctx context.Context, err error) time.Time {
	if ctx.Err() != nil {
		return time.Time{}
	}
	d.logger.Error("round failed; retrying", keyError, err, "retry_in", maxSleep.String())
	next := time.Now().Add(maxSleep)
	d.mu.Lock()
	d.state.err, d.state.nextRound = err, next
	d.mu.Unlock()
	return next
}

func (d *Daemon) rows(ctx context.Context) (map[string]store.Source, error) {
	rows, err := d.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	return store.ByKey(rows), nil
}

// report logs and counts one source's refresh; the writer calls it as
// each source finishes.
func (d *Daemon) report(r refresh.Result) {
	d.metrics.Observe(r)
	key := r.Source.Key()
	d.mu.Lock()
	if r.PublishErr != nil {
		if d.state.unwritten == nil {
			d.state.unwritten = map[string]error{}
		}
		d.state.unwritten[key] = r.PublishErr
	} else if !r.Paused {
		delete(d.state.unwritten, key) // its pending posts are written
	}
	d.mu.Unlock()
	if r.Posts > 0 || r.Retired > 0 {
		d.requestBuild() // the site shows the posts as the source publishes them
	}
	if r.PublishErr != nil {
		d.logger.Error("posts not written: the output folder failed; they are kept and written once it works", keySource, key, keyError, r.PublishErr)
	}
	switch {
	case r.Err != nil && !r.Schedule.PausedUntil.IsZero():
		d.logger.Warn("source refused; route paused", keySource, key, keyError, r.Err, keyPausedUntil, r.Schedule.PausedUntil)
	case r.Err != nil:
		d.logger.Warn("source failed", keySource, key, keyError, r.Err, keyNextDue, r.Schedule.NextDue)
	case r.Posts > 0:
		d.logger.Info("published", keySource, key, keyPosts, r.Posts)
	default:
		d.logger.Debug("refreshed", keySource, key, "not_modified", r.NotModified, "items", r.Items, keyNextDue, r.Schedule.NextDue)
	}
}

// Reload reads the configuration file again. A valid one takes effect
// from the next round, which starts at once so that new sources are
// fetched; an invalid one is logged and returned, and the running
// configuration stays. The store and the listen address are opened once:
// a change to them is logged and waits for a restart.
func (d *Daemon) Reload() error {
	old, _ := d.current()
	cfg, err := d.load(old.File)
	if err != nil {
		d.logger.Error("config reload failed; keeping the running configuration", keyConfig, old.File, keyError, err)
		return err
	}
	if d.listen != "" {
		cfg.Listen = d.listen
	}
	if cfg.Listen != old.Listen {
		d.logger.Warn("listen changed; restart feedmill serve to apply it", keyAddr, cfg.Listen)
	}
	if cfg.StoreDSN() != old.StoreDSN() {
		d.logger.Warn("store changed; restart feedmill serve to apply it", "store", backend.Redact(cfg.StoreDSN()))
		cfg.Store = old.StoreDSN()
	}
	w, err := d.web(context.Background(), cfg)
	if err != nil {
		d.logger.Error("config reload failed; keeping the running configuration", keyConfig, old.File, keyError, err)
		return err
	}
	runner := d.newRunner(cfg)
	if _, running := d.current(); runner.OutputDirs() != running.OutputDirs() {
		if err := runner.CleanTemp(); err != nil {
			d.logger.Error("config reload failed; keeping the running configuration", keyConfig, old.File, keyError, err)
			return err
		}
	}
	d.mu.Lock()
	d.cfg, d.runner = cfg, runner
	d.rebuild = true    // the site's settings may have changed
	d.pendingAll = true // and its outputs
	d.mu.Unlock()
	d.install(w)
	d.logger.Info("config reloaded", keyConfig, cfg.File, keySources, len(cfg.Sources))
	d.poke()
	return nil
}

// poke wakes the round loop if it sleeps; a round in progress is
// followed by another at once.
func (d *Daemon) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// health is /healthz: 200 with the state while rounds succeed, 503 with
// the error while the store fails.
func (d *Daemon) health(ctx context.Context) (map[string]any, error) {
	d.recount(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state
	body := map[string]any{
		"version":        d.version,
		"uptime_seconds": int64(time.Since(d.started).Seconds()),
		"sources":        len(d.cfg.Sources),
		"rounds":         st.rounds,
	}
	if st.counts != nil {
		// Every status, 0 too, as /metrics has them: a check reading
		// statuses.failing finds 0 rather than nothing.
		counts := map[string]int{}
		for _, s := range schedule.Statuses {
			counts[s.Label()] = st.counts[s]
		}
		body["statuses"] = counts
	}
	if !st.lastRound.IsZero() {
		body["last_round_at"] = st.lastRound.UTC().Format(time.RFC3339)
	}
	if !st.nextRound.IsZero() {
		body["next_round_at"] = st.nextRound.UTC().Format(time.RFC3339)
	}
	if !st.siteBuilt.IsZero() {
		body["site_built_at"] = st.siteBuilt.UTC().Format(time.RFC3339)
	}
	if st.siteErr != nil {
		body["site_error"] = st.siteErr.Error()
	}
	var unwritten error
	for _, err := range st.unwritten {
		unwritten = err // any one says what is wrong
		break
	}
	if unwritten != nil {
		body["publish_error"] = unwritten.Error()
	}
	// The pages of the last good build are still served and the
	// fetching goes on, but the installation needs someone to act: a
	// full disk, an output folder that cannot be written.
	switch {
	case st.err != nil:
		return body, errors.New("the last round failed: " + st.err.Error())
	case unwritten != nil:
		return body, fmt.Errorf("posts of %d sources could not be written: %v", len(st.unwritten), unwritten)
	case st.siteErr != nil:
		return body, errors.New("the site build failed: " + st.siteErr.Error())
	}
	return body, nil
}

// gatherer is /metrics: the registry, with the status counts made fresh
// first.
type gatherer struct{ d *Daemon }

func (g gatherer) Gather() ([]*dto.MetricFamily, error) {
	g.d.recount(context.Background())
	return g.d.metrics.Registry().Gather()
}
