// Package fleet runs feedmill as one of several processes over one
// PostgreSQL store: fetchers claim due sources with a lease and store
// their items with prepared bodies; one publisher at a time (a session
// advisory lock, with standbys waiting for it) writes the posts of the
// stored items and builds the site. A process can be both ("all").
//
// Every process reports itself alive every few seconds (a heartbeat). A
// fetcher that dies loses its leases and its hosts' slots once its
// heartbeat has stopped for postgres.DeadAfter, and another takes its
// sources; a publisher that dies loses its lock with its connection, and
// a standby takes over, finishing what it left in the
// crash-safe order every publish keeps (reserve, write, flush, mark).
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/metrics"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/server"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/postgres"
)

// Roles.
const (
	RoleFetch   = "fetch"
	RolePublish = "publish"
	RoleAll     = "all"
)

// ValidRole reports whether role names a role.
func ValidRole(role string) bool {
	return role == RoleFetch || role == RolePublish || role == RoleAll
}

// Options configure a Process.
type Options struct {
	// Config is the configuration the process starts with; Reload
	// replaces it.
	Config config.Config
	Store  *postgres.Store
	Role   string
	// Owner names the process in leases, locks and the fleet's views;
	// host:pid by default.
	Owner string
	// Lease is how long a fetcher holds a source it claimed, renewed by
	// each heartbeat while it fetches it; postgres.DeadAfter at least, so
	// that no lease runs out between two heartbeats. A fetcher that stops
	// without giving a lease back (its store failed) keeps the source
	// that long; one that died loses its leases postgres.DeadAfter after
	// its last heartbeat.
	Lease time.Duration
	// Poll is how long an idle fetcher or a standby publisher waits
	// before looking again.
	Poll time.Duration
	// NoSite leaves the site out of a publisher's rounds.
	NoSite bool
	// Version is feedmill's, for /healthz.
	Version string
	Logger  *slog.Logger
}

// DefaultLease and DefaultPoll are the zero Options' values.
const (
	DefaultLease = 2 * time.Minute
	DefaultPoll  = time.Second
)

// Process is one process of the fleet.
type Process struct {
	opts    Options
	started time.Time
	metrics *metrics.Set
	// site serves the site and the image proxy, admin the admin page;
	// both are replaced on a reload.
	site, admin server.Swap

	mu       sync.Mutex // guards what follows
	cfg      config.Config
	counters map[string]int64
	// fetching counts the claims in flight of each source, whose leases
	// the heartbeat renews.
	fetching map[int64]int
	// life is cancelled when the heartbeat has not reached the store for
	// long enough that the fleet may soon take the process for dead
	// (fence): the fetches in flight are then dropped, so that no slot
	// another process takes over is still in use. A heartbeat that
	// lands starts a new one.
	life       context.Context
	endLife    context.CancelFunc
	fence      *time.Timer
	publishing bool
	lastErr    error
	publishErr error
	siteErr    error
	// scraped is the fleet's state a /metrics scrape read, for its
	// collector.
	scraped   View
	scrapeErr error
	// restart ends the loops of the running configuration, so that Run
	// starts them again with the one Reload installed.
	restart   context.CancelFunc
	reloading bool
}

// DefaultOwner is host:pid.
func DefaultOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// New returns a process; Run runs it.
func New(opts Options) *Process {
	if opts.Owner == "" {
		opts.Owner = DefaultOwner()
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	opts.Lease = max(opts.Lease, postgres.DeadAfter)
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Logger = opts.Logger.With("owner", opts.Owner, "role", opts.Role)
	p := &Process{opts: opts, started: time.Now(), counters: map[string]int64{}, fetching: map[int64]int{}, cfg: opts.Config, metrics: metrics.New()}
	p.metrics.Registry().MustRegister(fleetCollector{p})
	return p
}

// config is the configuration the process runs with now.
func (p *Process) config() config.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// Counter names.
const (
	CountFetched    = "sources_fetched"
	CountFailed     = "sources_failed"
	CountNewItems   = "items_stored"
	CountPublished  = "posts_written"
	CountTakeovers  = "publisher_takeovers"
	CountSiteBuilds = "site_builds"
)

func (p *Process) add(name string, n int64) {
	p.mu.Lock()
	p.counters[name] += n
	p.mu.Unlock()
}

// Snapshot is what the process reports about itself.
type Snapshot struct {
	Owner      string
	Role       string
	Started    time.Time
	Publishing bool
	Counters   map[string]int64
	Err        error
	// PublishErr is why the publisher's last round could not write
	// posts (the output folder failed), SiteErr why its last site build
	// failed; nil once a round or a build succeeds.
	PublishErr, SiteErr error
}

// Snapshot returns the process's state now.
func (p *Process) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Snapshot{Owner: p.opts.Owner, Role: p.opts.Role, Started: p.started, Publishing: p.publishing, Counters: maps.Clone(p.counters), Err: p.lastErr,
		PublishErr: p.publishErr, SiteErr: p.siteErr}
}

