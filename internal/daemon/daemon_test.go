package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/daemon"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// feeds is an RSSHub stand-in: every route on one host, counting its
// requests.
type feeds struct {
	mu   sync.Mutex
	hits map[string]int
}

func (f *feeds) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[route]
}

func (f *feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	n := f.hits[r.URL.Path]
	f.mu.Unlock()
	switch r.URL.Path {
	case "/refusing":
		if n <= 3 { // three refusals, then the feed
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
	case "/limited":
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case "/slow":
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return
	}
	if r.Header.Get("If-None-Match") == `"1"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", `"1"`)
	fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><title>Post of %[1]s</title><guid>%[1]s-1</guid><description>&lt;p&gt;%[1]s&lt;/p&gt;</description></item></channel></rss>`, strings.Trim(r.URL.Path, "/"))
}

// setup writes a configuration with the routes as sources under dir.
func writeConfig(t *testing.T, dir, base string, routes ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "rsshub: %s\nmin_interval: 1s\ninterval: 1s\nstore: feedmill.db\noutput:\n  dir: posts\nsources:\n", base)
	for _, r := range routes {
		fmt.Fprintf(&b, "  - {group: g, source: s, channel: %s, url: /%s}\n", r, r)
	}
	path := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type running struct {
	d    *daemon.Daemon
	st   store.Store
	base string // http://addr
	stop context.CancelFunc
	done chan error
}

func start(t *testing.T, cfgPath string) *running {
	t.Helper()
	return startWith(t, cfgPath, daemon.Options{})
}

// startWith starts a daemon with opts, whose Config, Store and Version it
// fills in.
func startWith(t *testing.T, cfgPath string, opts daemon.Options) *running {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), cfg.Path(cfg.Store))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.Config, opts.Store, opts.Version = cfg, st, "test"
	d := daemon.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{d: d, st: st, base: "http://" + ln.Addr().String(), stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// shutdown cancels the daemon and checks that it stops cleanly in time.
func (r *running) shutdown(t *testing.T, within time.Duration) {
	t.Helper()
	begin := time.Now()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		if err != nil {
			t.Errorf("Run = %v, want nil after a cancel", err)
		}
		if took := time.Since(begin); took > within {
			t.Errorf("shutdown took %v, want under %v", took, within)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop within 10s of its cancel")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func health(t *testing.T, base string) map[string]any {
	t.Helper()
	code, body := get(t, base+"/healthz")
	if code != http.StatusOK {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	var h map[string]any
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/healthz is not JSON: %v: %s", err, body)
	}
	return h
}

// waitFor polls cond every 50 ms for up to 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric returns the value of one series in a /metrics page.
func metric(t *testing.T, page, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in /metrics", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestServe(t *testing.T) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, srv.URL, "a", "b", "limited")
	r := start(t, cfgPath)

	// Rounds follow the 1 s interval: a and b are fetched again and
	// again, while the route that answered 429 with Retry-After: 3600
	// stays paused although it is on the same host.
	// A round is counted once it is done (posts written, site built),
	// after its fetches: wait for both.
	waitFor(t, "three fetches of each good route, in three finished rounds", func() bool {
		if f.count("/a") < 3 || f.count("/b") < 3 {
			return false
		}
		rounds, _ := health(t, r.base)["rounds"].(float64)
		return rounds >= 3
	})
	if n := f.count("/limited"); n != 1 {
		t.Errorf("the refused route was fetched %d times, want 1", n)
	}
	h := health(t, r.base)
	if h["status"] != "ok" || h["sources"] != 3.0 || h["rounds"].(float64) < 3 {
		t.Errorf("/healthz = %v", h)
	}
	if st, _ := h["statuses"].(map[string]any); st["waiting"] != 1.0 || st["ok"] != 2.0 || st["failing"] != 0.0 || st["backing_off"] != 0.0 || st["paused"] != 0.0 || st["never_fetched"] != 0.0 {
		t.Errorf("/healthz statuses = %v, want 2 ok, 1 waiting and every other status 0", h["statuses"])
	}

	_, page := get(t, r.base+"/metrics")
	if v := metric(t, page, `feedmill_fetches_total{result="ok"}`); v != 2 {
		t.Errorf("ok fetches = %v, want 2 (then 304s)", v)
	}
	if v := metric(t, page, `feedmill_fetches_total{result="not_modified"}`); v < 4 {
		t.Errorf("not modified fetches = %v, want at least 4", v)
	}
	if v := metric(t, page, `feedmill_fetches_total{result="error"}`); v != 1 {
		t.Errorf("failed fetches = %v, want 1", v)
	}
	if v := metric(t, page, `feedmill_source_errors_total{source="g/s/limited"}`); v != 1 {
		t.Errorf("errors of g/s/limited = %v, want 1", v)
	}
	// A source that never failed has its error series, at 0, and a result
	// never seen has its duration series: every documented name shows.
	if v := metric(t, page, `feedmill_source_errors_total{source="g/s/a"}`); v != 0 {
		t.Errorf("errors of g/s/a = %v, want 0", v)
	}
	if v := metric(t, page, `feedmill_fetch_duration_seconds_count{result="error"}`); v != 1 {
		t.Errorf("failed fetch duration observations = %v, want 1", v)
	}
	if v := metric(t, page, `feedmill_items_published_total`); v != 2 {
		t.Errorf("items published = %v, want 2", v)
	}
	if v := metric(t, page, `feedmill_fetch_duration_seconds_count{result="ok"}`); v != 2 {
		t.Errorf("fetch duration observations = %v, want 2", v)
	}
	if v := metric(t, page, `feedmill_sources{status="waiting"}`); v != 1 {
		t.Errorf("sources waiting for their server = %v, want 1", v)
	}
	if !strings.Contains(page, "go_goroutines") {
		t.Error("no Go runtime metrics")
	}

	// A reload adds a source, which is fetched at once; a broken file is
	// refused and the running configuration stays.
	writeConfig(t, dir, srv.URL, "a", "b", "limited", "c")
	if err := r.d.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new source's post", func() bool {
		_, err := os.Stat(filepath.Join(dir, "posts", "g", "s", "c", "Post of c.md"))
		return err == nil
	})
	if err := os.WriteFile(cfgPath, []byte("sources: [oops"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.d.Reload(); err == nil {
		t.Error("a broken configuration was accepted")
	}
	if h := health(t, r.base); h["sources"] != 4.0 {
		t.Errorf("after a failed reload /healthz = %v, want the 4 sources still", h)
	}
	before := f.count("/c")
	waitFor(t, "c fetched after the failed reload", func() bool { return f.count("/c") > before })

	r.shutdown(t, 3*time.Second)
	for _, ch := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, "posts", "g", "s", ch, "Post of "+ch+".md")
		if _, err := os.Stat(p); err != nil {
			t.Errorf("post of %s: %v", ch, err)
		}
	}
}

