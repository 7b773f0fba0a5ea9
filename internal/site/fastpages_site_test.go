package site_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/site"
)

// hostileItems adds items whose fields test the escaping of the pages:
// markup and quotes in titles and authors, links of unsafe schemes and
// with query strings, an author equal to the source.
func hostileItems(t *testing.T, f *fixture) {
	t.Helper()
	items := []feed.Item{
		{GUID: "h1", Link: "javascript:alert(1)", Title: `<script>alert("x")</script> & 'q' + 1`, Author: `记者 <b>张三</b> & "李四"`,
			Content: `<p>正文 + "引号" &amp; 'x'</p>`, Image: "javascript:alert(2)"},
		{GUID: "h2", Link: "https://news.example/路径/a b?x=1&y=2+3#frag", Title: "  多余   空白\t标题 ", Author: "观察者网 · 头条",
			Content: `<p>没有图片的正文</p>`, Image: "https://img.example/图片 1.png?a=1&b=2"},
		{GUID: "h3", Link: "HTTPS://NEWS.EXAMPLE/UPPER", Title: "", Author: "  ", Content: ""},
		{GUID: "h4", Link: "mailto:someone@example.com", Title: "邮件\x00链接 \xff", Content: `<p><img src="https://img.example/x.png?q='1'"></p>`},
	}
	for i := range items {
		items[i].Published = f.now.Add(-time.Duration(i+1) * 7 * time.Minute)
	}
	if _, err := f.st.InsertItems(t.Context(), f.ids[0], items, 0, nil, f.now); err != nil {
		t.Fatal(err)
	}
}

// builtinTemplates writes the built-in page templates into a new folder,
// each with changes (none when the function returns it unchanged).
func builtinTemplates(t *testing.T, change func(name, text string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range []string{"layout.html", "entry.html", "list.html", "post.html"} {
		data, err := os.ReadFile(filepath.Join("templates", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(change(n, string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPageWritersMakeTheSamePages: a build with the built-in templates,
// whose posts, lists and entries the hand-written page writers render,
// writes the very files of one that renders them with html/template:
// templates whose files differ from the built-in ones by a comment.
func TestPageWritersMakeTheSamePages(t *testing.T) {
	f := standard(t)
	hostileItems(t, f)
	cfg := func(dir, templates string) site.Config {
		return site.Config{Dir: dir, Templates: templates, Title: `新闻 <聚合> & "站"`, Description: `每日 'news' + more`,
			BaseURL: "https://news.example.org/sub/", PerPage: 3}
	}
	fast := t.TempDir()
	build(t, f, cfg(fast, ""), site.Options{})
	commented := builtinTemplates(t, func(_, text string) string { return text + "{{/* html/template */}}" })
	slow := t.TempDir()
	build(t, f, cfg(slow, commented), site.Options{})
	// The search index names its shards with a version taken from the
	// site's fingerprint, which the templates' bytes are part of.
	for _, dir := range []string{fast, slow} {
		if err := os.Remove(filepath.Join(dir, "search", "index.json")); err != nil {
			t.Fatal(err)
		}
	}
	if diff := compareTrees(t, fast, slow); diff != "" {
		t.Fatalf("the pages differ: %s", diff)
	}
	// The hostile items are on the pages compared.
	if home := read(t, fast, "index.html"); !strings.Contains(home, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39; &#43; 1") {
		t.Errorf("the home page lacks the escaped hostile title:\n%s", home)
	}
}

// TestChangedTemplateIsUsed: a template file of the user's, even one that
// differs from the built-in one by an attribute, is what renders its
// kind of page, and leaves the other kinds as they were.
func TestChangedTemplateIsUsed(t *testing.T) {
	f := standard(t)
	plain := t.TempDir()
	build(t, f, site.Config{Dir: plain}, site.Options{})
	newest := items(t, f)[0]
	post, home, channel := "posts/"+newest.Slug+".html", "index.html", "categories/新媒体/观察者网/头条/index.html"
	for _, tc := range []struct {
		file, old string
		onPosts   bool
		onLists   bool
	}{
		{"layout.html", `<main class="wrap">`, true, true},
		{"entry.html", `<li class="entry">`, false, true},
		{"post.html", `<article class="article">`, true, false},
		{"list.html", `<ul class="posts">`, false, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			mark := ` data-mine="` + tc.file + `"`
			tpl := builtinTemplates(t, func(name, text string) string {
				if name != tc.file {
					return text
				}
				return strings.Replace(text, tc.old, strings.TrimSuffix(tc.old, ">")+mark+">", 1)
			})
			dir := t.TempDir()
			build(t, f, site.Config{Dir: dir, Templates: tpl}, site.Options{})
			for _, p := range []struct {
				rel  string
				want bool
			}{{post, tc.onPosts}, {home, tc.onLists}, {channel, tc.onLists}} {
				page := read(t, dir, p.rel)
				if got := strings.Contains(page, mark); got != p.want {
					t.Errorf("%s shows the change: %v, want %v", p.rel, got, p.want)
				}
				if !p.want && page != read(t, plain, p.rel) {
					t.Errorf("%s differs from the page of the built-in templates", p.rel)
				}
			}
		})
	}
}
