package refresh_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rssItem struct{ title, link, desc, date string }

func rssDoc(encoding string, items ...rssItem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"%s\"?>\n<rss version=\"2.0\"><channel><title>测试</title><link>https://news.example.com/</link>\n", encoding)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid>%s</guid><description><![CDATA[%s]]></description><pubDate>%s</pubDate></item>\n", it.title, it.link, it.link, it.desc, it.date)
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

// postTitles returns the titles of the posts written under out, sorted.
func postTitles(t *testing.T, out string) []string {
	t.Helper()
	var titles []string
	err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m := regexp.MustCompile(`(?m)^title: (.*)$`).FindSubmatch(data)
		if m == nil {
			return fmt.Errorf("%s has no title", path)
		}
		titles = append(titles, strings.Trim(string(m[1]), `'"`))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(titles)
	return titles
}

func storedItems(t *testing.T, r *refresh.Runner, src feed.Source) map[string]store.Item {
	t.Helper()
	row, err := r.Store.EnsureSource(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	items, err := r.Store.Items(t.Context(), row.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Item{}
	for _, it := range items {
		out[it.Link] = it
	}
	return out
}

// GBK feeds become UTF-8 posts whichever way their charset is declared,
// also when the header lies.
func TestRunGBKFeeds(t *testing.T) {
	doc := func(enc string) []byte {
		return gbk(t, rssDoc(enc, rssItem{"国务院常务会议部署推动经济回升", "https://news.example.com/a/1.html", "<p>会议指出，经济运行总体平稳。</p>", "Tue, 02 Jan 2024 10:30:00 +0800"}))
	}
	cases := []struct {
		name, contentType, prolog string
	}{
		{"header", "application/rss+xml; charset=gbk", "ascii"},
		{"prolog", "text/xml", "gb2312"},
		{"header lies, prolog right", "application/rss+xml; charset=utf-8", "gbk"},
		{"undeclared", "application/xml", "utf-8"}, // the prolog lies too
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := doc(c.prolog)
			if c.prolog == "ascii" {
				body = []byte(strings.Replace(string(body), ` encoding="ascii"`, "", 1))
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				w.Write(body)
			}))
			defer srv.Close()
			out := t.TempDir()
			r := newRunner(t, out)
			src := feed.Source{Group: "新闻", Name: "测试", Channel: "要闻", URL: srv.URL}
			res, err := r.Run(t.Context(), []feed.Source{src}, nil)
			if err != nil || res[0].Err != nil {
				t.Fatalf("run: %v, %v", err, res[0].Err)
			}
			if got := postTitles(t, out); len(got) != 1 || got[0] != "国务院常务会议部署推动经济回升" {
				t.Errorf("posts = %q", got)
			}
			it := storedItems(t, r, src)["https://news.example.com/a/1.html"]
			if it.Content != "<p>会议指出，经济运行总体平稳。</p>" {
				t.Errorf("content = %q", it.Content)
			}
		})
	}
}

// A news list page in GBK, read by selectors, gives posts.
func TestRunPageSource(t *testing.T) {
	page := gbk(t, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>国内新闻</title></head><body>
<ul class="list_009">
<li><a href="/c/2024-01-02/doc-1.shtml">多地发布寒潮预警</a><span>(2024年01月02日 09:15)</span></li>
<li><a href="/c/2024-01-02/doc-2.shtml">春运1月26日开启</a><span>(2024年01月02日 10:30)</span></li>
<li><a href="/c/2024-01-01/doc-3.shtml">广告：新年大促</a><span>(2024年01月01日 08:00)</span></li>
</ul></body></html>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(page)
	}))
	defer srv.Close()
	out := t.TempDir()
	r := newRunner(t, out)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	r.Location = loc
	src := feed.Source{Group: "新闻", Name: "新浪", Channel: "国内", URL: srv.URL + "/china/",
		Page:    &feed.Selectors{Item: "ul.list_009 li", Title: "a", Date: "span"},
		Exclude: []*regexp.Regexp{regexp.MustCompile(`^广告`)}}
	res, err := r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatalf("run: %v, %v", err, res[0].Err)
	}
	if res[0].Posts != 2 || res[0].Filtered != 1 {
		t.Errorf("result = %+v", res[0])
	}
	if got := postTitles(t, out); strings.Join(got, "|") != "多地发布寒潮预警|春运1月26日开启" {
		t.Errorf("posts = %q", got)
	}
	it := storedItems(t, r, src)[srv.URL+"/c/2024-01-02/doc-2.shtml"]
	if want := time.Date(2024, 1, 2, 2, 30, 0, 0, time.UTC); !it.Published.Equal(want) {
		t.Errorf("published = %v, want %v (the dates are read in the runner's zone)", it.Published, want)
	}
}