// A stop in the middle of a fetch cancels it at once, and a cancelled
// fetch is not the source's failure.
func TestShutdownCancelsFetches(t *testing.T) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	r := start(t, writeConfig(t, dir, srv.URL, "a", "slow"))
	waitFor(t, "the slow fetch to start and a to be published", func() bool {
		_, err := os.Stat(filepath.Join(dir, "posts", "g", "s", "a", "Post of a.md"))
		return f.count("/slow") == 1 && err == nil
	})
	r.shutdown(t, 2*time.Second)

	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.ConsecutiveErrors != 0 || row.LastError != "" {
			t.Errorf("%s: %d errors, last %q: a stop counted as a failure", row.Key, row.ConsecutiveErrors, row.LastError)
		}
		if row.Key == "g/s/slow" && !row.NextDue.IsZero() {
			t.Errorf("the cancelled source got a next due time %v; it should be due at the next start", row.NextDue)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})
}

// While the first round is still running (a slow source holds it up),
// /healthz and /metrics already show the sources by status.
func TestStatusesDuringFirstRound(t *testing.T) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfgPath := writeConfig(t, t.TempDir(), srv.URL, "a", "slow")
	r := start(t, cfgPath)
	waitFor(t, "the slow route to be asked", func() bool { return f.count("/slow") >= 1 })
	h := health(t, r.base)
	if h["rounds"] != 0.0 {
		t.Fatalf("the first round ended already: %v", h)
	}
	if st, _ := h["statuses"].(map[string]any); st["never_fetched"] != 2.0 {
		t.Errorf("/healthz statuses during the first round = %v, want 2 never fetched", h["statuses"])
	}
	_, page := get(t, r.base+"/metrics")
	if v := metric(t, page, `feedmill_sources{status="never_fetched"}`); v != 2 {
		t.Errorf("never fetched sources = %v, want 2", v)
	}
	r.shutdown(t, 5*time.Second)
}

// A route refused three times in a row (429, Retry-After: 1) is paused a
// second each time and then fetched: /healthz never says it backs off,
// and says ok once it answers.
func TestRefusedRouteDoesNotBackOff(t *testing.T) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfgPath := writeConfig(t, t.TempDir(), srv.URL, "refusing")
	r := start(t, cfgPath)
	waitFor(t, "the route to answer after three refusals", func() bool {
		h := health(t, r.base)
		st, _ := h["statuses"].(map[string]any)
		if st == nil {
			return false // not counted yet
		}
		if st["backing_off"] != 0.0 || st["failing"] != 0.0 {
			t.Fatalf("/healthz statuses after %d requests: %v", f.count("/refusing"), st)
		}
		return f.count("/refusing") >= 4 && st["ok"] == 1.0
	})
	rows, err := r.st.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ConsecutiveErrors != 0 || rows[0].NextDue.Sub(rows[0].LastSuccess) > time.Minute {
		t.Errorf("row after the refusals and a success: %+v", rows)
	}
	r.shutdown(t, 5*time.Second)
}

