package daemon_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
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

	"github.com/feedmill/feedmill/internal/daemon"
	"github.com/feedmill/feedmill/internal/fetch"
)

const adminToken = "test-admin-token-0123456789"

// newsFeed is a feed that grows: its first answer has one item, every
// later one a second item too, so that a fetch after the first one
// publishes something new. Its items show an image from img.
type newsFeed struct {
	img string // base URL of the image server

	mu   sync.Mutex
	hits int
}

func (f *newsFeed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func (f *newsFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits++
	n := f.hits
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<rss version="2.0"><channel><title>要闻</title><link>https://news.example.com/</link>`)
	if n > 1 {
		fmt.Fprint(w, `<item><title>第二篇：港口复工</title><link>https://news.example.com/2</link><guid>n-2</guid>
<pubDate>Tue, 02 Jan 2024 09:00:00 +0800</pubDate><description>&lt;p&gt;港口今日全面复工。&lt;/p&gt;</description></item>`)
	}
	fmt.Fprintf(w, `<item><title>第一篇：新桥通车</title><link>https://news.example.com/1</link><guid>n-1</guid>
<pubDate>Mon, 01 Jan 2024 09:00:00 +0800</pubDate><description>&lt;p&gt;新桥今日通车。&lt;/p&gt;&lt;p&gt;&lt;img src="%s/photo.png"&gt;&lt;/p&gt;</description></item>`, f.img)
	fmt.Fprint(w, `</channel></rss>`)
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		img.Set(i%8, i/8, color.RGBA{0xd3, 0x2f, 0x2f, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// siteConfig writes a configuration with one source, fetched hourly, so
// that any second fetch in the test is one /admin asked for.
func siteConfig(t *testing.T, dir, feedURL, extra string) string {
	t.Helper()
	text := fmt.Sprintf("interval: 1h\nstore: feedmill.db\noutput:\n  dir: posts\nadmin_token: %s\n%s\nsources:\n  - {group: 新闻, source: 示例, channel: 要闻, url: %s}\n",
		adminToken, extra, feedURL)
	path := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func post(t *testing.T, u string, form url.Values, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeSite runs the daemon as feedmill serve does and reads what it
// serves: the site built after the first round, a post with its image
// through the builtin proxy, /admin, and a fetch asked for from /admin,
// after which the site shows the new item.
func TestServeSite(t *testing.T) {
	pic := pngImage(t)
	var imgHits sync.Map
	imgs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imgHits.Store(r.URL.Path, true)
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic)
	}))
	defer imgs.Close()
	fetch.AllowTestServer(t, imgs.Listener.Addr().String())
	f := &newsFeed{img: imgs.URL}
	feeds := httptest.NewServer(f)
	defer feeds.Close()
	dir := t.TempDir()
	r := startWith(t, siteConfig(t, dir, feeds.URL+"/news", "image_proxy: builtin\nsite:\n  title: 测试新闻"),
		daemon.Options{})

	// The site is built after the first round, in public/ beside the
	// configuration.
	var home string
	waitFor(t, "the home page to list the first post", func() bool {
		code, body := get(t, r.base+"/")
		home = body
		return code == http.StatusOK && strings.Contains(body, "第一篇：新桥通车")
	})
	if !strings.Contains(home, "测试新闻") {
		t.Error("the home page does not carry the site title")
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "index.html")); err != nil {
		t.Errorf("the site is not in public/: %v", err)
	}
	m := regexp.MustCompile(`href="(/posts/[^"]+\.html)"`).FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("no post link on the home page:\n%s", home)
	}
	code, page := get(t, r.base+m[1])
	if code != http.StatusOK || !strings.Contains(page, "新桥今日通车") {
		t.Fatalf("GET %s = %d, want the post:\n%s", m[1], code, page)
	}

	// The post's image goes through /img, which fetches and serves it.
	if strings.Contains(page, `src="`+imgs.URL) {
		t.Error("the post links the image at its origin, not through the proxy")
	}
	im := regexp.MustCompile(`src="(/img\?[^"]+)"`).FindStringSubmatch(page)
	if im == nil {
		t.Fatalf("no proxied image in the post:\n%s", page)
	}
	resp, err := http.Get(r.base + html.UnescapeString(im[1]))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, pic) {
		t.Errorf("GET %s = %d %s, %d bytes; want the PNG of %d bytes", im[1], resp.StatusCode, resp.Header.Get("Content-Type"), len(got), len(pic))
	}
	if _, ok := imgHits.Load("/photo.png"); !ok {
		t.Error("the image server was not asked for the image")
	}
	if code, _ := get(t, r.base+"/img?u="+url.QueryEscape(imgs.URL+"/photo.png")+"&s=forged"); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Errorf("an unsigned image URL got %d, want it refused", code)
	}

	// /admin lists the source, read without a token.
	code, adm := get(t, r.base+"/admin")
	if code != http.StatusOK || !strings.Contains(adm, "新闻/示例/要闻") {
		t.Fatalf("GET /admin = %d, want the source listed:\n%s", code, adm)
	}
	rows, err := r.st.Sources(t.Context())
	if err != nil || len(rows) != 1 {
		t.Fatalf("sources = %v, %v", rows, err)
	}
	id := strconv.FormatInt(rows[0].ID, 10)

	// Fetch now: refused without the token, done at once with it.
	before := f.count()
	for _, tok := range []string{"", "wrong-token-0123456789"} {
		if code, body := post(t, r.base+"/admin/action", url.Values{"fetch": {id}}, tok); code != http.StatusForbidden && code != http.StatusUnauthorized {
			t.Errorf("fetch now with token %q = %d %s, want 401 or 403", tok, code, body)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := f.count(); n != before {
		t.Fatalf("a refused fetch now fetched the feed (%d hits, was %d)", n, before)
	}
	if code, body := post(t, r.base+"/admin/action", url.Values{"fetch": {id}}, adminToken); code != http.StatusOK {
		t.Fatalf("fetch now with the token = %d %s", code, body)
	}
	waitFor(t, "the fetch asked for from /admin", func() bool { return f.count() > before })
	// It published the second item; the rebuild after the round shows it.
	waitFor(t, "the home page to list the new post", func() bool {
		_, body := get(t, r.base+"/")
		return strings.Contains(body, "第二篇：港口复工")
	})
	if _, adm := get(t, r.base+"/admin"); !strings.Contains(adm, "正常 ok") {
		t.Errorf("after the fetch /admin does not show the source ok:\n%s", adm)
	}

	h := health(t, r.base)
	if h["site_built_at"] == nil || h["site_error"] != nil {
		t.Errorf("/healthz = %v, want site_built_at and no site_error", h)
	}
	_, metrics := get(t, r.base+"/metrics")
	if v := metric(t, metrics, `feedmill_site_builds_total{result="ok"}`); v < 2 {
		t.Errorf("site builds = %v, want at least 2", v)
	}
	// Outside the site, the site's 404; dotfiles never.
	if code, _ := get(t, r.base+"/.feedmill-manifest"); code != http.StatusNotFound {
		t.Errorf("a dotfile got %d, want 404", code)
	}
	r.shutdown(t, 3*time.Second)
}

// With --no-site the daemon fetches and serves /admin, and neither
// builds nor serves the site.
func TestServeNoSite(t *testing.T) {
	f := &newsFeed{img: "http://127.0.0.1:1"}
	feeds := httptest.NewServer(f)
	defer feeds.Close()
	dir := t.TempDir()
	r := startWith(t, siteConfig(t, dir, feeds.URL+"/news", ""), daemon.Options{NoSite: true})
	waitFor(t, "the first post", func() bool {
		_, err := os.Stat(filepath.Join(dir, "posts", "新闻", "示例", "要闻", "第一篇：新桥通车.md"))
		return err == nil
	})
	if code, _ := get(t, r.base+"/"); code != http.StatusNotFound {
		t.Errorf("GET / = %d, want 404 without the site", code)
	}
	if code, _ := get(t, r.base+"/admin"); code != http.StatusOK {
		t.Errorf("GET /admin = %d, want 200", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); !os.IsNotExist(err) {
		t.Errorf("public/ exists without the site: %v", err)
	}
	r.shutdown(t, 3*time.Second)
}

// A site that cannot be built is reported, and the daemon goes on
// fetching and publishing.
func TestServeSiteBuildFails(t *testing.T) {
	f := &newsFeed{img: "http://127.0.0.1:1"}
	feeds := httptest.NewServer(f)
	defer feeds.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "public"), []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := start(t, siteConfig(t, dir, feeds.URL+"/news", ""))
	waitFor(t, "the first post", func() bool {
		_, err := os.Stat(filepath.Join(dir, "posts", "新闻", "示例", "要闻", "第一篇：新桥通车.md"))
		return err == nil
	})
	// The installation needs someone to act: /healthz is not ok.
	waitFor(t, "/healthz to report the failed build", func() bool {
		code, body := get(t, r.base+"/healthz")
		var h map[string]any
		json.Unmarshal([]byte(body), &h)
		return code == http.StatusServiceUnavailable && h["site_error"] != nil && h["rounds"] == 1.0
	})
	r.shutdown(t, 3*time.Second)
}

// A source paused from /admin is left alone: it is not fetched, it does
// not keep the daemon waking every second although its due time has
// passed, and "fetch now" refuses it.
func TestServePausedFromAdmin(t *testing.T) {
	f := &feeds{hits: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("rsshub: %s\nmin_interval: 1s\ninterval: 1s\nstore: feedmill.db\noutput:\n  dir: posts\nadmin_token: %s\nsources:\n  - {group: g, source: s, channel: a, url: /a}\n", srv.URL, adminToken)
	path := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startWith(t, path, daemon.Options{NoSite: true})
	waitFor(t, "the first fetch", func() bool { return f.count("/a") >= 1 })
	rows, err := r.st.Sources(t.Context())
	if err != nil || len(rows) != 1 {
		t.Fatalf("sources = %v, %v", rows, err)
	}
	id := strconv.FormatInt(rows[0].ID, 10)
	if code, body := post(t, r.base+"/admin/action", url.Values{"pause": {id}}, adminToken); code != http.StatusOK {
		t.Fatalf("pause = %d %s", code, body)
	}
	if code, _ := post(t, r.base+"/admin/action", url.Values{"fetch": {id}}, adminToken); code == http.StatusOK {
		t.Error("fetch now of a paused source was accepted")
	}
	time.Sleep(200 * time.Millisecond) // a round in flight ends
	hits, rounds := f.count("/a"), health(t, r.base)["rounds"].(float64)
	time.Sleep(2500 * time.Millisecond) // 2 intervals
	if n := f.count("/a"); n != hits {
		t.Errorf("the paused source was fetched %d more times", n-hits)
	}
	if n := health(t, r.base)["rounds"].(float64); n > rounds {
		t.Errorf("%v rounds ran for a paused source", n-rounds)
	}
	r.shutdown(t, 3*time.Second)
}

// One source whose fetch hangs holds back only itself: the other
// source's post is written and shown on the site while the hanging fetch
// is still waiting for its answer, and the hanging source's post follows
// once it answers.
func TestSlowSourceHoldsBackOnlyItself(t *testing.T) {
	release := make(chan struct{})
	var asked sync.Once
	hanging := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		if name == "hang" {
			asked.Do(func() { close(hanging) })
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><title>Post of %[1]s</title><guid>%[1]s</guid><description>&lt;p&gt;%[1]s&lt;/p&gt;</description></item></channel></rss>`, name)
	}))
	defer srv.Close()
	defer close(release) // before srv.Close: the hanging request ends
	dir := t.TempDir()
	cfg := fmt.Sprintf("rsshub: %s\ntimeout: 5m\ninterval: 1h\nstore: feedmill.db\noutput:\n  dir: posts\nsources:\n  - {group: g, source: s, channel: hang, url: /hang}\n  - {group: g, source: s, channel: fast, url: /fast}\n", srv.URL)
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := start(t, cfgPath)
	<-hanging
	home := func() string {
		data, _ := os.ReadFile(filepath.Join(dir, "public", "index.html"))
		return string(data)
	}
	waitFor(t, "the fast source's post on the site while the other hangs", func() bool {
		return strings.Contains(home(), "Post of fast")
	})
	if _, err := os.Stat(filepath.Join(dir, "posts", "g", "s", "fast", "Post of fast.md")); err != nil {
		t.Errorf("the fast source's post file: %v", err)
	}
	if strings.Contains(home(), "Post of hang") {
		t.Fatal("the hanging source's post is on the site before it answered")
	}
	release <- struct{}{}
	waitFor(t, "the hanging source's post once it answers", func() bool {
		return strings.Contains(home(), "Post of hang")
	})
	r.shutdown(t, 5*time.Second)
}
