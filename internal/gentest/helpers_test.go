package gentest_test

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/htmlfind"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/publish/hugo"
	"github.com/feedmill/feedmill/internal/publish/jekyll"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// feeds are the test feeds: the real-Hexo test's two (template syntax,
// blank lines, Markdown-looking text, titles Hexo would hide) and one
// with Hugo shortcodes and Liquid tags.
var feeds = map[string]string{
	"guancha.xml":    "../hexotest/testdata/guancha.xml",
	"thepaper.xml":   "../hexotest/testdata/thepaper.xml",
	"shortcodes.xml": "testdata/shortcodes.xml",
	"names.xml":      "testdata/names.xml",
}

// names are the bodies of names.xml's posts: titles that a generator
// could take for one page (case, punctuation), for a folder's index
// ("index": Hugo then makes the channel a bundle and drops its posts) or
// for a backup file ("~" at the end).
var names = []string{"名为 index 的新闻。", "名为 _index 的新闻。", "只有问号的标题。", "只有表情的标题。", "大写在前的标题。",
	"小写在前的标题。", "叹号结尾的速览。", "问号结尾的速览。", "波浪号结尾的标题。"}

// sources publish the feeds under three category levels, two sources in
// one group.
func sources(base string) []feed.Source {
	return []feed.Source{
		{Group: "新媒体", Name: "观察者网", Channel: "头条", URL: base + "/guancha.xml"},
		{Group: "新媒体", Name: "澎湃新闻", Channel: "要闻", URL: base + "/thepaper.xml"},
		{Group: "技术", Name: "掘金", Channel: "前端", URL: base + "/shortcodes.xml"},
		{Group: "技术", Name: "掘金", Channel: "后端", URL: base + "/names.xml"},
	}
}

// publish runs feedmill's pipeline over the test feeds into dir in the
// given format, twice: the second run must write nothing. The same runs
// write the other formats into folders of their own, so that the site is
// built from posts of a run with several outputs; each output's files are
// those of a run with that output alone.
func publish(t *testing.T, dir string, format refresh.Format) {
	t.Helper()
	outs := []refresh.Output{{Dir: dir, Format: format, Name: "site"}}
	for _, f := range []refresh.Format{hexo.Format{}, hugo.Format{}, jekyll.Format{}} {
		if f.Name() != format.Name() {
			other := t.TempDir()
			outs = append(outs, refresh.Output{Dir: other, Format: f, Name: other})
		}
	}
	runAll(t, outs...)
	alone := t.TempDir()
	runAll(t, refresh.Output{Dir: alone, Format: format, Name: "alone"})
	if got, want := tree(t, dir), tree(t, alone); got != want {
		t.Errorf("a run with several outputs wrote\n%s\none with %s alone\n%s", got, format.Name(), want)
	}
}

// tree lists a folder's files with their bytes' hashes, but for the
// example sites' .gitkeep, which the folder had before the run.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".gitkeep" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %x\n", filepath.ToSlash(rel), sha256.Sum256(data))
		return nil
	})
	return b.String()
}

// runAll runs the pipeline over the test feeds into outs, twice, on a
// store of its own.
func runAll(t *testing.T, outs ...refresh.Output) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(feeds[filepath.Base(r.URL.Path)])
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &refresh.Runner{
		Fetch:       fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, UserAgent: "test"}),
		Store:       st,
		Outputs:     outs,
		Location:    time.UTC,
		Concurrency: 2,
	}
	for run := 1; run <= 2; run++ {
		results, err := r.Run(t.Context(), sources(srv.URL), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range results {
			if res.Err != nil || res.PublishErr != nil || (run == 1 && res.Posts == 0) || (run == 2 && res.Posts != 0) {
				t.Fatalf("run %d: %s: %+v", run, res.Source.Key(), res)
			}
		}
	}
}

