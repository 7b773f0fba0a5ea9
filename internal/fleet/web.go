package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/feedmill/feedmill/internal/admin"
	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/postgres"
)

// View is the fleet as the database shows it: its processes, the
// publisher, and the leases held.
type View struct {
	Self      Snapshot
	Publisher string
	Processes []postgres.Process
	Leases    []LeaseView
}

// LeaseView is a held lease with its source's key.
type LeaseView struct {
	Source string    `json:"source"`
	Owner  string    `json:"owner"`
	Until  time.Time `json:"until"`
}

// processWindow is how long a process that stopped reporting stays in
// the views: as long as the fleet takes it for alive.
const processWindow = postgres.DeadAfter

// Look reads the fleet's state.
func Look(ctx context.Context, st *postgres.Store) (View, error) {
	var v View
	var err error
	if v.Publisher, err = st.Publisher(ctx); err != nil {
		return v, err
	}
	if v.Processes, err = st.Processes(ctx, processWindow); err != nil {
		return v, err
	}
	leases, err := st.Leases(ctx)
	if err != nil {
		return v, err
	}
	if len(leases) > 0 {
		rows, err := st.Sources(ctx)
		if err != nil {
			return v, err
		}
		for _, row := range rows {
			if l, ok := leases[row.ID]; ok {
				v.Leases = append(v.Leases, LeaseView{Source: row.Key, Owner: l.Owner, Until: l.Until})
			}
		}
	}
	return v, nil
}

// Handler serves the process's /healthz and /metrics with the fleet's
// state; /admin, the sources with the fleet's processes and leases, and
// fetch now, pause and resume with admin_token; and on a publisher
// (unless NoSite) the site from site.dir, under its base URL, with the
// builtin image proxy. A Reload replaces the site and /admin with the new
// configuration's. It fails when the admin token file cannot be read or
// the image proxy's key cannot be had.
func (p *Process) Handler(ctx context.Context) (http.Handler, error) {
	w, err := p.web(ctx, p.config())
	if err != nil {
		return nil, err
	}
	p.install(w)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", p.healthz)
	mux.Handle("GET /metrics", p.metricsHandler())
	mux.Handle("/admin", &p.admin)
	mux.Handle("/admin/", &p.admin)
	if p.servesSite() {
		mux.Handle("/", &p.site)
	}
	return mux, nil
}

// servesSite says whether the process serves the site: a publisher does,
// unless NoSite.
func (p *Process) servesSite() bool {
	return p.opts.Role != RoleFetch && !p.opts.NoSite
}

// web is what one configuration serves besides /healthz and /metrics.
type web struct {
	site  http.Handler // nil when the process serves no site
	admin http.Handler
}

func (p *Process) web(ctx context.Context, cfg config.Config) (web, error) {
	token, err := cfg.AdminSecret()
	if err != nil {
		return web{}, fmt.Errorf("admin token: %w", err)
	}
	sources := cfg.FeedSources()
	keys := make([]string, len(sources))
	for i, src := range sources {
		keys[i] = src.Key()
	}
	w := web{admin: admin.Handler(admin.Options{
		Store:    p.opts.Store,
		Keys:     keys,
		Token:    token,
		Location: cfg.Location(),
		Logger:   p.opts.Logger,
		FetchNow: p.fetchNow,
		NextDue:  func(src store.Source) time.Time { return src.NextDue },
		Fleet:    p.fleet,
	})}
	if !p.servesSite() {
		return w, nil
	}
	sc, err := site.FromConfig(ctx, cfg, p.opts.Store)
	if err != nil {
		return web{}, err
	}
	w.site = site.HandlerWithProxy(sc, imgproxy.Options{UserAgent: cfg.UserAgent, Logger: p.opts.Logger})
	return w, nil
}

func (p *Process) install(w web) {
	p.admin.Set(w.admin)
	if w.site != nil {
		p.site.Set(w.site)
	}
}

// fetchNow is /admin's "fetch now": the source is due at once, and the
// first fetcher that looks (within Poll) claims it.
func (p *Process) fetchNow(ctx context.Context, src store.Source) error {
	if src.Paused {
		return errors.New("the source is paused; resume it first")
	}
	if !slices.ContainsFunc(p.config().FeedSources(), func(s feed.Source) bool { return s.Key() == src.Key }) {
		return errors.New("the source is no longer in the configuration")
	}
	return p.opts.Store.FetchNow(ctx, src.ID, time.Now())
}

// fleet is the fleet's state for /admin.
func (p *Process) fleet(ctx context.Context) (admin.Fleet, error) {
	self := p.Snapshot()
	f := admin.Fleet{Self: self.Owner, Role: self.Role}
	var err error
	if f.Publisher, err = p.opts.Store.Publisher(ctx); err != nil {
		return f, err
	}
	procs, err := p.opts.Store.Processes(ctx, processWindow)
	if err != nil {
		return f, err
	}
	for _, pr := range procs {
		f.Processes = append(f.Processes, admin.Process{Owner: pr.Owner, Role: pr.Role, Publishing: pr.Publishing, Started: pr.Started, Seen: pr.Seen, Counters: pr.Counters})
	}
	leases, err := p.opts.Store.Leases(ctx)
	if err != nil {
		return f, err
	}
	f.Leases = make(map[int64]admin.Lease, len(leases))
	for id, l := range leases {
		f.Leases[id] = admin.Lease{Owner: l.Owner, Until: l.Until}
	}
	return f, nil
}

