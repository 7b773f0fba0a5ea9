package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/daemon"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// statusConfig has a source in every status once statusStore has run,
// and none of them due for a while, so a daemon fetches nothing.
const statusConfig = `rsshub: http://127.0.0.1:9
output:
  dir: posts
sources:
  - {group: g, source: s, channel: fine, url: /fine}
  - {group: g, source: s, channel: broken, url: /broken}
  - {group: g, source: s, channel: hopeless, url: /hopeless}
  - {group: g, source: s, channel: limited, url: /limited}
  - {group: g, source: s, channel: paused, url: /paused}
  - {group: g, source: s, channel: limited-and-paused, url: /lp}
  - {group: g, source: s, channel: new, url: /new}
`

// statusStore writes the store state of statusConfig: one source of each
// status, two for paused (one of them also held by its server, which an
// operator's pause wins over), and the row of a source no longer
// configured, failing, which no surface may count.
func statusStore(t *testing.T, cfg config.Config) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, cfg.Path(cfg.Store))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	later := store.Schedule{NextDue: now.Add(time.Hour)}
	srcs := cfg.FeedSources()
	gone := srcs[0]
	gone.Channel, gone.URL = "removed", "http://127.0.0.1:9/removed"
	row := func(i int) store.Source {
		src := gone
		if i >= 0 {
			src = srcs[i]
		}
		r, err := st.EnsureSource(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetSchedule(ctx, r.ID, later); err != nil {
			t.Fatal(err)
		}
		return r
	}
	fail := func(r store.Source, n int) {
		for range n {
			if err := st.RecordFailure(ctx, r.ID, "fetch: HTTP 500", now); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	check(st.RecordSuccess(ctx, row(0).ID, store.FetchResult{At: now}))
	fail(row(1), 1)
	fail(row(2), schedule.BackoffAfter)
	limited := row(3)
	fail(limited, 1)
	check(st.SetSchedule(ctx, limited.ID, store.Schedule{NextDue: now.Add(time.Hour), PausedUntil: now.Add(time.Hour)}))
	check(st.SetPaused(ctx, row(4).ID, true))
	lp := row(5)
	fail(lp, 1)
	check(st.SetSchedule(ctx, lp.ID, store.Schedule{NextDue: now.Add(time.Hour), PausedUntil: now.Add(time.Hour)}))
	check(st.SetPaused(ctx, lp.ID, true))
	row(6) // never fetched, not due
	fail(row(-1), 1)
}

// Every surface counts the same store state alike: feedmill sources,
// /admin, /healthz and /metrics.
func TestStatusesAgreeOnEverySurface(t *testing.T) {
	path := writeConfig(t, statusConfig)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	statusStore(t, cfg)
	want := map[schedule.Status]int{schedule.OK: 1, schedule.Failing: 1, schedule.BackingOff: 1, schedule.Waiting: 1, schedule.Paused: 2, schedule.NeverFetched: 1}

	// feedmill sources
	code, out, errOut := runCLI(t, "sources", "--config", path)
	if code != 0 {
		t.Fatalf("sources: exit %d: %s", code, errOut)
	}
	var parts []string
	for _, s := range schedule.Statuses {
		parts = append(parts, fmt.Sprintf("%d %s", want[s], s))
	}
	if wantLine := "7 sources: " + strings.Join(parts, ", ") + "\n"; !strings.HasSuffix(out, wantLine) {
		t.Errorf("feedmill sources ends\n%s\nwant %q", out, wantLine)
	}

	// The daemon: nothing is due, so its first round fetches nothing.
	st, err := sqlite.Open(t.Context(), cfg.Path(cfg.Store))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	d := daemon.New(daemon.Options{Config: cfg, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoSite: true})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + ln.Addr().String()
	get := func(path string) string {
		for range 100 {
			resp, err := http.Get(base + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return string(b)
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("GET %s never answered 200", path)
		return ""
	}

	admin := get("/admin")
	sum := regexp.MustCompile(`<p class="sum">(\d+) 个源 sources(.*)</p>`).FindStringSubmatch(admin)
	if sum == nil || sum[1] != "7" {
		t.Fatalf("/admin summary: %v", sum)
	}
	health := get("/healthz")
	metrics := get("/metrics")
	for _, s := range schedule.Statuses {
		if want[s] > 0 && !strings.Contains(sum[2], fmt.Sprintf(" · %d %s %s", want[s], s.Chinese(), s)) {
			t.Errorf("/admin says %q, want %d %s", sum[2], want[s], s)
		}
		if !strings.Contains(health, fmt.Sprintf("%q:%d", s.Label(), want[s])) {
			t.Errorf("/healthz says %s, want %s: %d", health, s.Label(), want[s])
		}
		m := regexp.MustCompile(`(?m)^feedmill_sources\{status="` + s.Label() + `"\} (\d+)$`).FindStringSubmatch(metrics)
		if m == nil || m[1] != strconv.Itoa(want[s]) {
			t.Errorf("/metrics feedmill_sources{status=%q} = %v, want %d", s.Label(), m, want[s])
		}
	}
	if strings.Contains(admin, "g/s/removed") {
		t.Error("/admin lists a source no longer configured")
	}
}

// feedmill pause and resume, by group/source/channel or by url: run
// leaves a paused source alone and says "paused", as sources does.
func TestPauseAndResume(t *testing.T) {
	srv := newFeedServer(t)
	path := writeConfig(t, "rsshub: "+srv+"\noutput:\n  dir: posts\nsources:\n  - {group: 新闻, source: s, channel: a, url: /a}\n  - {group: 新闻, source: s, channel: b, url: /b}\n")
	code, out, errOut := runCLI(t, "pause", "--config", path, "新闻/s/a")
	if code != 0 || !strings.Contains(out, "paused 新闻/s/a") {
		t.Fatalf("pause: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "run", "--config", path)
	if code != 0 || !regexp.MustCompile(`(?m)^paused +新闻/s/a +paused by an operator, not fetched \(feedmill resume 新闻/s/a\)$`).MatchString(out) {
		t.Errorf("run: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "posts/新闻/s/a")); err == nil {
		t.Error("the paused source was fetched")
	}
	_, out, _ = runCLI(t, "sources", "--config", path)
	if !regexp.MustCompile(`(?m)^新闻/s/a +paused `).MatchString(out) {
		t.Errorf("sources:\n%s", out)
	}
	code, out, errOut = runCLI(t, "resume", "/a", "--config", path) // by url, flags after
	if code != 0 || !strings.Contains(out, "resumed 新闻/s/a") {
		t.Fatalf("resume: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "run", "--config", path)
	if code != 0 || !regexp.MustCompile(`(?m)^ok +新闻/s/a +1 new post`).MatchString(out) {
		t.Errorf("run after resume: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"pause", "--config", path}, {"pause", "--config", path, "新闻/s/zzz"}} {
		if code, _, errOut := runCLI(t, bad...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

// newFeedServer serves a one-item RSS feed at every path.
func newFeedServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><title>x%s</title><guid>x%s</guid></item></channel></rss>`, r.URL.Path, r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
