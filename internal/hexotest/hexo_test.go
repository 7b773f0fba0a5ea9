package hexotest_test

import (
	"context"
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
	"github.com/feedmill/feedmill/internal/hexotest"
	"github.com/feedmill/feedmill/internal/htmlfind"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// feedServer serves the feeds of testdata/ by name.
func feedServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join("testdata", filepath.Base(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// publishInto runs feedmill's pipeline over the test feeds into dir.
func publishInto(t *testing.T, dir string) []feed.Source {
	t.Helper()
	srv := feedServer(t)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &refresh.Runner{
		Fetch:       fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, UserAgent: "test"}),
		Store:       st,
		Outputs:     []refresh.Output{{Dir: dir, Format: hexo.Format{}, Name: "posts"}},
		Location:    time.UTC,
		Concurrency: 2,
	}
	sources := []feed.Source{
		{Group: "新媒体", Name: "观察者网", Channel: "头条", URL: srv.URL + "/guancha.xml", MaxItems: 15},
		{Group: "新媒体", Name: "澎湃新闻", Channel: "要闻", URL: srv.URL + "/thepaper.xml", MaxItems: 15},
	}
	results, err := r.Run(t.Context(), sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if res.Err != nil || res.Posts == 0 {
			t.Fatalf("%s: %+v", res.Source.Key(), res)
		}
	}
	return sources
}

// page is a generated HTML page.
type page struct {
	path string
	doc  *html.Node
}

func readPage(t *testing.T, path string) page {
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
	return page{path: path, doc: doc}
}

// postPages returns the generated post pages by the name of their
// source file.
func postPages(t *testing.T, public string) map[string]page {
	t.Helper()
	pages := map[string]page{}
	err := filepath.WalkDir(public, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "index.html" {
			return err
		}
		pg := readPage(t, p)
		if len(htmlfind.All(pg.doc, htmlfind.Class("post-body"))) == 1 {
			pages[filepath.Base(filepath.Dir(p))] = pg
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// Posts feedmill writes must go through the real Hexo: the build succeeds,
// each level of the group/source/channel taxonomy gets a category page,
// and each post page shows the feed's content as the feed meant it.
func TestHexoGeneratesFeedmillPosts(t *testing.T) {
	install := hexotest.Require(t)
	site, err := hexotest.NewSite(t.TempDir(), install, hexotest.Minimal)
	if err != nil {
		t.Fatal(err)
	}
	publishInto(t, site.PostsDir())

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if out, err := site.Generate(ctx); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	public := site.PublicDir()

	t.Run("category pages at every level", func(t *testing.T) {
		for _, c := range []struct {
			path   string
			titles []string
		}{
			{"新媒体", []string{"模板语法", "空行与缩进", "元宇宙", "视频", "澎湃要闻"}},
			{"新媒体/观察者网", []string{"模板语法", "空行与缩进", "元宇宙", "视频"}},
			{"新媒体/观察者网/头条", []string{"模板语法", "空行与缩进", "元宇宙", "视频"}},
			{"新媒体/澎湃新闻", []string{"澎湃要闻"}},
			{"新媒体/澎湃新闻/要闻", []string{"澎湃要闻"}},
		} {
			pg := readPage(t, filepath.Join(public, "categories", filepath.FromSlash(c.path), "index.html"))
			list := htmlfind.All(pg.doc, htmlfind.Class("posts"))
			if len(list) != 1 {
				t.Fatalf("%s: no post list", c.path)
			}
			items := htmlfind.All(list[0], htmlfind.Element("li"))
			if len(items) != len(c.titles) {
				t.Errorf("%s lists %d posts, want %d: %q", c.path, len(items), len(c.titles), htmlfind.Text(list[0]))
			}
			for _, title := range c.titles {
				if !strings.Contains(htmlfind.Text(list[0]), title) {
					t.Errorf("%s does not list %q", c.path, title)
				}
			}
		}
	})

	pages := postPages(t, public)
	if len(pages) != 5 {
		names := make([]string, 0, len(pages))
		for k := range pages {
			names = append(names, k)
		}
		t.Fatalf("found %d post pages, want 5: %q", len(pages), names)
	}
	body := func(t *testing.T, prefix string) *html.Node {
		t.Helper()
		for name, pg := range pages {
			if strings.HasPrefix(name, prefix) {
				return htmlfind.All(pg.doc, htmlfind.Class("post-body"))[0]
			}
		}
		t.Fatalf("no post page named %s…", prefix)
		return nil
	}

	t.Run("template syntax shown literally", func(t *testing.T) {
		b := body(t, "模板语法")
		got := htmlfind.Text(b)
		for _, want := range []string{
			"双花括号 {{ page.title }} 不是变量。",
			"标签 {% raw %}原文{% endraw %} 不是标签，{# 也不是注释 #} 照样显示。",
			"单个 { 与 } 以及 {{{ 三个 }}} 也一样。",
			"图片之后的第四段。",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("post text lacks %q; it reads %q", want, got)
			}
		}
		if n := len(htmlfind.All(b, htmlfind.Element("p"))); n != 4 {
			t.Errorf("post has %d paragraphs, want 4", n)
		}
		imgs := htmlfind.All(b, htmlfind.Element("img"))
		if len(imgs) != 1 {
			t.Fatalf("post has %d images, want 1", len(imgs))
		}
	})

	// A title starting with “ or [ starts with "_" after the title rule,
	// and Hexo skips files whose name starts with "_".
	t.Run("titles starting with a quote or a bracket", func(t *testing.T) {
		for prefix, want := range map[string]string{"＿元宇宙": "标题以引号开头的新闻。", "＿视频": "标题以方括号开头的新闻。"} {
			if got := htmlfind.Text(body(t, prefix)); !strings.Contains(got, want) {
				t.Errorf("post %s… reads %q", prefix, got)
			}
		}
	})

	t.Run("plain post", func(t *testing.T) {
		b := body(t, "澎湃要闻")
		if got := htmlfind.Text(b); !strings.Contains(got, "一条普通新闻的正文。") {
			t.Errorf("post text is %q", got)
		}
		if n := len(htmlfind.All(b, htmlfind.Element("img"))); n != 1 {
			t.Errorf("post has %d images, want 1", n)
		}
	})

	// Hexo renders a post as Markdown, and its body sits in a <div> HTML
	// block that ends at the first blank line. After a blank line, a line
	// indented four spaces becomes a code block that shows the tags as text,
	// and a text line becomes Markdown (*a* is emphasis, [a](b) a link).
	// The old system's posts have the same fault.
	t.Run("blank lines keep the HTML as HTML", func(t *testing.T) {
		b := body(t, "空行与缩进")
		got := htmlfind.Text(b)
		for _, want := range []string{"第一段，空行之前。", "第二段，在一个空行之后。", "第三段缩进了四个空格。", "盒子里的第五段。", "盒子里空行之后的第六段。"} {
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
		var paras []string
		for _, p := range htmlfind.All(b, htmlfind.Element("p")) {
			paras = append(paras, htmlfind.Text(p))
		}
		for _, want := range []string{"第三段缩进了四个空格。", "盒子里空行之后的第六段。"} {
			found := false
			for _, p := range paras {
				found = found || strings.TrimSpace(p) == want
			}
			if !found {
				t.Errorf("%q is not a paragraph of its own; paragraphs: %q", want, paras)
			}
		}
		t.Run("markdown syntax in feed text stays text", func(t *testing.T) {
			if want := "纯文本行里有 *星号* 和 _下划线_ 以及 [方括号](https://example.com/not-a-link) 。"; !strings.Contains(got, want) {
				t.Errorf("post text lacks %q; it reads %q", want, got)
			}
			if em := htmlfind.All(b, func(n *html.Node) bool { return htmlfind.Element("em")(n) || htmlfind.Element("a")(n) }); len(em) > 0 {
				t.Errorf("feed text became markdown: <%s>%s</%s>", em[0].Data, htmlfind.Text(em[0]), em[0].Data)
			}
		})
	})
}
