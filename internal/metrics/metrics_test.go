package metrics

import "testing"

// Every documented metric name is on /metrics from the start, before the
// first fetch or failure, so that a scrape or an alert can rely on it.
func TestMetricsShowFromStart(t *testing.T) {
	m := New()
	m.CountRounds()
	m.KnowSource("g/s/c")
	m.SetStatuses(nil)
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}
	for _, name := range []string{
		"feedmill_fetches_total", "feedmill_fetch_duration_seconds", "feedmill_items_published_total",
		"feedmill_items_new_total", "feedmill_source_errors_total", "feedmill_sources", "feedmill_rounds_total",
		"feedmill_round_duration_seconds", "feedmill_last_round_timestamp_seconds", "feedmill_site_builds_total",
		"feedmill_site_build_duration_seconds", "feedmill_site_pages_written_total",
	} {
		if !have[name] {
			t.Errorf("%s is not on /metrics at start", name)
		}
	}
}
