package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/fleet"
	"github.com/feedmill/feedmill/internal/store/postgres"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
)

const adminToken = "fleet-admin-token-0123456789"

// loadConfig writes a configuration over the store dsn into dir and
// loads it; extra goes before the sources.
func loadConfig(t *testing.T, dir, dsn, extra, sources string) config.Config {
	t.Helper()
	text := fmt.Sprintf("store: %s\noutput:\n  dir: posts\ninterval: 1h\n%s\nsources:\n%s", dsn, extra, sources)
	path := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// feeds serves one RSS feed per path, each item with an image of img.
type feeds struct {
	img  string
	mu   sync.Mutex
	hits map[string]int
}

func (f *feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	f.mu.Unlock()
	name := strings.Trim(r.URL.Path, "/")
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>%[1]s</title><link>https://news.example/</link>
<item><title>%[1]s 第一篇</title><link>https://news.example/%[1]s/1</link><guid>%[1]s-1</guid><pubDate>Mon, 01 Jan 2024 09:00:00 +0800</pubDate>
<description>&lt;p&gt;%[1]s 正文&lt;/p&gt;&lt;img src="%[2]s/photo.png"&gt;</description></item></channel></rss>`, name, f.img)
}

func (f *feeds) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// A guard against a hang, not a measure: the machine may be loaded.
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func action(t *testing.T, base, verb string, id int64, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/action", strings.NewReader(url.Values{verb: {strconv.FormatInt(id, 10)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func pngImage(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A fleet process serves what feedmill serve serves on SQLite: the site
// under its base URL with the builtin image proxy, and /admin whose
// pause, resume and fetch now act on the fleet; and a reload takes the new
// configuration's sources and admin token.
func TestProcessServesAndReloads(t *testing.T) {
	dsn := pgtest.Database(t)
	pic := pngImage(t)
	imgs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic)
	}))
	defer imgs.Close()
	fetch.AllowTestServer(t, imgs.Listener.Addr().String())
	f := &feeds{img: imgs.URL, hits: map[string]int{}}
	fs := httptest.NewServer(f)
	defer fs.Close()

	dir := t.TempDir()
	extra := "image_proxy: builtin\nsite:\n  base_url: https://news.example/news/\nadmin_token: " + adminToken
	one := fmt.Sprintf("  - {group: 新闻, source: 甲, channel: 要闻, url: %s/a}\n", fs.URL)
	cfg := loadConfig(t, dir, dsn, extra, one)
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := fleet.New(fleet.Options{Config: cfg, Store: st, Role: fleet.RoleAll, Owner: "all:1", Poll: 50 * time.Millisecond})
	h, err := p.Handler(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	// The site, under the base URL's path, and its image through /img.
	var home string
	waitFor(t, "the site to list the first post", func() bool {
		code, body := get(t, srv.URL+"/news/")
		home = body
		return code == http.StatusOK && strings.Contains(body, "a 第一篇")
	})
	m := regexp.MustCompile(`src="(/news/img\?[^"]+)"`).FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("no proxied image on the home page:\n%s", home)
	}
	code, got := get(t, srv.URL+html.UnescapeString(m[1]))
	if code != http.StatusOK || got != string(pic) {
		t.Errorf("GET %s = %d, %d bytes; want the image", m[1], code, len(got))
	}

	// /admin: the source with its buttons; pause, fetch now, resume.
	rows, err := st.Sources(t.Context())
	if err != nil || len(rows) != 1 {
		t.Fatalf("sources: %v, %v", rows, err)
	}
	a := rows[0]
	if _, page := get(t, srv.URL+"/admin"); !strings.Contains(page, "新闻/甲/要闻") || !strings.Contains(page, `<button name="pause" value="`+strconv.FormatInt(a.ID, 10)+`">`) {
		t.Fatalf("/admin lacks the source and its pause button:\n%s", page)
	}
	if code, body := action(t, srv.URL, "pause", a.ID, adminToken); code != http.StatusOK {
		t.Fatalf("pause = %d %s", code, body)
	}
	if rows, _ := st.Sources(t.Context()); !rows[0].Paused {
		t.Fatal("pause did not pause the source in the store")
	}
	if code, body := action(t, srv.URL, "fetch", a.ID, adminToken); code == http.StatusOK || !strings.Contains(body, "resume it first") {
		t.Errorf("fetch now of a paused source = %d %s", code, body)
	}
	if code, body := action(t, srv.URL, "resume", a.ID, adminToken); code != http.StatusOK {
		t.Fatalf("resume = %d %s", code, body)
	}
	before := f.count("/a")
	if code, body := action(t, srv.URL, "fetch", a.ID, adminToken); code != http.StatusOK {
		t.Fatalf("fetch now = %d %s", code, body)
	}
	waitFor(t, "the fetch asked for from /admin", func() bool { return f.count("/a") > before })

	// /metrics counts them as serve's does on SQLite.
	_, page := get(t, srv.URL+"/metrics")
	for _, series := range []string{`feedmill_fetches_total{result="ok"}`, "feedmill_items_new_total", "feedmill_items_published_total", `feedmill_site_builds_total{result="ok"}`} {
		if m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\d+)$`).FindStringSubmatch(page); m == nil || m[1] == "0" {
			t.Errorf("/metrics: %s is 0 or missing after a fetch and a post", series)
		}
	}

	// A reload: a second source, and another admin token.
	const newToken = "another-fleet-token-9876543210"
	two := one + fmt.Sprintf("  - {group: 新闻, source: 乙, channel: 要闻, url: %s/b}\n", fs.URL)
	cfg2 := loadConfig(t, dir, dsn, strings.Replace(extra, adminToken, newToken, 1), two)
	if err := p.Reload(t.Context(), cfg2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the source added by the reload to be published", func() bool {
		code, body := get(t, srv.URL+"/news/")
		return code == http.StatusOK && strings.Contains(body, "b 第一篇")
	})
	if _, page := get(t, srv.URL+"/admin"); !strings.Contains(page, "新闻/乙/要闻") {
		t.Errorf("/admin after the reload lacks the new source")
	}
	if code, _ := action(t, srv.URL, "pause", a.ID, adminToken); code != http.StatusForbidden {
		t.Errorf("the old admin token after the reload: %d, want 403", code)
	}
	if code, body := action(t, srv.URL, "pause", a.ID, newToken); code != http.StatusOK {
		t.Errorf("the new admin token after the reload: %d %s", code, body)
	}

	// A configuration that cannot be served is refused, the running one kept.
	bad := cfg2
	bad.AdminToken, bad.AdminTokenFile = "", filepath.Join(dir, "missing-token")
	if err := p.Reload(t.Context(), bad); err == nil {
		t.Error("a reload with a missing admin token file succeeded")
	}
	if code, _ := action(t, srv.URL, "resume", a.ID, newToken); code != http.StatusOK {
		t.Errorf("after a refused reload, the running admin token: %d", code)
	}
}

func health(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	code, body := get(t, base+"/healthz")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("/healthz: %v: %s", err, body)
	}
	return code, m
}

// The publisher's /healthz answers 503 while posts cannot be written or
// the site cannot be built, as feedmill serve's does on SQLite, and 200
// again once they can.
func TestPublisherHealthReportsFailures(t *testing.T) {
	dsn := pgtest.Database(t)
	f := &feeds{img: "https://img.example", hits: map[string]int{}}
	fs := httptest.NewServer(f)
	defer fs.Close()
	dir := t.TempDir()
	// The folder the post of source b goes in is a file.
	if err := os.MkdirAll(filepath.Join(dir, "posts", "新闻"), 0o755); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "posts", "新闻", "乙")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// And so is the site's folder.
	siteDir := filepath.Join(dir, "public")
	if err := os.WriteFile(siteDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, dir, dsn, "", fmt.Sprintf("  - {group: 新闻, source: 甲, channel: 要闻, url: %s/a}\n  - {group: 新闻, source: 乙, channel: 要闻, url: %s/b}\n", fs.URL, fs.URL))
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := fleet.New(fleet.Options{Config: cfg, Store: st, Role: fleet.RoleAll, Owner: "all:1", Poll: 50 * time.Millisecond})
	h, err := p.Handler(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	// The other source's post is written meanwhile.
	var m map[string]any
	waitFor(t, "/healthz to report the post and the site that failed, and the other post", func() bool {
		var code int
		code, m = health(t, srv.URL)
		_, err := os.Stat(filepath.Join(dir, "posts", "新闻", "甲", "要闻", "a 第一篇.md"))
		return code == http.StatusServiceUnavailable && m["publish_error"] != nil && m["site_error"] != nil && err == nil
	})
	if m["status"] != "error" || !strings.Contains(m["publish_error"].(string), "新闻/乙/要闻") {
		t.Errorf("/healthz = %v, want status error and the source whose post failed", m)
	}

	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(siteDir); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/healthz to be ok again", func() bool {
		var code int
		code, m = health(t, srv.URL)
		return code == http.StatusOK
	})
	if l, ok := m["leases"].([]any); !ok || len(l) != 0 {
		t.Errorf("/healthz's leases with none held = %#v, want []", m["leases"])
	}
	if m["publish_error"] != nil || m["site_error"] != nil || m["status"] != "ok" {
		t.Errorf("/healthz after the repair = %v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "posts", "新闻", "乙", "要闻", "b 第一篇.md")); err != nil {
		t.Errorf("the post that failed was not written after the repair: %v", err)
	}
	if _, err := os.Stat(filepath.Join(siteDir, "index.html")); err != nil {
		t.Errorf("the site was not built after the repair: %v", err)
	}
}

// A source renamed in the configuration (same URL, new names) keeps its
// row in a fleet, as on SQLite: its items are not taken for new ones and
// published again under the new names.
func TestFetcherAdoptsRenamedSource(t *testing.T) {
	dsn := pgtest.Database(t)
	f := &feeds{img: "https://img.example", hits: map[string]int{}}
	fs := httptest.NewServer(f)
	defer fs.Close()
	dir := t.TempDir()
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run := func(names string, until func() bool) {
		t.Helper()
		cfg := loadConfig(t, dir, dsn, "", fmt.Sprintf("  - {group: 新闻, %s, url: %s/a}\n", names, fs.URL))
		p := fleet.New(fleet.Options{Config: cfg, Store: st, Role: fleet.RoleAll, Owner: "all:1", Poll: 50 * time.Millisecond, NoSite: true})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		waitFor(t, "the source to be fetched and published", until)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	posted := func(key string) func() bool {
		return func() bool {
			rows, _ := st.Sources(t.Context())
			for _, row := range rows {
				if row.Key == key && !row.LastSuccess.IsZero() {
					out, _ := st.EnsureOutput(t.Context(), "hexo", "posts")
					items, _ := st.Items(t.Context(), row.ID, out.ID, true)
					return len(items) == 0
				}
			}
			return false
		}
	}
	run("source: 甲, channel: 要闻", posted("新闻/甲/要闻"))
	// The renamed row is not due (interval 1h); a new row would be.
	run("source: 甲乙, channel: 头条", posted("新闻/甲乙/头条"))

	rows, err := st.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Key != "新闻/甲乙/头条" {
		t.Fatalf("rows after the rename: %v, want the one row under the new names", rows)
	}
	items, err := st.Items(t.Context(), rows[0].ID, 0, false)
	if err != nil || len(items) != 1 {
		t.Errorf("items after the rename: %d, %v; want the one item", len(items), err)
	}
	var files []string
	filepath.WalkDir(filepath.Join(dir, "posts"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) != 1 {
		t.Errorf("post files after the rename: %q, want one", files)
	}
}

// A fetcher's heartbeat renews the lease of a source while its fetch
// lasts, and the source is fetched once; its lease is given back when the
// fetch is recorded.
func TestSlowFetchKeepsItsLease(t *testing.T) {
	dsn := pgtest.Database(t)
	f := &feeds{img: "https://img.example", hits: map[string]int{}}
	hold := make(chan struct{})
	arrived := make(chan struct{}, 1)
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-hold
		f.ServeHTTP(w, r)
	}))
	defer fs.Close()
	defer close(hold)
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := loadConfig(t, t.TempDir(), dsn, "timeout: 5m", fmt.Sprintf("  - {group: g, source: s, channel: c, url: %s/a}\n", fs.URL))
	p := fleet.New(fleet.Options{Config: cfg, Store: st, Role: fleet.RoleFetch, Owner: "fetch:1", Poll: 50 * time.Millisecond, NoSite: true})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	<-arrived
	leased := func() time.Time {
		leases, err := st.Leases(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leases {
			return l.Until
		}
		return time.Time{}
	}
	first := leased()
	if first.IsZero() {
		t.Fatal("no lease on the source in flight")
	}
	waitFor(t, "the heartbeat to renew the lease", func() bool { return leased().After(first.Add(500 * time.Millisecond)) })
	hold <- struct{}{}
	waitFor(t, "the fetch to be recorded and its lease given back", func() bool {
		rows, _ := st.Sources(t.Context())
		return len(rows) == 1 && !rows[0].LastSuccess.IsZero() && leased().IsZero()
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := f.count("/a"); n != 1 {
		t.Errorf("the source was fetched %d times, want once", n)
	}
}

// A fetcher whose heartbeat no longer reaches the store drops its fetches
// in flight before the fleet may take it for dead and give its hosts'
// slots to others: politeness holds even for a process cut off from the
// database.
func TestFetcherCutOffDropsItsFetches(t *testing.T) {
	dsn := pgtest.Database(t)
	arrived := make(chan struct{}, 1)
	dropped := make(chan struct{})
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
		close(dropped)
	}))
	defer fs.Close()
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := loadConfig(t, t.TempDir(), dsn, "timeout: 5m", fmt.Sprintf("  - {group: g, source: s, channel: c, url: %s/a}\n", fs.URL))
	p := fleet.New(fleet.Options{Config: cfg, Store: st, Role: fleet.RoleFetch, Owner: "fetch:1", Poll: 50 * time.Millisecond, NoSite: true})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	<-arrived
	// The store goes away: no heartbeat lands from now on.
	st.Close()
	select {
	case <-dropped:
	case <-time.After(90 * time.Second): // a guard against a hang, not a measure
		t.Fatal("the fetch in flight went on with no heartbeat")
	}
	cancel()
	<-done // the store is closed: Run cannot leave the fleet's list
}