func (p *Process) failed(err error) {
	p.mu.Lock()
	p.lastErr = err
	p.mu.Unlock()
}

// Run runs the process's roles until ctx ends, then gives back its leases
// and slots and leaves the fleet's list. After a Reload, it starts the
// roles again with the new configuration.
func (p *Process) Run(ctx context.Context) error {
	// The fleet takes a process it has no heartbeat of for dead, and a
	// dead process takes no lease and no host slot: report first.
	p.beat(ctx)
	var hb sync.WaitGroup
	hb.Go(func() { p.heartbeat(ctx) })
	var err error
	for {
		var reloaded bool
		reloaded, err = p.runRoles(ctx)
		if !reloaded || ctx.Err() != nil {
			break
		}
		// The fetches dropped by the restart are claimed again at once.
		if err := p.opts.Store.ReleaseLeases(context.WithoutCancel(ctx), p.opts.Owner, nil); err != nil {
			p.opts.Logger.Warn("reload: give back the leases", "error", err)
		}
	}
	hb.Wait()
	p.mu.Lock()
	if p.fence != nil {
		p.fence.Stop()
	}
	p.mu.Unlock()
	leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(p.opts.Store.Leave(leave, p.opts.Owner), err)
}

// runRoles runs the roles with the configuration of now until ctx ends or
// a Reload restarts them (reloaded).
func (p *Process) runRoles(ctx context.Context) (reloaded bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.mu.Lock()
	cfg := p.cfg
	p.restart, p.reloading = cancel, false
	p.mu.Unlock()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	if p.opts.Role == RoleFetch || p.opts.Role == RoleAll {
		wg.Go(func() { errs <- p.fetchLoop(ctx, cfg) })
	}
	if p.opts.Role == RolePublish || p.opts.Role == RoleAll {
		wg.Go(func() { errs <- p.publishLoop(ctx, cfg) })
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) {
			err = errors.Join(err, e)
		}
	}
	p.mu.Lock()
	reloaded, p.restart = p.reloading, nil
	p.mu.Unlock()
	return reloaded, err
}

// Reload makes cfg the process's configuration: what it serves changes at
// once, and its roles start again with cfg (a fetch in flight is dropped,
// and its source fetched again; the publisher lock is given up and taken
// again). A configuration that cannot be served (the admin token file or
// the image proxy's key fails) is refused, and the running one kept. The
// store is the one the process opened: a changed store is logged and
// needs a restart.
func (p *Process) Reload(ctx context.Context, cfg config.Config) error {
	old := p.config()
	if cfg.StoreDSN() != old.StoreDSN() {
		p.opts.Logger.Warn("store changed; restart feedmill serve to apply it")
		cfg.Store = old.Store
	}
	w, err := p.web(ctx, cfg)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.cfg = cfg
	restart := p.restart
	p.reloading = restart != nil
	p.mu.Unlock()
	p.install(w)
	if restart != nil {
		restart()
	}
	return nil
}

// heartbeat reports the process alive every postgres.HeartbeatInterval
// until ctx ends.
func (p *Process) heartbeat(ctx context.Context) {
	t := time.NewTicker(postgres.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.beat(ctx)
	}
}

