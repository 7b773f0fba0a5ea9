package fleet_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fleet"
	"github.com/feedmill/feedmill/internal/store/postgres"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
)

// /healthz, /metrics and /admin show the fleet: the processes, the
// publisher and the leases held.
func TestViewsShowTheFleet(t *testing.T) {
	dsn := pgtest.Database(t)
	st, err := postgres.Open(t.Context(), dsn+"&application_name=pub:1")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://example.com/a"}); err != nil {
		t.Fatal(err)
	}
	// Fetchers claim only once alive to the fleet.
	for _, owner := range []string{"fetcher:7", "fetcher:8"} {
		if err := st.Heartbeat(t.Context(), postgres.Process{Owner: owner, Role: "fetch", Started: time.Now(), Counters: map[string]int64{fleet.CountFetched: 5}}, nil, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := st.ClaimSources(t.Context(), "fetcher:7", []string{"g/s/c"}, time.Now(), 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimSources = %v, %v", claimed, err)
	}
	if again, err := st.ClaimSources(t.Context(), "fetcher:8", []string{"g/s/c"}, time.Now(), 10, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("a leased source was claimed again: %v, %v", again, err)
	}
	if err := st.Leave(t.Context(), "fetcher:8"); err != nil {
		t.Fatal(err)
	}
	lock, err := st.TryPublisherLock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release(t.Context())
	if _, err := st.TryPublisherLock(t.Context()); err != postgres.ErrLockHeld {
		t.Errorf("a second publisher lock: %v, want ErrLockHeld", err)
	}
	cfg := loadConfig(t, t.TempDir(), dsn, "", "  - {group: g, source: s, channel: c, url: https://example.com/a}\n")
	p := fleet.New(fleet.Options{Config: cfg, Store: st, Role: fleet.RolePublish, Owner: "pub:1", NoSite: true, Version: "test"})
	h, err := p.Handler(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		// The statuses, as on SQLite, count the configured sources from
		// the store.
		"/healthz": {`"publisher":"pub:1"`, `"leases":[{"source":"g/s/c","owner":"fetcher:7","until":"`, `"role":"publish"`, `"sources":1`, `"never_fetched":1`, `"failing":0`, `"version":"test"`},
		"/metrics": {`feedmill_fleet_leases{owner="fetcher:7"} 1`, `feedmill_fleet_processes 1`, `feedmill_fleet_sources_fetched_total{owner="pub:1",role="publish"} 0`,
			`feedmill_sources{status="never_fetched"} 1`, `feedmill_sources{status="ok"} 0`,
			// And the rest of serve's series on SQLite, from the start.
			`feedmill_fetches_total{result="error"} 0`, `feedmill_source_errors_total{source="g/s/c"} 0`, `feedmill_items_published_total 0`,
			`feedmill_site_builds_total{result="ok"} 0`, "go_goroutines"},
		"/admin": {"发布者 publisher: <strong>pub:1</strong>", "<strong>g/s/c</strong>", "<strong>fetcher:7</strong>", "sources_fetched 5", ">fetcher:7 ("},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", path, rec.Code)
		}
		for _, w := range want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("%s lacks %q:\n%s", path, w, rec.Body.String())
			}
		}
		// A fleet has no rounds: a last round stuck at 0 would set off
		// the alerts made on it.
		if path == "/metrics" && strings.Contains(rec.Body.String(), "feedmill_last_round_timestamp_seconds") {
			t.Errorf("/metrics of a fleet process has the rounds' series")
		}
	}
	if err := st.Leave(t.Context(), "fetcher:7"); err != nil {
		t.Fatal(err)
	}
	if leases, _ := st.Leases(t.Context()); len(leases) != 0 {
		t.Errorf("leases after Leave: %v", leases)
	}
}
