package parse_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/parse"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// goldenItem is what the golden files hold of an item.
type goldenItem struct {
	Title     string `json:"title"`
	Link      string `json:"link"`
	Published string `json:"published,omitempty"`
	Content   string `json:"content,omitempty"`
}

type goldenFeed struct {
	Title string       `json:"title"`
	Link  string       `json:"link"`
	Items []goldenItem `json:"items"`
}

func golden(f *parse.Feed) goldenFeed {
	g := goldenFeed{Title: f.Title, Link: f.Link, Items: []goldenItem{}}
	for _, it := range f.Items {
		gi := goldenItem{Title: it.Title, Link: it.Link, Content: it.Content}
		if !it.Published.IsZero() {
			gi.Published = it.Published.Format(time.RFC3339)
		}
		g.Items = append(g.Items, gi)
	}
	return g
}

// Saved pages shaped like the news list pages of Chinese sites; each has
// a golden file <page>.golden.json. Regenerate with -update.
func TestParsePage(t *testing.T) {
	cases := []struct {
		page string
		url  string
		sel  feed.Selectors
	}{
		{
			page: "xinhua-politics.html",
			url:  "https://www.news.cn/politics/index.html",
			sel:  feed.Selectors{Item: "ul.dataList > li", Title: ".tit h3 a", Date: ".info .time", Content: "p.summary"},
		},
		{
			// GBK bytes, declared by <meta http-equiv>; the date is in
			// parentheses after the link.
			page: "sina-gbk.html",
			url:  "http://news.sina.com.cn/china/",
			sel:  feed.Selectors{Item: ".listBlk li", Title: "a", Date: "span"},
		},
		{
			// <base href>, the link in a data attribute of the item itself,
			// dates in <time datetime> or in Chinese.
			page: "gov-policy.html",
			url:  "https://www.gov.cn/zhengce/zuixin.htm",
			sel:  feed.Selectors{Item: ".list li", Title: ".title", Link: "@data-url", Date: "time"},
		},
	}
	for _, c := range cases {
		t.Run(c.page, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pages", c.page))
			if err != nil {
				t.Fatal(err)
			}
			f, err := parse.ParsePage(data, c.url, c.sel, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(golden(f)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", "pages", strings.TrimSuffix(c.page, ".html")+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("items differ from %s\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
}

// The GBK page reads as the right Chinese text, not as mojibake.
func TestParsePageGBK(t *testing.T) {
	data, err := os.ReadFile("testdata/pages/sina-gbk.html")
	if err != nil {
		t.Fatal(err)
	}
	if utf8.Valid(data) {
		t.Fatal("testdata/pages/sina-gbk.html must be GBK bytes, not UTF-8")
	}
	f, err := parse.ParsePage(data, "http://news.sina.com.cn/china/", feed.Selectors{Item: ".listBlk li", Title: "a", Date: "span"}, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "国内新闻_新浪网" {
		t.Errorf("page title = %q", f.Title)
	}
	if len(f.Items) != 3 {
		t.Fatalf("got %d items, want 3 (the repeated link dropped)", len(f.Items))
	}
	want := feed.Item{Title: "朱镕基题写校名的清华经管学院迎来新学期", Link: "http://news.sina.com.cn/c/2024-01-02/doc-inaaxyzw1234567.shtml",
		Published: time.Date(2024, 1, 2, 10, 30, 0, 0, shanghai).UTC()}
	if got := f.Items[0]; got.Title != want.Title || got.Link != want.Link || !got.Published.Equal(want.Published) {
		t.Errorf("first item = %+v, want %+v", got, want)
	}
	if got := f.Items[1].Link; got != "http://news.sina.com.cn/c/2024-01-02/doc-inaaxyzw7654321.shtml" {
		t.Errorf("relative link resolved to %q", got)
	}
}

func TestParsePageErrors(t *testing.T) {
	page := []byte(`<html><body><ul class="news"><li><a href="/a">A</a></li></ul><div class="empty"><span></span></div></body></html>`)
	cases := []struct {
		name string
		sel  feed.Selectors
		want error
	}{
		{"item selector matches nothing", feed.Selectors{Item: "ul.list li", Title: "a"}, parse.ErrNoItems},
		{"items without title or link", feed.Selectors{Item: "div.empty", Title: "h3"}, parse.ErrNoItems},
		{"bad item selector", feed.Selectors{Item: "ul..news", Title: "a"}, new(parse.SelectorError)},
		{"bad title selector", feed.Selectors{Item: "li", Title: "a["}, new(parse.SelectorError)},
		{"attribute without a name", feed.Selectors{Item: "li", Title: "a", Link: "a@"}, new(parse.SelectorError)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParsePage(page, "https://example.com/", c.sel, time.UTC)
			var se *parse.SelectorError
			switch {
			case err == nil:
				t.Fatal("no error")
			case errors.As(c.want, &se):
				if !errors.As(err, &se) {
					t.Errorf("error %v is not a SelectorError", err)
				}
			case !errors.Is(err, c.want):
				t.Errorf("error = %v, want %v", err, c.want)
			}
		})
	}
	if _, err := parse.ParsePage([]byte("  \n"), "https://example.com/", feed.Selectors{Item: "li", Title: "a"}, time.UTC); !errors.Is(err, parse.ErrEmpty) {
		t.Errorf("empty page: %v", err)
	}
}

func TestCheckSelector(t *testing.T) {
	cases := []struct {
		sel  string
		attr bool
		ok   bool
	}{
		{"ul.news > li", false, true},
		{"div.a, div.b", false, true},
		{"li:nth-child(2n+1) a[href^='/news']", false, true},
		{"a@href", true, true},
		{"@data-url", true, true},
		{"a@href", false, false},
		{"a@", true, false},
		{"", false, false},
		{"ul..news", false, false},
		{"a[", false, false},
		{"a[title='x@y']", true, true},
	}
	for _, c := range cases {
		err := parse.CheckSelector(c.sel, c.attr)
		if (err == nil) != c.ok {
			t.Errorf("CheckSelector(%q, %v) = %v, want ok %v", c.sel, c.attr, err, c.ok)
		}
	}
}

func TestSelect(t *testing.T) {
	page := []byte(`<html><head><title>t</title></head><body><div class="nav"><a href="/">home</a></div>
<div class="article"><p>第一段<img src="img/1.jpg"></p><p><a href="../other.html">链接</a><a href="#note">注</a></p></div>
<div class="article"><p>第二块</p></div></body></html>`)
	got, err := parse.Select(page, "https://example.com/news/2024/a.html", ".article")
	if err != nil {
		t.Fatal(err)
	}
	want := `<div class="article"><p>第一段<img src="https://example.com/news/2024/img/1.jpg"/></p><p><a href="https://example.com/news/other.html">链接</a><a href="#note">注</a></p></div>` +
		`<div class="article"><p>第二块</p></div>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, err := parse.Select(page, "https://example.com/", ".missing"); err != nil || got != "" {
		t.Errorf("no match: %q, %v", got, err)
	}
}

func FuzzParsePage(f *testing.F) {
	for _, name := range []string{"xinhua-politics.html", "sina-gbk.html", "gov-policy.html"} {
		data, err := os.ReadFile(filepath.Join("testdata", "pages", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "li", "a")
	}
	f.Add([]byte(`<li><a href="javascript:x">t</a><span>2024年1月2日 10:30</span></li>`), "li", "a@title")
	f.Fuzz(func(t *testing.T, data []byte, item, title string) {
		sel := feed.Selectors{Item: item, Title: title, Link: "a@href", Date: "span", Content: "p"}
		f, err := parse.ParsePage(data, "https://example.com/list/", sel, shanghai)
		if err != nil {
			return
		}
		for _, it := range f.Items {
			for _, s := range []string{it.Title, it.Link, it.Content} {
				if !utf8.ValidString(s) {
					t.Fatalf("item has invalid UTF-8: %+v", it)
				}
			}
			if it.Title == "" {
				t.Fatalf("item without a title: %+v", it)
			}
		}
	})
}