// beat reports the process alive, with its counters, and renews the
// leases of the sources it is fetching.
func (p *Process) beat(ctx context.Context) {
	s := p.Snapshot()
	p.mu.Lock()
	fetching := make([]int64, 0, len(p.fetching))
	for id := range p.fetching {
		fetching = append(fetching, id)
	}
	p.mu.Unlock()
	sent := time.Now()
	err := p.opts.Store.Heartbeat(ctx, postgres.Process{Owner: s.Owner, Role: s.Role, Started: s.Started, Publishing: s.Publishing, Counters: s.Counters}, fetching, p.opts.Lease)
	if err != nil {
		if ctx.Err() == nil {
			p.opts.Logger.Warn("heartbeat", "error", err)
		}
		return
	}
	// The store dated this heartbeat after sent: the fleet takes the
	// process for dead no sooner than postgres.DeadAfter after sent. Its
	// fetches stop a heartbeat before that, unless another lands.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.life == nil || p.life.Err() != nil {
		p.life, p.endLife = context.WithCancel(context.Background())
	}
	left := postgres.DeadAfter - postgres.HeartbeatInterval - time.Since(sent)
	if p.fence == nil {
		p.fence = time.AfterFunc(left, p.lapse)
	} else {
		p.fence.Reset(left)
	}
}

// lapse drops the fetches in flight: the heartbeat has not reached the
// store for so long that the fleet may take the process for dead, and
// give its hosts' slots to others.
func (p *Process) lapse() {
	p.mu.Lock()
	end := p.endLife
	p.mu.Unlock()
	if end != nil {
		p.opts.Logger.Warn("no heartbeat reached the store for 8s: fetches in flight dropped until one does")
		end()
	}
}

// alive returns the context of the process's life in the fleet (see
// life), or nil when the fleet may take it for dead.
func (p *Process) alive() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.life == nil || p.life.Err() != nil {
		return nil
	}
	return p.life
}

// track counts the sources of rows as fetched (in flight, by) for the
// heartbeat's renewal of their leases.
func (p *Process) track(rows []store.Source, by int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, row := range rows {
		if p.fetching[row.ID] += by; p.fetching[row.ID] <= 0 {
			delete(p.fetching, row.ID)
		}
	}
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ensureSources creates the rows of the configured sources that have
// none (or updates a changed URL), so that fetchers can claim them.
func ensureSources(ctx context.Context, st store.Store, sources []feed.Source) error {
	rows, err := st.Sources(ctx)
	if err != nil {
		return err
	}
	have := store.ByKey(rows)
	return st.Batch(ctx, func(tx store.Store) error {
		for _, src := range sources {
			if row, ok := have[src.Key()]; ok && row.URL == src.URL {
				continue
			}
			if _, err := tx.EnsureSource(ctx, src); err != nil {
				return err
			}
		}
		return nil
	})
}

// fetchLoop claims due sources and refreshes them without publishing,
// giving each lease back in the transaction that records its fetch.
func (p *Process) fetchLoop(ctx context.Context, cfg config.Config) error {
	st := p.opts.Store
	sources := cfg.FeedSources()
	byKey := make(map[string]feed.Source, len(sources))
	keys := make([]string, 0, len(sources))
	for _, src := range sources {
		byKey[src.Key()] = src
		keys = append(keys, src.Key())
	}
	// Before the rows are made by key: a source whose names changed but
	// whose URL did not keeps its row, and with it its items, posts and
	// fetch state, as on SQLite.
	renamed, err := refresh.AdoptRenamed(ctx, st, sources)
	if err != nil {
		return fmt.Errorf("fetcher: %w", err)
	}
	for _, r := range renamed {
		p.opts.Logger.Info("source renamed: same url, new names", "source", r.To, "from", r.From)
	}
	if err := ensureSources(ctx, st, sources); err != nil {
		return fmt.Errorf("fetcher: %w", err)
	}
	r := refresh.FromConfig(cfg, st, p.opts.Logger)
	fo := cfg.FetchOptions()
	// A slot held by a process that died is free once its heartbeat
	// stops (postgres.DeadAfter); hold, longer than any fetch, frees one
	// whose give-back a live process lost.
	fo.Hosts = st.HostGate(p.opts.Owner, cfg.PerHost, cfg.HostDelay.Std(), 2*fetchTimeout(fo)+30*time.Second)
	r.Fetch = fetch.New(fo)
	r.FetchOnly = true
	r.TempCleaned = true // a fetcher writes no file
	owner := p.opts.Owner
	// The transaction that records a group's fetches holds nothing but
	// fetch state (their items were stored durably before it, in the
	// transactions that staged them), so it commits without waiting for
	// the WAL flush. What a crash of the database server may lose of it
	// is the last fraction of a second of records: those sources' leases
	// run out and they are fetched again, their items already stored, and
	// the publisher cleans their bodies itself.
	r.Recorded = func(ctx context.Context, tx store.Store, ids []int64) error {
		pg := tx.(*postgres.Store)
		if err := pg.CommitLazily(ctx); err != nil {
			return err
		}
		return pg.ReleaseLeases(ctx, owner, ids)
	}
	// Two claim loops overlap, so that the workers have the next claim's
	// sources at hand while the last ones of a claim finish; the fetch
	// client's concurrency bounds them together.
	claim := 2 * max(1, cfg.Concurrency)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { p.claimLoop(ctx, r, byKey, keys, claim) })
	}
	wg.Wait()
	return ctx.Err()
}

