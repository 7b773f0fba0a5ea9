// Package daemon is feedmill serve: it refreshes the sources that are
// due, round after round, and serves /healthz, /metrics and whatever else
// is mounted on its server, until its context ends.
//
// A round is one refresh.Runner.Run over the sources due at its start
// (package schedule decides which); rounds never overlap. The first round
// starts at once and fetches every source that is due, which on a new
// store is all of them; a restarted daemon keeps the pauses and backoffs
// it had. Between rounds the daemon sleeps until the next source is due,
// or until a reload.
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

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/server"
	"github.com/feedmill/feedmill/internal/store"
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
	keyPosts       = "posts"
	keySource      = "source"
	keySources     = "sources"
	keyTook        = "took"
	keyVersion     = "version"
)

const (
	// maxSleep bounds the sleep between rounds, so that a changed clock
	// or a row changed by another process is noticed within a minute.
	maxSleep = time.Minute
	// minGap keeps rounds from spinning when a source is due again at
	// once (an interval of a few nanoseconds).
	minGap = time.Second
)

// Options are what New needs.
type Options struct {
	Config config.Config
	// Listen, when set, is the --listen flag: it wins over the listen of
	// the configuration, also after a reload.
	Listen  string
	Store   store.Store
	Logger  *slog.Logger
	Version string
	// Mounts are handlers other packages add to the server (the site,
	// the admin).
	Mounts []server.Mount
}

// Daemon is a running feedmill serve.
type Daemon struct {
	store   store.Store
	logger  *slog.Logger
	version string
	listen  string
	metrics *metrics
	handler http.Handler
	wake    chan struct{}
	started time.Time

	mu     sync.Mutex // guards what follows
	cfg    config.Config
	runner *refresh.Runner
	state  state
}

// state is what /healthz reports.
type state struct {
	rounds    int
	lastRound time.Time
	nextRound time.Time
	counts    map[schedule.Status]int
	// err is the last round's store failure; nil once a round succeeds.
	err error
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
		metrics: newMetrics(),
		wake:    make(chan struct{}, 1),
		started: time.Now(),
		cfg:     cfg,
	}
	d.runner = d.newRunner(cfg)
	d.handler = server.New(server.Options{Health: d.health, Metrics: d.metrics.reg, Logger: logger}, opts.Mounts...)
	return d
}

// Handler is the daemon's HTTP handler: /healthz, /metrics and the mounts.
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
	if err := publish.CleanTemp(runner.OutDir); err != nil {
		return fmt.Errorf("clean temp files: %w", err)
	}
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
	for {
		start := time.Now()
		next := d.round(ctx)
		if ctx.Err() != nil {
			return
		}
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

// round refreshes the sources due now and returns when the next one is
// due.
func (d *Daemon) round(ctx context.Context) time.Time {
	cfg, runner := d.current()
	sources := cfg.FeedSources()
	rows, err := d.rows(ctx)
	if err != nil {
		return d.failed(ctx, err)
	}
	now := time.Now()
	var due []feed.Source
	for _, s := range sources {
		if row, ok := rows[s.Key()]; !ok || schedule.Due(row, now) {
			due = append(due, s)
		}
	}
	if len(due) > 0 {
		d.logger.Info("round", keyDue, len(due), keySources, len(sources))
		start := time.Now()
		results, err := runner.Run(ctx, due, d.report)
		if ctx.Err() != nil {
			d.logger.Info("round stopped: shutting down", keyDue, len(due))
			return time.Time{}
		}
		if err != nil {
			return d.failed(ctx, err)
		}
		took := time.Since(start)
		failed, posts := 0, 0
		for _, r := range results {
			if r.Err != nil {
				failed++
			}
			posts += r.Posts
		}
		d.metrics.round(took, time.Now())
		d.logger.Info("round done", keyDue, len(due), keyFailed, failed, keyPosts, posts, keyTook, took.Round(time.Millisecond).String())
		if rows, err = d.rows(ctx); err != nil {
			return d.failed(ctx, err)
		}
	}

	// The next wake: the earliest next due time of a configured source.
	now = time.Now()
	next := now.Add(maxSleep)
	counts := map[schedule.Status]int{}
	for _, s := range sources {
		row, ok := rows[s.Key()]
		if !ok {
			counts[schedule.NeverFetched]++
			next = now
			continue
		}
		counts[schedule.StatusOf(row, now)]++
		if row.NextDue.Before(next) {
			next = row.NextDue
		}
	}
	d.metrics.setStatuses(counts)
	d.mu.Lock()
	if len(due) > 0 {
		d.state.rounds++
		d.state.lastRound = now
	}
	d.state.nextRound, d.state.counts, d.state.err = next, counts, nil
	d.mu.Unlock()
	return next
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
	m := make(map[string]store.Source, len(rows))
	for _, r := range rows {
		m[r.Key] = r
	}
	return m, nil
}

// report logs and counts one source's refresh; the writer calls it as
// each source finishes.
func (d *Daemon) report(r refresh.Result) {
	d.metrics.observe(r)
	key := r.Source.Key()
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
	cfg, err := config.Load(old.File)
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
	if cfg.Path(cfg.Store) != old.Path(old.Store) {
		d.logger.Warn("store changed; restart feedmill serve to apply it", "store", cfg.Path(cfg.Store))
		cfg.Store = old.Path(old.Store)
	}
	runner := d.newRunner(cfg)
	if runner.OutDir != old.Path(old.Output.Dir) {
		if err := publish.CleanTemp(runner.OutDir); err != nil {
			err = fmt.Errorf("clean temp files: %w", err)
			d.logger.Error("config reload failed; keeping the running configuration", keyConfig, old.File, keyError, err)
			return err
		}
	}
	d.mu.Lock()
	d.cfg, d.runner = cfg, runner
	d.mu.Unlock()
	d.logger.Info("config reloaded", keyConfig, cfg.File, keySources, len(cfg.Sources))
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

// health is /healthz: 200 with the state while rounds succeed, 503 with
// the error while the store fails.
func (d *Daemon) health(context.Context) (map[string]any, error) {
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
		counts := map[string]int{}
		for s, n := range st.counts {
			counts[statusLabel(s)] = n
		}
		body["statuses"] = counts
	}
	if !st.lastRound.IsZero() {
		body["last_round_at"] = st.lastRound.UTC().Format(time.RFC3339)
	}
	if !st.nextRound.IsZero() {
		body["next_round_at"] = st.nextRound.UTC().Format(time.RFC3339)
	}
	if st.err != nil {
		return body, errors.New("the last round failed: " + st.err.Error())
	}
	return body, nil
}