// An output folder that cannot be written is the installation's failure,
// not the source's: /healthz answers 503 naming it while the source stays
// ok with no error counted, and once the folder works the pending post is
// written within seconds, without fetching the source again. With several
// outputs, the others get their posts meanwhile.
func TestOutputFailureIsNotTheSources(t *testing.T) {
	for _, c := range []struct {
		name, output string
		other        string // a working output's post (a glob), "" for none
	}{
		{"one output", "output:\n  dir: posts\n", ""},
		{"two outputs", "outputs:\n  - {format: hexo, dir: posts}\n  - {format: jekyll, dir: site/_posts}\n", "site/_posts/*-Post-of-a.html"},
	} {
		t.Run(c.name, func(t *testing.T) { testOutputFailure(t, c.output, c.other) })
	}
}

func testOutputFailure(t *testing.T, output, other string) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	// A file where the output folder should be: no post can be written,
	// even by root.
	posts := filepath.Join(dir, "posts")
	if err := os.WriteFile(posts, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("rsshub: %s\ninterval: 1h\nstore: feedmill.db\n%ssources:\n  - {group: g, source: s, channel: a, url: /a}\n", srv.URL, output)
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startWith(t, cfgPath, daemon.Options{NoSite: true})
	var h map[string]any
	waitFor(t, "/healthz to report the output folder", func() bool {
		code, body := get(t, r.base+"/healthz")
		h = nil
		json.Unmarshal([]byte(body), &h)
		return code == http.StatusServiceUnavailable && h["publish_error"] != nil
	})
	if st, _ := h["statuses"].(map[string]any); st["failing"] != 0.0 || st["backing_off"] != 0.0 {
		t.Errorf("statuses while the output folder fails: %v", st)
	}
	rows, err := r.st.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ConsecutiveErrors != 0 || rows[0].LastError != "" {
		t.Errorf("the source was blamed: %+v", rows)
	}
	if other != "" {
		if got, _ := filepath.Glob(filepath.Join(dir, other)); len(got) != 1 {
			t.Errorf("the working output has %q, want its post", got)
		}
	}

	if err := os.Remove(posts); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pending post and /healthz ok", func() bool {
		_, err := os.Stat(filepath.Join(posts, "g", "s", "a", "Post of a.md"))
		code, _ := get(t, r.base+"/healthz")
		return err == nil && code == http.StatusOK
	})
	if n := f.count("/a"); n != 1 {
		t.Errorf("the source was fetched %d times, want once: its post waited for the folder, not for a fetch", n)
	}
	r.shutdown(t, 5*time.Second)
}

// An output added to the configuration gets the stored items' posts at
// once, on a reload and at a start, not at each source's next fetch
// (interval: 1h here).
func TestAddedOutputIsWrittenWithoutAFetch(t *testing.T) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	write := func(outputs string) {
		t.Helper()
		cfg := fmt.Sprintf("rsshub: %s\ninterval: 1h\nstore: feedmill.db\n%ssources:\n  - {group: g, source: s, channel: a, url: /a}\n", srv.URL, outputs)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(glob string) func() bool {
		return func() bool {
			got, _ := filepath.Glob(filepath.Join(dir, glob))
			return len(got) == 1
		}
	}
	write("outputs:\n  - {format: hexo, dir: posts}\n")
	r := startWith(t, cfgPath, daemon.Options{NoSite: true})
	waitFor(t, "the hexo post", exists("posts/g/s/a/Post of a.md"))

	write("outputs:\n  - {format: hexo, dir: posts}\n  - {format: jekyll, dir: site/_posts}\n")
	if err := r.d.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the jekyll post after a reload", exists("site/_posts/*-Post-of-a.html"))
	r.shutdown(t, 5*time.Second)

	write("outputs:\n  - {format: hexo, dir: posts}\n  - {format: jekyll, dir: site/_posts}\n  - {format: hugo, dir: content}\n")
	r = startWith(t, cfgPath, daemon.Options{NoSite: true})
	waitFor(t, "the hugo post after a start", exists("content/posts/g/s/a/post-of-a.html"))
	r.shutdown(t, 5*time.Second)
	if n := f.count("/a"); n != 1 {
		t.Errorf("the source was fetched %d times, want once: the new outputs' posts came from the store", n)
	}
}
