package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
)

const head = "rsshub: https://rsshub.example.com\nsources:\n  - group: 新闻\n    source: 某网\n    channel: 要闻\n"

// The keys of page sources, full text and filters, and the errors their
// mistakes give: file, line, field and what is wrong.
func TestSourceExtrasErrors(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string // after head
		line  int
		field string
		msg   string // a part of the message
	}{
		{"url and page", "    url: /x/y\n    page: https://example.com/list\n", 7, "sources[0].page", "not both"},
		{"neither url nor page", "    max_items: 3\n", 3, "sources[0].url", "page: with selectors"},
		{"page without selectors", "    page: https://example.com/list\n", 6, "sources[0].selectors", "needs selectors"},
		{"page as a route", "    page: /news/list\n    selectors: {item: li, title: a}\n", 6, "sources[0].page", "is a path"},
		{"page with a bad scheme", "    page: ftp://example.com/list\n    selectors: {item: li, title: a}\n", 6, "sources[0].page", "scheme"},
		{"selectors on a feed", "    url: /x/y\n    selectors:\n      item: li\n", 7, "sources[0].selectors", "only a page source"},
		{"missing item selector", "    page: https://example.com/list\n    selectors:\n      title: a\n", 7, "sources[0].selectors.item", "each item's element"},
		{"missing title selector", "    page: https://example.com/list\n    selectors:\n      item: ul li\n      link: a\n", 7, "sources[0].selectors.title", "title inside each item"},
		{"bad item selector", "    page: https://example.com/list\n    selectors:\n      item: ul..news li\n      title: a\n", 8, "sources[0].selectors.item", "is not a CSS selector"},
		{"bad date selector", "    page: https://example.com/list\n    selectors:\n      item: li\n      title: a\n      date: \"span[\"\n", 10, "sources[0].selectors.date", "is not a CSS selector"},
		{"link attribute without a name", "    page: https://example.com/list\n    selectors:\n      item: li\n      title: a\n      link: a@\n", 10, "sources[0].selectors.link", "no attribute name"},
		{"unknown selector key", "    page: https://example.com/list\n    selectors:\n      item: li\n      titel: a\n", 9, "sources[0].selectors.titel", "unknown setting"},
		{"bad content_selector", "    url: /x/y\n    content_selector: \"div[\"\n", 7, "sources[0].content_selector", "is not a CSS selector"},
		{"bad include", "    url: /x/y\n    include: \"(华为\"\n", 7, "sources[0].include", "is not a regular expression: missing closing )"},
		{"bad exclude in a list", "    url: /x/y\n    exclude:\n      - 广告\n      - \"[推广\"\n", 9, "sources[0].exclude[1]", "is not a regular expression"},
		{"empty include", "    url: /x/y\n    include: \"\"\n", 7, "sources[0].include", "matches every item"},
		{"include as a mapping", "    url: /x/y\n    include:\n      a: b\n", 8, "sources[0].include", "must be"},
		{"fulltext not a bool", "    url: /x/y\n    fulltext: sometimes\n", 7, "sources[0].fulltext", "true or false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse("feedmill.yaml", []byte(head+c.yaml))
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *config.Error", err)
			}
			if ce.Line != c.line || ce.Field != c.field || !strings.Contains(ce.Msg, c.msg) {
				t.Errorf("error = %q (line %d, field %q), want line %d, field %q, message with %q", err, ce.Line, ce.Field, c.line, c.field, c.msg)
			}
		})
	}
}

func TestSourceExtras(t *testing.T) {
	yaml := head + `    page: https://www.news.cn/politics/
    selectors:
      item: ul.dataList > li
      title: h3 a
      link: h3 a@href
      date: .time
      content: p.summary
    fulltext: true
    include: 国务院|总理
    exclude:
      - 广告
      - (?i)sponsored
  - group: 新闻
    source: 某网
    channel: 深度
    url: /some/route
    content_selector: div.article-content
`
	cfg, err := config.Parse("feedmill.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	srcs := cfg.FeedSources()
	page := srcs[0]
	if page.URL != "https://www.news.cn/politics/" || page.Page == nil {
		t.Fatalf("page source = %+v", page)
	}
	if want := (feed.Selectors{Item: "ul.dataList > li", Title: "h3 a", Link: "h3 a@href", Date: ".time", Content: "p.summary"}); *page.Page != want {
		t.Errorf("selectors = %+v, want %+v", *page.Page, want)
	}
	if !page.FullText || !page.WantsFullText() {
		t.Error("fulltext not set")
	}
	if len(page.Include) != 1 || len(page.Exclude) != 2 {
		t.Fatalf("include %v, exclude %v", page.Include, page.Exclude)
	}
	keep := []struct {
		title, text string
		want        bool
	}{
		{"国务院常务会议召开", "", true},
		{"会议", "总理主持召开会议", true},
		{"体育新闻", "比赛结果", false},
		{"国务院广告", "", false},
		{"总理出席", "SPONSORED content", false},
	}
	for _, k := range keep {
		if got := page.Keep(k.title, k.text); got != k.want {
			t.Errorf("Keep(%q, %q) = %v, want %v", k.title, k.text, got, k.want)
		}
	}
	feedSrc := srcs[1]
	if feedSrc.Page != nil || feedSrc.FullText || !feedSrc.WantsFullText() || feedSrc.ContentSelector != "div.article-content" {
		t.Errorf("feed source = %+v", feedSrc)
	}
	if feedSrc.URL != "https://rsshub.example.com/some/route" {
		t.Errorf("url = %q", feedSrc.URL)
	}
	if feedSrc.Filters() || !page.Filters() {
		t.Error("Filters() wrong")
	}
}
