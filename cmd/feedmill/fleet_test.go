package main

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedmill/feedmill/internal/atomicfile"
	"github.com/feedmill/feedmill/internal/store/postgres"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
)

// fleetProc is a feedmill serve process of a test's fleet.
type fleetProc struct {
	role string
	cmd  *exec.Cmd
	log  *os.File
}

type fleetRig struct {
	t    *testing.T
	bin  string
	cfg  string
	dir  string
	dsn  string
	mu   sync.Mutex
	live []*fleetProc
}

func (r *fleetRig) start(role string) *fleetProc {
	r.t.Helper()
	log, err := os.CreateTemp(r.dir, "log-"+role+"-*.txt")
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.bin, "serve", "--config", r.cfg, "--role", role, "--lease", "3s", "--listen", "127.0.0.1:0", "--no-site")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	p := &fleetProc{role: role, cmd: cmd, log: log}
	r.mu.Lock()
	r.live = append(r.live, p)
	r.mu.Unlock()
	return p
}

// kill kills p with SIGKILL, as a crash would.
func (r *fleetRig) kill(p *fleetProc) {
	p.cmd.Process.Kill()
	p.cmd.Wait()
	r.mu.Lock()
	for i, q := range r.live {
		if q == p {
			r.live = append(r.live[:i], r.live[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
}

// stop stops every live process with SIGTERM, as systemd would.
func (r *fleetRig) stop() {
	r.mu.Lock()
	live := r.live
	r.live = nil
	r.mu.Unlock()
	for _, p := range live {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range live {
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			r.t.Errorf("a %s process did not stop on SIGTERM; its log:\n%s", p.role, readLog(p))
			p.cmd.Process.Kill()
			<-done
		}
	}
}

func readLog(p *fleetProc) string {
	b, _ := os.ReadFile(p.log.Name())
	return string(b)
}

func (r *fleetRig) query(sql string, args ...any) int {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		r.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// logErrors logs the sources' last errors, when a test fails.
func (r *fleetRig) logErrors() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT key, last_error FROM sources WHERE last_error <> '' ORDER BY key LIMIT 5`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var k, e string
		rows.Scan(&k, &e)
		r.t.Logf("%s: %s", k, e)
	}
}

// publisherPID is the PID of the process holding the publisher lock, or 0.
func (r *fleetRig) publisherPID() int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var name string
	err = conn.QueryRow(ctx, `SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND l.objid = $1`, uint32(0x7075626c)).Scan(&name)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(name[strings.LastIndex(name, ":")+1:])
	return pid
}

func newFleetRig(t *testing.T, config string) *fleetRig {
	bin := binary(t)
	dsn := pgtest.Database(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(cfg, []byte("store: "+dsn+"\noutput:\n  dir: out\n"+config), 0o644); err != nil {
		t.Fatal(err)
	}
	// The schema, before the processes race to make it.
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	r := &fleetRig{t: t, bin: bin, cfg: cfg, dir: dir, dsn: dsn}
	t.Cleanup(r.stop)
	return r
}

func rssOf(source, n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>`)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>s%d item %d</title><guid>s%d-%d</guid><pubDate>Mon, 07 Dec 2026 %02d:%02d:00 GMT</pubDate><description>&lt;p&gt;body %d of %d&lt;/p&gt;</description></item>`,
			source, i, source, i, i%24, source%60, i, source)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// Three fetchers and two publishers (one standing by) over one database,
// 300 sources of 20 items; a fetcher and the active publisher are killed
// with SIGKILL at random moments, four times, and started again. At the
// end every item is published exactly once, no file is partial, every
// source was fetched and no lease is left held.
func TestFleetSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("a fleet of processes: not with -short")
	}
	const sources, items = 300, 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/f/"))
		time.Sleep(time.Duration(150+rand.IntN(100)) * time.Millisecond)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rssOf(n, items))
	}))
	defer srv.Close()
	var cfg strings.Builder
	cfg.WriteString("concurrency: 3\nper_host: 8\nhost_delay: 0s\ninterval: 1h\nsources:\n")
	for i := range sources {
		fmt.Fprintf(&cfg, "  - {group: g, source: s%d, channel: c%d, url: %s/f/%d}\n", i/30, i, srv.URL, i)
	}
	r := newFleetRig(t, cfg.String())
	var fetchers []*fleetProc
	for range 3 {
		fetchers = append(fetchers, r.start("fetch"))
	}
	for range 2 {
		r.start("publish")
	}
	posted := func() int { return r.query(`SELECT COUNT(*) FROM posts WHERE posted_at IS NOT NULL`) }
	for round := range 4 {
		time.Sleep(time.Duration(700+rand.IntN(1500)) * time.Millisecond)
		i := rand.IntN(len(fetchers))
		r.kill(fetchers[i])
		fetchers[i] = r.start("fetch")
		if pid := r.publisherPID(); pid > 0 {
			r.mu.Lock()
			var pub *fleetProc
			for _, p := range r.live {
				if p.cmd.Process.Pid == pid {
					pub = p
				}
			}
			r.mu.Unlock()
			if pub != nil {
				r.kill(pub)
				r.start("publish")
			}
		}
		t.Logf("%s round %d: %d of %d items posted", time.Now().Format("15:04:05.000"), round, posted(), sources*items)
	}
	deadline := time.Now().Add(150 * time.Second)
	for r.query(`SELECT COUNT(*) FROM sources`) < sources || posted() < sources*items ||
		r.query(`SELECT COUNT(*) FROM sources WHERE last_success_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			r.mu.Lock()
			for _, p := range r.live {
				t.Logf("%s log:\n%s", p.role, readLog(p))
			}
			r.mu.Unlock()
			t.Fatalf("after the deadline: %d of %d items posted, %d sources never fetched", posted(), sources*items,
				r.query(`SELECT COUNT(*) FROM sources WHERE last_success_at IS NULL`))
		}
		if os.Getenv("FEEDMILL_TEST_FLEET_LOG") != "" {
			t.Logf("%s: %d items stored, %d posted, %d sources fetched", time.Now().Format("15:04:05.000"),
				r.query(`SELECT COUNT(*) FROM items`), posted(), r.query(`SELECT COUNT(*) FROM sources WHERE last_success_at IS NOT NULL`))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%s all posted", time.Now().Format("15:04:05.000"))
	r.stop()
	t.Logf("%s stopped", time.Now().Format("15:04:05.000"))

	if n := r.query(`SELECT COUNT(*) FROM items`); n != sources*items {
		t.Errorf("%d items stored, want %d", n, sources*items)
	}
	// Leases of killed fetchers run out; the stopped ones gave theirs back.
	time.Sleep(3 * time.Second)
	if n := r.query(`SELECT COUNT(*) FROM sources WHERE leased_until > now()`); n != 0 {
		t.Errorf("%d leases still held", n)
	}
	titles := map[string]int{}
	files := 0
	err := filepath.WalkDir(filepath.Join(r.dir, "out"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if atomicfile.IsTemp(d.Name()) || !strings.HasSuffix(d.Name(), ".md") {
			t.Errorf("left behind: %s", p)
			return nil
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(data)
		if strings.Count(s, "---\n") < 2 || !strings.Contains(s, "<p>body ") || !strings.Contains(s, "</div>") {
			t.Errorf("partial post %s: %q", p, s)
		}
		for _, line := range strings.Split(s, "\n") {
			if title, ok := strings.CutPrefix(line, "title: "); ok {
				titles[title]++
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != sources*items || len(titles) != sources*items {
		t.Errorf("%d post files with %d titles, want %d of each", files, len(titles), sources*items)
	}
	for title, n := range titles {
		if n != 1 {
			t.Errorf("%s published %d times", title, n)
		}
	}
}

// Politeness holds for the fleet: three fetchers never have more than
// per_host requests in flight to one host together, and a server's
// Retry-After seen by one of them keeps them all away from its host.
func TestFleetPoliteness(t *testing.T) {
	if testing.Short() {
		t.Skip("a fleet of processes: not with -short")
	}
	var inFlight, most, served atomic.Int32
	polite := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(80 * time.Millisecond)
		inFlight.Add(-1)
		served.Add(1)
		fmt.Fprint(w, rssOf(0, 1))
	}))
	defer polite.Close()
	var refusing atomic.Int32
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		refusing.Add(1)
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	defer busy.Close()
	var cfg strings.Builder
	cfg.WriteString("concurrency: 4\nper_host: 2\nhost_delay: 0s\ninterval: 1h\nsources:\n")
	const politeSources, busySources = 36, 12
	for i := range politeSources {
		fmt.Fprintf(&cfg, "  - {group: g, source: p, channel: c%d, url: %s/f/%d}\n", i, polite.URL, i)
	}
	for i := range busySources {
		fmt.Fprintf(&cfg, "  - {group: g, source: b, channel: c%d, url: %s/f/%d}\n", i, busy.URL, i)
	}
	r := newFleetRig(t, cfg.String())
	for range 3 {
		r.start("fetch")
	}
	deadline := time.Now().Add(90 * time.Second)
	for r.query(`SELECT COUNT(*) FROM sources`) < politeSources+busySources ||
		r.query(`SELECT COUNT(*) FROM sources WHERE last_success_at IS NULL AND last_error_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after the deadline: %d sources not fetched", r.query(`SELECT COUNT(*) FROM sources WHERE last_success_at IS NULL AND last_error_at IS NULL`))
		}
		time.Sleep(300 * time.Millisecond)
	}
	// feedmill sources shows the fleet while it runs.
	code, out, errOut := runCLI(t, "sources", "--config", r.cfg)
	if code != 0 || !strings.Contains(out, "LEASED BY") || !strings.Contains(out, "fleet: 3 processes") || !strings.Contains(out, "fetch ") {
		t.Errorf("sources on a fleet: exit %d\n%s\n%s", code, out, errOut)
	}
	r.stop()
	// Every source is fetched; a source whose fetch failed on a busy
	// machine (a timeout) may be fetched again after its backoff, which
	// is not a politeness failure: that is the in-flight count below.
	if n := served.Load(); n < politeSources {
		r.logErrors()
		t.Errorf("the polite host served %d requests, want at least %d", n, politeSources)
	} else if n > politeSources {
		r.logErrors()
		t.Logf("the polite host served %d requests for %d sources (refetches after errors)", n, politeSources)
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d requests in flight to one host at once, per_host is 2", m)
	}
	// The first refusal pauses the host for the fleet; only requests
	// already in flight (per_host of them at most) reach it.
	if n := refusing.Load(); n < 1 || n > 2 {
		t.Errorf("the host that asked to wait got %d requests, want 1 or 2", n)
	}
}
