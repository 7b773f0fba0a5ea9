package site_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/site"
)

func TestHandlerServesTheSite(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	mem := site.NewMemory()
	slug := ""
	for _, cfg := range []site.Config{{Dir: dir}, {Memory: mem}, {Dir: t.TempDir(), BaseURL: "https://example.org/news/"}} {
		if _, err := site.Build(t.Context(), f.st, cfg, site.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	slug = items(t, f)[0].Slug
	tests := []struct {
		name, path string
		status     int
		typ, body  string
	}{
		{"home", "/", 200, "text/html; charset=utf-8", "<html"},
		{"post", "/posts/" + slug + ".html", 200, "text/html; charset=utf-8", "新华社"},
		{"category, escaped", "/categories/%E6%96%B0%E5%AA%92%E4%BD%93/", 200, "text/html; charset=utf-8", "<h1>新媒体</h1>"},
		{"category without slash", "/categories/%E6%96%B0%E5%AA%92%E4%BD%93", 301, "", ""},
		{"feed", "/feed.xml", 200, "application/xml; charset=utf-8", "<rss"},
		{"json feed", "/feed.json", 200, "application/json; charset=utf-8", "jsonfeed"},
		{"style", "/assets/style.css", 200, "text/css; charset=utf-8", "WenQuanYi Micro Hei"},
		{"manifest hidden", "/.feedmill-manifest", 404, "text/html; charset=utf-8", "找不到页面"},
		{"missing", "/posts/nope.html", 404, "text/html; charset=utf-8", "找不到页面"},
		{"dot-dot", "/assets/../.feedmill-manifest", 404, "", ""},
	}
	for _, mode := range []struct {
		name string
		h    http.Handler
	}{{"disk", site.Handler(site.Config{Dir: dir})}, {"memory", site.Handler(site.Config{Memory: mem})}} {
		for _, tc := range tests {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				rec := httptest.NewRecorder()
				mode.h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
				if rec.Code != tc.status {
					t.Fatalf("status %d, want %d", rec.Code, tc.status)
				}
				if tc.typ != "" && rec.Header().Get("Content-Type") != tc.typ {
					t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
				}
				if !strings.Contains(rec.Body.String(), tc.body) {
					t.Errorf("body lacks %q", tc.body)
				}
				if tc.status == 200 && strings.HasPrefix(tc.typ, "text/html") && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") {
					t.Errorf("no CSP on a page")
				}
			})
		}
	}

	t.Run("post to a page", func(t *testing.T) {
		rec := httptest.NewRecorder()
		site.Handler(site.Config{Dir: dir}).ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d", rec.Code)
		}
	})
}

func TestHandlerUnderABasePath(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, BaseURL: "https://example.org/news/"}
	if _, err := site.Build(t.Context(), f.st, cfg, site.Options{}); err != nil {
		t.Fatal(err)
	}
	h := site.Handler(cfg)
	for path, status := range map[string]int{"/news/": 200, "/news": 301, "/": 404, "/news/search.html": 200} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != status {
			t.Errorf("%s: status %d, want %d", path, rec.Code, status)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/news/", nil))
	if !strings.Contains(rec.Body.String(), `href="/news/posts/`) || !strings.Contains(rec.Body.String(), `href="/news/assets/style.css?v=`) {
		t.Errorf("links do not carry the base path")
	}
}
