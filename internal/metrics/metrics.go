// Package metrics is feedmill's Prometheus series, the same for feedmill
// serve on SQLite and for each process of a fleet over PostgreSQL:
// fetches, new items, posts, source errors, rounds, the sources by status
// and the site's builds, on a registry of the process's own (never
// prometheus.DefaultRegisterer, so that two daemons in one test binary do
// not share counters).
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/site"
)

// Fetch results, the values of the result label.
const (
	resultOK          = "ok"
	resultNotModified = "not_modified"
	resultError       = "error"
)

// Set is a process's series.
type Set struct {
	reg           *prometheus.Registry
	fetches       *prometheus.CounterVec
	fetchDuration *prometheus.HistogramVec
	published     prometheus.Counter
	newItems      prometheus.Counter
	sourceErrors  *prometheus.CounterVec
	rounds        prometheus.Counter
	roundDuration prometheus.Histogram
	lastRound     prometheus.Gauge
	sources       *prometheus.GaugeVec
	siteBuilds    *prometheus.CounterVec
	siteDuration  prometheus.Histogram
	sitePages     prometheus.Counter
}

// New returns the series, each at 0, on a registry of their own with
// the Go runtime's and the process's; the rounds' only after CountRounds.
func New() *Set {
	m := &Set{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_fetches_total",
			Help: "Source fetches by result: ok, not_modified (HTTP 304) or error.",
		}, []string{"result"}),
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "feedmill_fetch_duration_seconds",
			Help:    "Time to fetch and parse a source, by result.",
			Buckets: prometheus.ExponentialBuckets(0.025, 2, 11), // 25 ms … 25.6 s
		}, []string{"result"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedmill_items_published_total",
			Help: "Post files written.",
		}),
		newItems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedmill_items_new_total",
			Help: "Items stored for the first time.",
		}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_source_errors_total",
			Help: "Failed refreshes by source (group/source/channel).",
		}, []string{"source"}),
		rounds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedmill_rounds_total",
			Help: "Refresh rounds run: each fetches the sources that were due.",
		}),
		roundDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedmill_round_duration_seconds",
			Help:    "Time of a refresh round.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 12), // 0.1 s … 205 s
		}),
		lastRound: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedmill_last_round_timestamp_seconds",
			Help: "When the last refresh round ended, in Unix seconds.",
		}),
		sources: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "feedmill_sources",
			Help: "Configured sources by status: ok, failing, backing_off, waiting (the server asked to wait), paused (by an operator), never_fetched.",
		}, []string{"status"}),
		siteBuilds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_site_builds_total",
			Help: "Builds of the news site by result: ok or error.",
		}, []string{"result"}),
		siteDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedmill_site_build_duration_seconds",
			Help:    "Time of a successful build of the news site.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14), // 10 ms … 82 s
		}),
		sitePages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedmill_site_pages_written_total",
			Help: "Pages of the news site written because their bytes changed.",
		}),
	}
	m.reg.MustRegister(m.fetches, m.fetchDuration, m.published, m.newItems, m.sourceErrors,
		m.sources, m.siteBuilds, m.siteDuration, m.sitePages,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every result and status shows from the start, at 0, so that rate()
	// and alerts work before the first failure.
	for _, r := range []string{resultOK, resultNotModified, resultError} {
		m.fetches.WithLabelValues(r)
		m.fetchDuration.WithLabelValues(r)
	}
	m.siteBuilds.WithLabelValues(resultOK)
	m.siteBuilds.WithLabelValues(resultError)
	return m
}

// Registry is where the series are; a process adds its own collectors.
func (m *Set) Registry() *prometheus.Registry { return m.reg }

// SiteBuild counts a build of the site.
func (m *Set) SiteBuild(s site.Stats, err error) {
	if err != nil {
		m.siteBuilds.WithLabelValues(resultError).Inc()
		return
	}
	m.siteBuilds.WithLabelValues(resultOK).Inc()
	m.siteDuration.Observe(s.Duration.Seconds())
	m.sitePages.Add(float64(s.PagesWritten))
}

// Observe counts one source's refresh.
func (m *Set) Observe(r refresh.Result) {
	result := resultOK
	switch {
	case r.Err != nil:
		result = resultError
		m.sourceErrors.WithLabelValues(r.Source.Key()).Inc()
	case r.NotModified:
		result = resultNotModified
	}
	m.fetches.WithLabelValues(result).Inc()
	m.fetchDuration.WithLabelValues(result).Observe(r.Duration.Seconds())
	m.published.Add(float64(r.Posts))
	m.newItems.Add(float64(r.New))
}

// Published counts post files written apart from a fetch (a fleet's
// publisher).
func (m *Set) Published(n int) { m.published.Add(float64(n)) }

// CountRounds adds the rounds' series, for a process that runs rounds
// (feedmill serve on SQLite). A fleet's processes have none: a
// feedmill_last_round_timestamp_seconds stuck at 0 would set off the
// alerts made on it.
func (m *Set) CountRounds() {
	m.reg.MustRegister(m.rounds, m.roundDuration, m.lastRound)
}

// Round counts a finished round.
func (m *Set) Round(took time.Duration, end time.Time) {
	m.rounds.Inc()
	m.roundDuration.Observe(took.Seconds())
	m.lastRound.Set(float64(end.UnixNano()) / 1e9)
}

// KnowSource shows the source's error counter at 0 before its first
// failure, so that every documented series is on /metrics from the start.
func (m *Set) KnowSource(key string) { m.sourceErrors.WithLabelValues(key) }

// SetStatuses sets the per-status source counts.
func (m *Set) SetStatuses(counts map[schedule.Status]int) {
	for _, s := range schedule.Statuses {
		m.sources.WithLabelValues(s.Label()).Set(float64(counts[s]))
	}
}
