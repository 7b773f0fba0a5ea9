package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/schedule"
)

// Each fetch leaves the source's next due time in the store: the feed's
// <ttl> and the server's max-age are lower bounds, a 429 pauses the route
// it refused, and a 304 keeps the <ttl> learnt from the last change.
func TestRunRecordsSchedule(t *testing.T) {
	const rss = `<rss version="2.0"><channel><title>t</title><ttl>120</ttl><item><title>a</title><guid>a</guid></item></channel></rss>`
	mux := http.NewServeMux()
	mux.HandleFunc("/ttl", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte(rss))
	})
	mux.HandleFunc("/maxage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10800")
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>b</title><guid>b</guid></item></channel></rss>`))
	})
	mux.HandleFunc("/limited", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := newRunner(t, t.TempDir())
	r.Now = func() time.Time { return now }
	sources := []feed.Source{
		{Group: "g", Name: "s", Channel: "ttl", URL: srv.URL + "/ttl", Interval: 30 * time.Minute},
		{Group: "g", Name: "s", Channel: "maxage", URL: srv.URL + "/maxage", Interval: 30 * time.Minute},
		{Group: "g", Name: "s", Channel: "limited", URL: srv.URL + "/limited", Interval: 30 * time.Minute},
	}
	want := []struct {
		wait   time.Duration
		paused bool
	}{{2 * time.Hour, false}, {3 * time.Hour, false}, {2 * time.Hour, true}}
	for round := range 2 {
		results, err := r.Run(t.Context(), sources, nil)
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 && !results[0].NotModified {
			t.Errorf("round 2: %s was not a 304", sources[0].Key())
		}
		rows, err := r.Store.Sources(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		byKey := map[string]int{}
		for i, row := range rows {
			byKey[row.Key] = i
		}
		for i, w := range want {
			row := rows[byKey[sources[i].Key()]]
			if got := row.NextDue.Sub(now); got != w.wait || !results[i].Schedule.NextDue.Equal(row.NextDue) {
				t.Errorf("round %d: %s due after %v (result says %v), want %v", round+1, row.Key, got, results[i].Schedule.NextDue.Sub(now), w.wait)
			}
			if got := schedule.StatusOf(row, now); (got == schedule.Paused) != w.paused {
				t.Errorf("round %d: %s status %q, paused want %v", round+1, row.Key, got, w.paused)
			}
		}
	}
}