// Full text fetches the pages of new items only; a page that fails keeps
// the summary and is reported without failing the source.
func TestRunFullText(t *testing.T) {
	article := gbk(t, `<html><head><meta charset="gbk"><title>文章</title></head><body><div class="nav"><a href="/">首页</a></div>
<div class="article"><p>会议指出，过去一年，面对复杂严峻的国际环境和艰巨繁重的国内改革发展稳定任务，经济社会发展主要目标任务圆满完成。</p>
<p>会议强调，要坚持稳中求进、以进促稳、先立后破，多出有利于稳预期、稳增长、稳就业的政策。</p></div></body></html>`)
	var mu sync.Mutex
	hits := map[string]int{}
	var feedItems []rssItem
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		doc := rssDoc("utf-8", feedItems...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write([]byte(doc))
	})
	mux.HandleFunc("/a/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/a/missing.html":
			http.NotFound(w, r)
		case "/a/slow.html":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			w.Header().Set("Content-Type", "text/html")
			w.Write(article)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	fetch.AllowTestServer(t, srv.Listener.Addr().String()) // the item links' pages
	summary := "<p>会议召开。</p>"
	feedItems = []rssItem{
		{"会议一", srv.URL + "/a/1.html", summary, "Tue, 02 Jan 2024 10:00:00 +0800"},
		{"会议二", srv.URL + "/a/missing.html", summary, "Tue, 02 Jan 2024 11:00:00 +0800"},
		{"会议三", srv.URL + "/a/slow.html", summary, "Tue, 02 Jan 2024 12:00:00 +0800"},
	}
	out := t.TempDir()
	r := newRunner(t, out)
	r.Fetch = newClient(300 * time.Millisecond)
	src := feed.Source{Group: "新闻", Name: "测试", Channel: "全文", URL: srv.URL + "/feed", ContentSelector: "div.article"}
	var lines []refresh.Result
	res, err := r.Run(t.Context(), []feed.Source{src}, func(res refresh.Result) { lines = append(lines, res) })
	if err != nil {
		t.Fatal(err)
	}
	got := res[0]
	if got.Err != nil || got.Posts != 3 || got.FullText != 1 || got.FullTextFailed != 2 || got.FullTextErr == nil {
		t.Fatalf("result = %+v", got)
	}
	items := storedItems(t, r, src)
	if c := items[srv.URL+"/a/1.html"].Content; !strings.Contains(c, "会议强调，要坚持稳中求进") || strings.Contains(c, "首页") {
		t.Errorf("full text content = %q", c)
	}
	for _, p := range []string{"/a/missing.html", "/a/slow.html"} {
		if c := items[srv.URL+p].Content; c != summary {
			t.Errorf("%s: content = %q, want the summary", p, c)
		}
	}

	// The next run fetches only the page of the item that is new.
	mu.Lock()
	feedItems = append(feedItems, rssItem{"会议四", srv.URL + "/a/4.html", summary, "Tue, 02 Jan 2024 13:00:00 +0800"})
	mu.Unlock()
	res, err = r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil || res[0].Err != nil || res[0].FullText != 1 || res[0].FullTextFailed != 0 || res[0].Posts != 1 {
		t.Fatalf("second run: %v, %+v", err, res[0])
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"/a/1.html": 1, "/a/missing.html": 1, "/a/slow.html": 1, "/a/4.html": 1}
	for p, n := range want {
		if hits[p] != n {
			t.Errorf("%s fetched %d times, want %d (hits %v)", p, hits[p], n, hits)
		}
	}
}

// include and exclude decide which items are stored and published.
func TestRunFilters(t *testing.T) {
	items := []rssItem{
		{"国务院常务会议召开", "https://news.example.com/1", "<p>会议内容</p>", "Tue, 02 Jan 2024 10:00:00 +0800"},
		{"体育新闻", "https://news.example.com/2", "<p>外交部发言人表示……</p>", "Tue, 02 Jan 2024 10:01:00 +0800"},
		{"国务院推广活动", "https://news.example.com/3", "<p>广告</p>", "Tue, 02 Jan 2024 10:02:00 +0800"},
		{"娱乐新闻", "https://news.example.com/4", `<p><a href="https://gov.example.com/国务院">链接</a></p>`, "Tue, 02 Jan 2024 10:03:00 +0800"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(rssDoc("utf-8", items...)))
	}))
	defer srv.Close()
	out := t.TempDir()
	r := newRunner(t, out)
	src := feed.Source{Group: "新闻", Name: "测试", Channel: "过滤", URL: srv.URL, MaxItems: 2,
		Include: []*regexp.Regexp{regexp.MustCompile(`国务院|外交部`)},
		Exclude: []*regexp.Regexp{regexp.MustCompile(`广告|推广`)}}
	res, err := r.Run(context.Background(), []feed.Source{src}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatalf("run: %v, %v", err, res[0].Err)
	}
	// Item 4 matches only inside a tag's attribute, which is not text.
	if res[0].Filtered != 2 || res[0].Items != 2 {
		t.Errorf("result = %+v", res[0])
	}
	if got := postTitles(t, out); strings.Join(got, "|") != "体育新闻|国务院常务会议召开" {
		t.Errorf("posts = %q", got)
	}
	if n := len(storedItems(t, r, src)); n != 2 {
		t.Errorf("%d items stored, want 2", n)
	}
}

func newClient(timeout time.Duration) *fetch.Client {
	return fetch.New(fetch.Options{Timeout: timeout, MaxBytes: 1 << 20, UserAgent: "test"})
}