// claimLoop claims up to claim due sources at a time and refreshes them.
func (p *Process) claimLoop(ctx context.Context, r *refresh.Runner, byKey map[string]feed.Source, keys []string, claim int) {
	st := p.opts.Store
	for ctx.Err() == nil {
		life := p.alive()
		if life == nil {
			// The store would refuse the claim too: a process the fleet
			// may take for dead takes no source.
			if sleep(ctx, p.opts.Poll) != nil {
				return
			}
			continue
		}
		rows, err := st.ClaimSources(ctx, p.opts.Owner, keys, time.Now(), claim, p.opts.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.failed(err)
			p.opts.Logger.Error("claim sources", "error", err)
			if sleep(ctx, p.opts.Poll) != nil {
				return
			}
			continue
		}
		if len(rows) == 0 {
			if sleep(ctx, p.opts.Poll) != nil {
				return
			}
			continue
		}
		batch := make([]feed.Source, len(rows))
		for i, row := range rows {
			batch[i] = byKey[row.Key]
		}
		// While they are fetched, the heartbeat renews their leases, so
		// that a fetch longer than a lease is not done twice.
		p.track(rows, 1)
		fetchCtx, stop := context.WithCancel(ctx)
		unlink := context.AfterFunc(life, stop)
		_, err = r.RunRows(fetchCtx, batch, rows, func(res refresh.Result) {
			p.metrics.Observe(res)
			p.add(CountFetched, 1)
			p.add(CountNewItems, int64(res.New))
			if res.Err != nil {
				p.add(CountFailed, 1)
			}
		})
		unlink()
		stop()
		p.track(rows, -1)
		if life.Err() != nil && ctx.Err() == nil {
			// Dropped by lapse: the sources not recorded are given back
			// if the store can be reached; else their leases run out.
			ids := make([]int64, len(rows))
			for i, row := range rows {
				ids[i] = row.ID
			}
			_ = st.ReleaseLeases(ctx, p.opts.Owner, ids)
			continue
		}
		if err != nil && ctx.Err() == nil {
			// The store failed: the leases left expire, and the sources
			// are fetched again.
			p.failed(err)
			p.opts.Logger.Error("fetch round", "error", err)
			if sleep(ctx, p.opts.Poll) != nil {
				return
			}
		}
	}
}

func fetchTimeout(o fetch.Options) time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return fetch.DefaultTimeout
}

