package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/refresh"
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
			if got := schedule.StatusOf(row, now); (got == schedule.Waiting) != w.paused {
				t.Errorf("round %d: %s status %q, waiting want %v", round+1, row.Key, got, w.paused)
			}
		}
	}
}

// A refusal is no error of the source's: a route answering 429 with
// Retry-After: 30 three times in a row is paused 30 s each time, never
// backs off for hours, and one success later is plainly ok. Real errors
// still count, and a refusal between them neither adds to nor resets the
// count.
func TestRefusalsDoNotBackOff(t *testing.T) {
	var answers []int // status codes to give, in order
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := answers[0]
		answers = answers[1:]
		switch code {
		case http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(code)
		case http.StatusOK:
			w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>a</title><guid>a</guid></item></channel></rss>`))
		default:
			w.WriteHeader(code)
		}
	}))
	defer srv.Close()

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := newRunner(t, t.TempDir())
	r.Now = func() time.Time { return now }
	src := feed.Source{Group: "g", Name: "s", Channel: "c", URL: srv.URL, Interval: 10 * time.Second}
	steps := []struct {
		code   int
		wait   time.Duration // until due again
		errors int
		status schedule.Status
	}{
		{429, 30 * time.Second, 0, schedule.Waiting},
		{429, 30 * time.Second, 0, schedule.Waiting},
		{429, 30 * time.Second, 0, schedule.Waiting},
		{200, 10 * time.Second, 0, schedule.OK},
		{500, 10 * time.Second, 1, schedule.Failing},
		{500, 10 * time.Second, 2, schedule.Failing},
		{429, 30 * time.Second, 2, schedule.Waiting},
		{500, 3 * time.Hour, 3, schedule.BackingOff},
		{200, 10 * time.Second, 0, schedule.OK},
	}
	for i, s := range steps {
		answers = append(answers, s.code)
		res, err := r.Run(t.Context(), []feed.Source{src}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := r.Store.Sources(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		row := rows[0]
		if got := row.NextDue.Sub(now); got != s.wait {
			t.Errorf("step %d (%d): due again after %v, want %v", i+1, s.code, got, s.wait)
		}
		if row.ConsecutiveErrors != s.errors {
			t.Errorf("step %d (%d): %d consecutive errors, want %d", i+1, s.code, row.ConsecutiveErrors, s.errors)
		}
		// The status the daemon's /healthz and feedmill sources show,
		// just after the fetch and just before the pause ends.
		for _, at := range []time.Time{now, row.NextDue.Add(-time.Second)} {
			if got := schedule.StatusOf(row, at); got != s.status {
				t.Errorf("step %d (%d): status %q at +%v, want %q", i+1, s.code, got, at.Sub(now), s.status)
			}
		}
		if s.code == 429 && (res[0].Err == nil || !res[0].Schedule.PausedUntil.Equal(now.Add(30*time.Second))) {
			t.Errorf("step %d: result %+v, want a refusal paused for 30s", i+1, res[0])
		}
		now = row.NextDue
	}
}

// A source whose fetch hangs holds back only itself: the other source's
// post is written, flushed and reported while the hanging fetch still
// waits for its answer.
func TestHangingSourceHoldsBackOnlyItself(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>Post` + strings.ReplaceAll(r.URL.Path, "/", " ") + `</title><guid>x</guid></item></channel></rss>`))
	}))
	defer srv.Close()
	out := t.TempDir()
	r := newRunner(t, out)
	sources := []feed.Source{
		{Group: "g", Name: "s", Channel: "hang", URL: srv.URL + "/hang"},
		{Group: "g", Name: "s", Channel: "fast", URL: srv.URL + "/fast"},
	}
	reported := make(chan string, 2)
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(t.Context(), sources, func(res refresh.Result) { reported <- res.Source.Channel })
		done <- err
	}()
	if got := <-reported; got != "fast" {
		t.Fatalf("first reported %q, want fast", got)
	}
	if _, err := os.Stat(filepath.Join(out, "g", "s", "fast", "Post fast.md")); err != nil {
		t.Errorf("the fast source was reported before its post was in place: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := <-reported; got != "hang" {
		t.Errorf("then reported %q, want hang", got)
	}
}
