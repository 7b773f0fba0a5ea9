package site_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/site"
)

// A symbolic link in the site's folder that leads out of it is not
// followed: the request gets the site's 404, never the file. Links that
// stay inside are served.
func TestHandlerRefusesLinksOutOfTheSite(t *testing.T) {
	outside := t.TempDir()
	secret := "feedmill-key: 0123456789abcdef"
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "dir", "index.html"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "<html>home</html>")
	write("404.html", "<html>找不到页面</html>")
	write("posts/a.html", "<html>post a</html>")
	links := map[string]string{
		"leak.txt":          filepath.Join(outside, "secret.txt"),
		"posts/up.txt":      "../../" + filepath.Base(outside) + "/secret.txt",
		"out":               filepath.Join(outside, "dir"),
		"posts/passwd.html": "/etc/passwd",
		"same.html":         "posts/a.html", // stays inside
		"inside":            "posts",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	h := site.Handler(site.Config{Dir: dir})
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/leak.txt", 404, "找不到页面"},
		{"/posts/up.txt", 404, "找不到页面"},
		{"/out/", 404, "找不到页面"},
		{"/out/index.html", 404, "找不到页面"},
		{"/out", 404, "找不到页面"},
		{"/posts/passwd.html", 404, "找不到页面"},
		{"/same.html", 200, "post a"},
		{"/inside/a.html", 200, "post a"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) || strings.Contains(rec.Body.String(), "feedmill-key") || strings.Contains(rec.Body.String(), "root:") {
			t.Errorf("%s: status %d, body %.60q; want %d with %q", tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
}
