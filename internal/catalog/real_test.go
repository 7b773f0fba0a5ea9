package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealPackage reads RSSHub's real catalog from the npm package that
// .ci/deps/rsshub-package.sh caches (outside the repository: it is
// AGPL-licensed data), and skips when it is not there.
func TestRealPackage(t *testing.T) {
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip("no cache folder")
	}
	dirs, _ := filepath.Glob(filepath.Join(cache, "feedmill-ci", "rsshub-*", "package"))
	if len(dirs) == 0 {
		t.Skip("RSSHub's npm package is not cached: run .ci/deps/rsshub-package.sh")
	}
	path, err := resolveFile(dirs[len(dirs)-1])
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	spaces := map[string]bool{}
	unmatched := 0
	for _, r := range c.Routes {
		spaces[r.Namespace] = true
		for _, n := range []string{r.Group, r.Source, r.Channel} {
			if n == "" || strings.ContainsAny(n, "/\\") {
				t.Errorf("%s: name %q is no folder name", r.Path, n)
			}
		}
		if ex, _, _ := strings.Cut(r.Example, "?"); ex != "" {
			if m, ok := c.Lookup(ex); !ok || (m.Namespace != r.Namespace && !strings.Contains(ex, ",")) {
				unmatched++
			}
		}
	}
	if len(spaces) < 1500 || len(c.Routes) < 3000 {
		t.Errorf("%d namespaces and %d routes: the reader misses some", len(spaces), len(c.Routes))
	}
	// A few examples in RSSHub's data do not fit their own route; the
	// reader must not add to them.
	if unmatched > len(c.Routes)/100 {
		t.Errorf("%d examples find no route of their namespace", unmatched)
	}
	for path, want := range map[string]string{
		"/guancha/headline":  "新媒体/观察者网/头条",
		"/oschina/news":      "编程/开源中国/资讯",
		"/thepaper/featured": "新媒体/澎湃新闻/首页头条",
	} {
		g, s, ch, err := c.Names(path)
		if err != nil || g+"/"+s+"/"+ch != want {
			t.Errorf("Names(%s) = %s/%s/%s, %v; want %s", path, g, s, ch, err, want)
		}
	}
	t.Logf("%s: %d namespaces, %d routes, %d examples without their route", filepath.Base(path), len(spaces), len(c.Routes), unmatched)
}