func readPage(t *testing.T, path string) *html.Node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("page missing: %v", err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// postPages returns the pages of public that hold a post body (class
// post-body), by their path relative to public.
func postPages(t *testing.T, public string) map[string]*html.Node {
	t.Helper()
	pages := map[string]*html.Node{}
	err := filepath.WalkDir(public, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".html" {
			return err
		}
		doc := readPage(t, p)
		if bodies := htmlfind.All(doc, htmlfind.Class("post-body")); len(bodies) == 1 {
			rel, _ := filepath.Rel(public, p)
			pages[filepath.ToSlash(rel)] = bodies[0]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// checkPosts checks the post pages: one per item, each showing the feed's
// HTML as HTML and its braces as written.
func checkPosts(t *testing.T, pages map[string]*html.Node) {
	t.Helper()
	if want := 6 + len(names); len(pages) != want {
		var paths []string
		for k := range pages {
			paths = append(paths, k)
		}
		t.Errorf("found %d post pages, want %d: %q", len(pages), want, paths)
	}
	body := func(t *testing.T, want string) *html.Node {
		t.Helper()
		for _, b := range pages {
			if strings.Contains(htmlfind.Text(b), want) {
				return b
			}
		}
		t.Fatalf("no post page shows %q", want)
		return nil
	}
	t.Run("template syntax shown as written", func(t *testing.T) {
		for _, want := range []string{
			"双花括号 {{ page.title }} 不是变量。",
			"标签 {% raw %}原文{% endraw %} 不是标签，{# 也不是注释 #} 照样显示。",
			"单个 { 与 } 以及 {{{ 三个 }}} 也一样。",
			"短代码 {{< youtube abc >}} 与 {{% note %}} 不是短代码。",
			"Liquid 的 {{ site.title }} 与 {% include x.html %} 也不是。",
			`{% endraw %} {{ "a" | upcase }}`,
		} {
			body(t, want)
		}
		b := body(t, "双花括号")
		if n := len(htmlfind.All(b, htmlfind.Element("p"))); n != 4 {
			t.Errorf("post has %d paragraphs, want 4", n)
		}
		if n := len(htmlfind.All(b, htmlfind.Element("img"))); n != 1 {
			t.Errorf("post has %d images, want 1", n)
		}
	})
	t.Run("blank lines and Markdown-looking text keep the HTML as HTML", func(t *testing.T) {
		b := body(t, "第一段，空行之前。")
		got := htmlfind.Text(b)
		for _, want := range []string{"第二段，在一个空行之后。", "第三段缩进了四个空格。", "盒子里的第五段。", "盒子里空行之后的第六段。",
			"纯文本行里有 *星号* 和 _下划线_ 以及 [方括号](https://example.com/not-a-link) 。"} {
			if !strings.Contains(got, want) {
				t.Errorf("post text lacks %q; it reads %q", want, got)
			}
		}
		if code := htmlfind.All(b, func(n *html.Node) bool { return htmlfind.Element("pre")(n) || htmlfind.Element("code")(n) }); len(code) > 0 {
			t.Errorf("the feed's HTML became a code block: %q", htmlfind.Text(code[0]))
		}
		if strings.Contains(got, "<p>") {
			t.Errorf("tags shown as text: %q", got)
		}
		if em := htmlfind.All(b, func(n *html.Node) bool { return htmlfind.Element("em")(n) || htmlfind.Element("a")(n) }); len(em) > 0 {
			t.Errorf("feed text became Markdown: <%s>%s</%s>", em[0].Data, htmlfind.Text(em[0]), em[0].Data)
		}
	})
	t.Run("titles Hexo would hide", func(t *testing.T) {
		body(t, "标题以引号开头的新闻。")
		body(t, "标题以方括号开头的新闻。")
	})
	t.Run("every title has a page of its own", func(t *testing.T) {
		for _, want := range names {
			body(t, want)
		}
	})
}

// listed returns the texts of the links in the page's element of class
// list.
func listed(t *testing.T, path, class string) string {
	t.Helper()
	lists := htmlfind.All(readPage(t, path), htmlfind.Class(class))
	if len(lists) != 1 {
		t.Fatalf("%s: %d lists of class %s", path, len(lists), class)
	}
	return htmlfind.Text(lists[0])
}