// publishLoop waits for the publisher lock, then publishes the stored
// items' posts and builds the site round after round while it holds it.
func (p *Process) publishLoop(ctx context.Context, cfg config.Config) error {
	for ctx.Err() == nil {
		lock, err := p.opts.Store.TryPublisherLock(ctx)
		if errors.Is(err, postgres.ErrLockHeld) {
			if sleep(ctx, p.opts.Poll) != nil {
				break
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			p.failed(err)
			p.opts.Logger.Error("publisher lock", "error", err)
			if sleep(ctx, p.opts.Poll) != nil {
				break
			}
			continue
		}
		p.opts.Logger.Info("publishing: this process holds the publisher lock")
		p.add(CountTakeovers, 1)
		p.mu.Lock()
		p.publishing = true
		p.mu.Unlock()
		err = p.publish(ctx, cfg, lock)
		p.mu.Lock()
		p.publishing = false
		p.mu.Unlock()
		lock.Release(context.WithoutCancel(ctx))
		if err != nil && ctx.Err() == nil {
			p.failed(err)
			p.opts.Logger.Error("publisher", "error", err)
			if sleep(ctx, p.opts.Poll) != nil {
				break
			}
		}
	}
	return ctx.Err()
}

// publish runs publisher rounds while the lock is held.
func (p *Process) publish(ctx context.Context, cfg config.Config, lock *postgres.PublisherLock) error {
	st := p.opts.Store
	r := refresh.FromConfig(cfg, st, p.opts.Logger)
	// A publisher that died may have left temp files; its posts are
	// whole or absent, and the store says which were marked.
	if err := r.CleanTemp(); err != nil {
		p.mu.Lock()
		p.publishErr = err
		p.mu.Unlock()
		return err
	}
	byKey := map[string]feed.Source{}
	for _, src := range cfg.FeedSources() {
		byKey[src.Key()] = src
	}
	built := false
	var tried time.Time // the last failed build
	for ctx.Err() == nil {
		if !lock.Held(ctx) {
			return errors.New("lost the publisher lock")
		}
		posts, err := p.publishRound(ctx, r, byKey)
		if err != nil {
			return err
		}
		// A failed build is tried again with the next posts, or after
		// siteRetry.
		if !p.opts.NoSite && (posts > 0 || !built && time.Since(tried) >= siteRetry) {
			err := p.buildSite(ctx, cfg)
			if ctx.Err() != nil {
				break // stopped (a reload, or the end), not failed
			}
			if err != nil {
				p.opts.Logger.Error("site build failed; serving the last good pages", "error", err)
				tried = time.Now()
			}
			built = err == nil
			p.mu.Lock()
			p.siteErr = err
			p.mu.Unlock()
		}
		if posts == 0 {
			if sleep(ctx, p.opts.Poll) != nil {
				break
			}
		}
	}
	return ctx.Err()
}

// publishChunk is how many sources' posts are flushed together.
const publishChunk = 64

// siteRetry is how soon a failed site build is tried again when no new
// post asks for one.
const siteRetry = 5 * time.Second

// publishRound writes the posts of every source with unposted items. A
// round the store let finish sets the publish error /healthz reports:
// the output folder's failure, or none.
func (p *Process) publishRound(ctx context.Context, r *refresh.Runner, byKey map[string]feed.Source) (posts int, err error) {
	var failed error // the round's first post that could not be written
	defer func() {
		if err == nil {
			p.mu.Lock()
			p.publishErr = failed
			p.mu.Unlock()
		}
	}()
	st := p.opts.Store
	outputs, err := r.OutputIDs(ctx)
	if err != nil {
		return 0, err
	}
	ids, err := st.UnpostedSources(ctx, outputs)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	rows, err := st.Sources(ctx)
	if err != nil {
		return 0, err
	}
	keys := make(map[int64]string, len(rows))
	for _, row := range rows {
		keys[row.ID] = row.Key
	}
	// A flush and a transaction for every publishChunk sources, not one
	// each: a flush of the file system costs as much as many posts.
	var srcs []feed.Source
	var srcIDs []int64
	flush := func() error {
		results, err := r.PublishSources(ctx, srcs, srcIDs)
		for _, res := range results {
			posts += res.Posts
			p.add(CountPublished, int64(res.Posts))
			p.metrics.Published(res.Posts)
			if res.PublishErr != nil {
				if failed == nil {
					failed = fmt.Errorf("%s: %w", res.Source.Key(), res.PublishErr)
				}
				p.opts.Logger.Error("posts not written: the output folder failed; they are kept", "source", res.Source.Key(), "error", res.PublishErr)
			}
		}
		srcs, srcIDs = srcs[:0], srcIDs[:0]
		return err
	}
	for _, id := range ids {
		src, ok := byKey[keys[id]]
		if !ok {
			continue // no longer configured: its items wait
		}
		srcs, srcIDs = append(srcs, src), append(srcIDs, id)
		if len(srcs) == publishChunk {
			if err := flush(); err != nil {
				return posts, err
			}
		}
	}
	if len(srcs) > 0 {
		if err := flush(); err != nil {
			return posts, err
		}
	}
	return posts, nil
}

func (p *Process) buildSite(ctx context.Context, cfg config.Config) error {
	scfg, err := site.FromConfig(ctx, cfg, p.opts.Store)
	if err != nil {
		return err
	}
	stats, err := site.Build(ctx, p.opts.Store, scfg, site.Options{Logger: p.opts.Logger})
	if ctx.Err() != nil {
		return err // stopped, not failed
	}
	p.metrics.SiteBuild(stats, err)
	if err != nil {
		return err
	}
	p.add(CountSiteBuilds, 1)
	return nil
}
