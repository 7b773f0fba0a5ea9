package fulltext_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/fulltext"
)

// pageServer serves article pages the way news sites do: in GBK without
// a charset in the header, in UTF-8, slowly, not at all, as a PDF.
func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	gbk, err := os.ReadFile("testdata/article-gbk.html")
	if err != nil {
		t.Fatal(err)
	}
	utf8Page, err := os.ReadFile("testdata/article-utf8.html")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/gbk/1.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(gbk)
	})
	mux.HandleFunc("/utf8/1.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(utf8Page)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/utf8/1.html", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/slow.html", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/file.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4"))
	})
	mux.HandleFunc("/empty.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body><script>location.href=\"/app\"</script><div id=\"app\"></div></body></html>"))
	})
	srv := httptest.NewServer(mux) // unknown paths answer 404
	t.Cleanup(srv.Close)
	fetch.AllowTestServer(t, srv.Listener.Addr().String())
	return srv
}

func client() *fetch.Client {
	return fetch.New(fetch.Options{Timeout: 300 * time.Millisecond, MaxBytes: 1 << 20, UserAgent: "test"})
}

const summary = "<p>国务院总理主持召开常务会议。</p>"

func TestFill(t *testing.T) {
	srv := pageServer(t)
	cases := []struct {
		name     string
		link     string
		selector string
		// wantIn is text the new content must hold; "" means the
		// summary is kept.
		wantIn   string
		wantNot  string
		wantErr  error // the failure, when the page cannot be had
		wantKept bool
	}{
		{name: "gbk page by readability", link: "/gbk/1.html", wantIn: "会议强调，要坚持稳中求进", wantNot: "热门新闻"},
		{name: "utf-8 page by readability", link: "/utf8/1.html", wantIn: "形成推动高质量发展的合力", wantNot: "Copyright"},
		{name: "gbk page by selector", link: "/gbk/1.html", selector: "div.article-content", wantIn: `<div class="article-content" id="artibody">`},
		{name: "selector makes images absolute", link: "/utf8/1.html", selector: "#artibody", wantIn: `src="` + srv.URL + `/photo/2024/0102/meeting.jpg"`},
		{name: "redirect resolves against the final URL", link: "/moved", selector: "#artibody", wantIn: "会议还研究了其他事项"},
		{name: "selector matches nothing", link: "/utf8/1.html", selector: "div.no-such-thing", wantErr: fulltext.ErrNoMatch},
		{name: "not found", link: "/missing.html", wantErr: new(fetch.HTTPError)},
		{name: "slow page times out", link: "/slow.html", wantErr: errors.New("timed out")},
		{name: "not html", link: "/file.pdf", wantErr: fulltext.ErrNotHTML},
		{name: "no article", link: "/empty.html", wantErr: fulltext.ErrNoArticle},
		{name: "no link", link: "", wantErr: fulltext.ErrNoLink},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := feed.Item{Title: "t", Content: summary}
			if c.link != "" {
				it.Link = srv.URL + c.link
			}
			rep := fulltext.Fill(t.Context(), client(), []*feed.Item{&it}, c.selector, 2)
			if c.wantErr != nil {
				if len(rep.Failed) != 1 || rep.Replaced != 0 {
					t.Fatalf("report = %+v, want one failure", rep)
				}
				err := rep.Failed[0].Err
				var he *fetch.HTTPError
				switch {
				case errors.As(c.wantErr, &he):
					if !errors.As(err, &he) || he.StatusCode != 404 {
						t.Errorf("failure = %v, want HTTP 404", err)
					}
				case errors.Is(c.wantErr, fulltext.ErrNoMatch), errors.Is(c.wantErr, fulltext.ErrNotHTML), errors.Is(c.wantErr, fulltext.ErrNoArticle), errors.Is(c.wantErr, fulltext.ErrNoLink):
					if !errors.Is(err, c.wantErr) {
						t.Errorf("failure = %v, want %v", err, c.wantErr)
					}
				default:
					if !strings.Contains(err.Error(), c.wantErr.Error()) {
						t.Errorf("failure = %v, want one saying %q", err, c.wantErr)
					}
				}
				if it.Content != summary {
					t.Errorf("content = %q, want the summary kept", it.Content)
				}
				return
			}
			if rep.Replaced != 1 || len(rep.Failed) != 0 {
				t.Fatalf("report = %+v", rep)
			}
			if !strings.Contains(it.Content, c.wantIn) {
				t.Errorf("content lacks %q:\n%s", c.wantIn, it.Content)
			}
			if c.wantNot != "" && strings.Contains(it.Content, c.wantNot) {
				t.Errorf("content has %q, which is not the article:\n%s", c.wantNot, it.Content)
			}
		})
	}
}

// A feed that gives the full article already keeps it: the page's
// article is no longer.
func TestFillKeepsFullFeedContent(t *testing.T) {
	srv := pageServer(t)
	page, err := os.ReadFile("testdata/article-utf8.html")
	if err != nil {
		t.Fatal(err)
	}
	full := string(page) + "<p>编者按：本文另有补充内容。</p>"
	it := feed.Item{Link: srv.URL + "/utf8/1.html", Content: full}
	rep := fulltext.Fill(t.Context(), client(), []*feed.Item{&it}, "", 1)
	if rep.Kept != 1 || rep.Replaced != 0 || it.Content != full {
		t.Errorf("report = %+v; content changed: %v", rep, it.Content != full)
	}
}

// Many items are fetched at once, and each lands on its own item.
func TestFillMany(t *testing.T) {
	srv := pageServer(t)
	var items []*feed.Item
	for i := range 12 {
		link := "/utf8/1.html"
		if i%3 == 1 {
			link = "/gbk/1.html"
		} else if i%3 == 2 {
			link = "/missing.html"
		}
		items = append(items, &feed.Item{Link: srv.URL + link, Content: summary})
	}
	rep := fulltext.Fill(t.Context(), client(), items, "#artibody", 4)
	if rep.Replaced != 8 || len(rep.Failed) != 4 {
		t.Fatalf("report = %+v", rep)
	}
	for i, it := range items {
		if (i%3 == 2) != (it.Content == summary) {
			t.Errorf("item %d (%s): content %.40q", i, it.Link, it.Content)
		}
	}
}
