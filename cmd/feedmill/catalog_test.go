package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// rsshubStandIn plays an RSSHub instance: /api/namespace serves the
// hand-made catalog of internal/catalog/testdata, routes serve feeds.
type rsshubStandIn struct {
	*httptest.Server
	key     string
	apiDown atomic.Bool
	apiHits atomic.Int32
	feeds   map[string][]byte
	feedsMu chan struct{}
}

func newRSSHub(t *testing.T) *rsshubStandIn {
	t.Helper()
	catalogJSON, err := os.ReadFile("../../internal/catalog/testdata/namespace.json")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("../../testdata/golden/guancha-headline.xml")
	if err != nil {
		t.Fatal(err)
	}
	h := &rsshubStandIn{feeds: map[string][]byte{
		"/guancha/headline": golden,
		"/oschina/news":     []byte(`<rss version="2.0"><channel><title>开源中国-资讯</title><item><title>Go 1.26 发布</title><guid>os-1</guid><pubDate>Mon, 07 Dec 2026 08:00:00 GMT</pubDate><description>&lt;p&gt;新版本&lt;/p&gt;</description></item></channel></rss>`),
	}, feedsMu: make(chan struct{}, 1)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/namespace" {
			h.apiHits.Add(1)
			if h.apiDown.Load() {
				http.Error(w, "bad gateway", http.StatusBadGateway)
				return
			}
			if h.key != "" && r.URL.Query().Get("key") != h.key {
				http.Error(w, "Authentication failed. Access denied.", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(catalogJSON)
			return
		}
		h.feedsMu <- struct{}{}
		body, ok := h.feeds[r.URL.Path]
		<-h.feedsMu
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(body)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *rsshubStandIn) setFeed(path string, body []byte) {
	h.feedsMu <- struct{}{}
	h.feeds[path] = body
	<-h.feedsMu
}

// The seed post, from a source given by its route alone: the catalog
// names it 新媒体/观察者网/头条, as the old docs did, and the post is the
// golden one byte for byte.
func TestRouteOnlySourcesWriteTheGoldenPost(t *testing.T) {
	hub := newRSSHub(t)
	path := writeConfig(t, "rsshub: "+hub.URL+"\nsources:\n  - /guancha/headline\n  - {url: /oschina/news, interval: 10m}\n")
	code, out, errOut := runCLI(t, "run", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"新媒体/观察者网/头条", "编程/开源中国/资讯"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	want, _ := os.ReadFile("../../testdata/golden/guancha-headline.md")
	got, err := os.ReadFile(filepath.Join(filepath.Dir(path), "source/_posts/新媒体/观察者网/头条/美方书面拒绝_不东扩红线_，德法俄乌巴黎会谈8小时.md"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the seed post differs from the golden one (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "source/_posts/编程/开源中国/资讯/Go 126 发布.md")); err != nil {
		t.Error(err)
	}

	// RSSHub's API down: the cached catalog names the sources.
	hub.apiDown.Store(true)
	hits := hub.apiHits.Load()
	code, out, errOut = runCLI(t, "run", "--config", path)
	if code != 0 || hub.apiHits.Load() != hits || !strings.Contains(out, "新媒体/观察者网/头条") {
		t.Errorf("with the API down: exit %d, %d catalog requests\n%s\n%s", code, hub.apiHits.Load()-hits, out, errOut)
	}
}

func TestCatalogProblemsStopTheRun(t *testing.T) {
	hub := newRSSHub(t)
	hub.key = "right-key"
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, tc := range []struct {
		name, config string
		code         int
		want         []string
	}{
		{"unknown route", "rsshub: " + hub.URL + "\nrsshub_key: right-key\nsources:\n  - /guancha/headline\n  - /guancha/headlines/today\n", 2,
			[]string{"feedmill.yaml:5:5: sources[1].url: route /guancha/headlines/today is not in RSSHub's catalog; the closest routes are /guancha/headline (观察者网/头条)"}},
		{"parameters left as placeholders", "rsshub: " + hub.URL + "\nrsshub_key: right-key\nsources:\n  - /guancha/topic/:id\n", 2,
			[]string{"sources[0].url: route /guancha/topic/:id/:order? needs its parameters filled: id (for example /guancha/topic/110/1)"}},
		{"access key refused", "rsshub: " + hub.URL + "\nrsshub_key: wrong\nsources:\n  - /guancha/headline\n", 2,
			[]string{"answered HTTP 403", "refused rsshub_key"}},
		{"access key missing", "rsshub: " + hub.URL + "\nsources:\n  - /guancha/headline\n", 2,
			[]string{"answered HTTP 403", "set rsshub_key"}},
		{"unreachable without a cache", "rsshub: " + deadURL + "\nsources:\n  - /guancha/headline\n", 3,
			[]string{"cannot reach the catalog at " + deadURL + "/api/namespace", "needed for the sources given by route alone"}},
		{"catalog file not JSON", "rsshub: " + hub.URL + "\ncatalog: feedmill.yaml\nsources:\n  - /guancha/headline\n", 2,
			[]string{"not an RSSHub route catalog"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.config)
			code, out, errOut := runCLI(t, "run", "--config", path)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "right-key") || strings.Contains(errOut, "key=wrong") {
				t.Errorf("the key shows: %s", errOut)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), "source")); err == nil {
				t.Error("posts were written")
			}
		})
	}
}

func TestRoutesCommand(t *testing.T) {
	hub := newRSSHub(t)
	path := writeConfig(t, "rsshub: "+hub.URL+"\nsources:\n  - /guancha/headline\n")
	code, out, errOut := runCLI(t, "routes", "--config", path, "观察者")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[2], "新媒体  观察者网  头条      /guancha/headline") ||
		!strings.Contains(lines[3], "path /guancha/topic/:id/:order?") || !strings.Contains(errOut, "3 of 14 routes match") {
		t.Errorf("routes 观察者:\n%s\n%s", out, errOut)
	}
	code, out, _ = runCLI(t, "routes", "--config", path, "--json", "twitter")
	var got []routeJSON
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 || !got[0].RequireConfig || got[0].Group != "社交媒体" {
		t.Errorf("--json: exit %d, %v, %+v", code, err, got)
	}
	// Cached: the API down does not matter for a day.
	hub.apiDown.Store(true)
	if code, out, errOut = runCLI(t, "routes", "--config", path, "gov/pbc"); code != 0 || !strings.Contains(out, "browser") {
		t.Errorf("cached: exit %d\n%s\n%s", code, out, errOut)
	}
	// --refresh with the API down falls back to the cache, and says so.
	code, _, errOut = runCLI(t, "routes", "--config", path, "--refresh", "gov/pbc")
	if code != 0 || !strings.Contains(errOut, "HTTP 502") || !strings.Contains(errOut, "using the copy cached") {
		t.Errorf("--refresh with the API down: exit %d\n%s", code, errOut)
	}
	// Without a configuration: --catalog reads a file.
	code, out, _ = runCLI(t, "routes", "--catalog", "../../internal/catalog/testdata/routes-Test1234.mjs", "programming")
	if code != 0 || strings.Count(out, "\n") != 4 {
		t.Errorf("--catalog: exit %d\n%s", code, out)
	}
}
