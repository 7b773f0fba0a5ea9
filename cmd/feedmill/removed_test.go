package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A source removed from the configuration leaves the site at the next
// build; a source renamed (same url) keeps its items, shown once under
// its new names; feedmill prune lists, then removes, the unchanged post
// files of the removed source and nothing else.
func TestRemovedAndRenamedSources(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>%s</title>`, name)
		for i := 1; i <= 2; i++ {
			fmt.Fprintf(w, `<item><title>%s-item-%d</title><guid>%s-%d</guid><link>https://example.com/%s/%d</link><description>body of %s %d</description></item>`, name, i, name, i, name, i, name, i)
		}
		fmt.Fprint(w, `</channel></rss>`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()

	config := func(sources ...string) string {
		return "rsshub: " + base + "\noutput:\n  dir: posts\nsources:\n" + strings.Join(sources, "")
	}
	const (
		keep    = "  - {group: 新闻, source: 保留, channel: 头条, url: /kept}\n"
		removed = "  - {group: 新闻, source: 删除, channel: 头条, url: /removed}\n"
		before  = "  - {group: 新闻, source: 改名, channel: 旧名, url: /renamed}\n"
		after   = "  - {group: 科技, source: 改名, channel: 新名, url: /renamed}\n"
	)
	path := writeConfig(t, config(keep, removed, before))
	dir := filepath.Dir(path)
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, append(args, "--config", path)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	mustRun("run")
	mustRun("build")
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := read("public/index.html"); !strings.Contains(s, "removed-item-1") || !strings.Contains(s, "renamed-item-1") {
		t.Fatal("the first build lacks the sources' items")
	}
	// A user edits one of the removed source's posts.
	edited := filepath.Join(dir, "posts/新闻/删除/头条/removed-item-2.md")
	if err := os.WriteFile(edited, []byte("my own words"), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(config(keep, after)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun("run")
	if !strings.Contains(out, "renamed 新闻/改名/旧名 to 科技/改名/新名 (same url)") || !regexp.MustCompile(`(?m)^ok +科技/改名/新名 +0 new posts, 2 items seen`).MatchString(out) {
		t.Errorf("run after the rename:\n%s", out)
	}
	mustRun("build")
	search, _ := filepath.Glob(filepath.Join(dir, "public/search/*"))
	if len(search) == 0 {
		t.Fatal("no search index")
	}
	for _, page := range append([]string{"public/index.html", "public/sources.opml", "public/atom.xml", "public/feed.json", "public/sitemap.xml", "public/archives/index.html"}, search...) {
		if !filepath.IsAbs(page) {
			page = filepath.Join(dir, page)
		}
		s, err := os.ReadFile(page)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, gone := range []string{"removed-item", "删除", "旧名"} {
			if strings.Contains(string(s), gone) {
				t.Errorf("%s still shows %q", page, gone)
			}
		}
		if page == "public/index.html" && strings.Count(string(s), "renamed-item-1<") != 1 {
			t.Errorf("index.html shows renamed-item-1 %d times, want once", strings.Count(string(s), "renamed-item-1<"))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "public/categories/科技/改名/新名/index.html")); err != nil {
		t.Errorf("no page for the new names: %v", err)
	}

	// prune lists without removing, then removes only the unchanged file.
	out = mustRun("prune")
	unchanged := filepath.Join(dir, "posts/新闻/删除/头条/removed-item-1.md")
	if !strings.Contains(out, "新闻/删除/头条 (no longer configured): 1 post file to remove, 1 left") || !strings.Contains(out, "remove "+unchanged) || !strings.Contains(out, "feedmill prune --yes") {
		t.Errorf("prune:\n%s", out)
	}
	if _, err := os.Stat(unchanged); err != nil {
		t.Fatalf("a dry run removed %s", unchanged)
	}
	if strings.Contains(out, "改名") {
		t.Errorf("prune lists the renamed source:\n%s", out)
	}
	out = mustRun("prune", "--yes")
	if !strings.Contains(out, "1 post file removed, 1 left") {
		t.Errorf("prune --yes:\n%s", out)
	}
	if _, err := os.Stat(unchanged); err == nil {
		t.Error("the unchanged post is still there")
	}
	if b, err := os.ReadFile(edited); err != nil || string(b) != "my own words" {
		t.Errorf("the edited post: %q, %v", b, err)
	}
	for _, p := range []string{"posts/新闻/保留/头条/kept-item-1.md", "posts/新闻/改名/旧名/renamed-item-1.md"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("prune touched %s: %v", p, err)
		}
	}
	if out := mustRun("prune"); !strings.Contains(out, "0 post files to remove, 1 left") {
		t.Errorf("prune after prune:\n%s", out)
	}
}