// view is the fleet's state with this process's, and the configured
// sources by status (nil when the store fails).
func (p *Process) view(ctx context.Context) (View, map[schedule.Status]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := Look(ctx, p.opts.Store)
	v.Self = p.Snapshot()
	if err != nil {
		return v, nil, err
	}
	rows, err := p.opts.Store.Sources(ctx)
	if err != nil {
		return v, nil, err
	}
	sources := p.config().FeedSources()
	keys := make([]string, len(sources))
	for i, src := range sources {
		keys[i] = src.Key()
	}
	return v, schedule.Count(keys, store.ByKey(rows), time.Now()), nil
}

func (p *Process) healthz(w http.ResponseWriter, r *http.Request) {
	v, counts, err := p.view(r.Context())
	body := map[string]any{
		"status":         "ok",
		"version":        p.opts.Version,
		"uptime_seconds": int64(time.Since(p.started).Seconds()),
		"sources":        len(p.config().Sources),
		"owner":          v.Self.Owner,
		"role":           v.Self.Role,
		"publishing":     v.Self.Publishing,
		"publisher":      v.Publisher,
		"counters":       v.Self.Counters,
		"processes":      len(v.Processes),
		"leases":         v.Leases,
	}
	if v.Leases == nil {
		body["leases"] = []LeaseView{} // [], not null, when none is held
	}
	if counts != nil {
		// Every status, 0 too, as on SQLite: a check reading
		// statuses.failing finds 0 rather than nothing.
		statuses := map[string]int{}
		for _, st := range schedule.Statuses {
			statuses[st.Label()] = counts[st]
		}
		body["statuses"] = statuses
	}
	code := http.StatusOK
	// 503 while someone has to act: the store fails, or, on the
	// publisher, posts cannot be written or the site cannot be built.
	if err != nil {
		body["error"] = err.Error()
		code = http.StatusServiceUnavailable
	} else if v.Self.Err != nil {
		body["last_error"] = v.Self.Err.Error()
	}
	if e := v.Self.PublishErr; e != nil {
		body["publish_error"] = e.Error()
		code = http.StatusServiceUnavailable
	}
	if e := v.Self.SiteErr; e != nil {
		body["site_error"] = e.Error()
		code = http.StatusServiceUnavailable
	}
	if code != http.StatusOK {
		body["status"] = "error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

// metricsHandler is /metrics: feedmill serve's series on SQLite (the
// fetches, items and site builds of this process; the sources by status
// of the whole fleet, from the store) and the fleet's own.
func (p *Process) metricsHandler() http.Handler {
	return promhttp.HandlerFor(gatherer{p}, promhttp.HandlerOpts{})
}

// gatherer reads the fleet's state from the store at each scrape.
type gatherer struct{ p *Process }

func (g gatherer) Gather() ([]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, counts, err := g.p.view(ctx)
	for _, src := range g.p.config().FeedSources() {
		g.p.metrics.KnowSource(src.Key())
	}
	if err == nil {
		g.p.metrics.SetStatuses(counts)
	}
	g.p.mu.Lock()
	g.p.scraped, g.p.scrapeErr = v, err
	g.p.mu.Unlock()
	return g.p.metrics.Registry().Gather()
}

// fleetCollector gives the fleet's series from the state the scrape read.
// It describes none ahead: its leases' owners change.
type fleetCollector struct{ p *Process }

func (fleetCollector) Describe(chan<- *prometheus.Desc) {}

var (
	descPublishing = prometheus.NewDesc("feedmill_fleet_publishing", "1 while this process holds the publisher lock.", []string{"owner"}, nil)
	descProcesses  = prometheus.NewDesc("feedmill_fleet_processes", "Processes of the fleet that reported within the last 30 s.", nil, nil)
	descLeases     = prometheus.NewDesc("feedmill_fleet_leases", "Live leases by the process holding them.", []string{"owner"}, nil)
)

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	c.p.mu.Lock()
	v, err := c.p.scraped, c.p.scrapeErr
	c.p.mu.Unlock()
	s := c.p.Snapshot()
	for _, name := range []string{CountFetched, CountFailed, CountNewItems, CountPublished, CountTakeovers, CountSiteBuilds} {
		desc := prometheus.NewDesc("feedmill_fleet_"+name+"_total", "This process's "+strings.ReplaceAll(name, "_", " ")+".", []string{"owner", "role"}, nil)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(s.Counters[name]), s.Owner, s.Role)
	}
	pub := 0.0
	if s.Publishing {
		pub = 1
	}
	ch <- prometheus.MustNewConstMetric(descPublishing, prometheus.GaugeValue, pub, s.Owner)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descProcesses, prometheus.GaugeValue, float64(len(v.Processes)))
	held := map[string]int{}
	for _, l := range v.Leases {
		held[l.Owner]++
	}
	for owner, n := range held {
		ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(n), owner)
	}
}
