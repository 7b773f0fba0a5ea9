package refresh_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func newRunner(t *testing.T, out string) *refresh.Runner {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &refresh.Runner{
		Fetch:       fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, UserAgent: "test"}),
		Store:       st,
		Outputs:     []refresh.Output{{Dir: out, Format: hexo.Format{}, Name: out}},
		Location:    time.UTC,
		Concurrency: 4,
	}
}

// The feed of the system we replace, served as its RSSHub route, must give
// the post that system wrote, byte for byte, at the path it used.
func TestGoldenGuanchaHeadline(t *testing.T) {
	xml, err := os.ReadFile("../../testdata/golden/guancha-headline.xml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/golden/guancha-headline.md")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/guancha/headline", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(xml)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	out := t.TempDir()
	r := newRunner(t, out)
	src := feed.Source{Group: "新媒体", Name: "观察者网", Channel: "头条", URL: srv.URL + "/guancha/headline", MaxItems: 15}
	results, err := r.Run(context.Background(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil || results[0].Posts != 1 {
		t.Fatalf("result = %+v", results[0])
	}
	path := filepath.Join(out, "新媒体", "观察者网", "头条", "美方书面拒绝_不东扩红线_，德法俄乌巴黎会谈8小时.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("post differs from the golden post\n got: %q\nwant: %q", got[:min(len(got), 600)], want[:600])
	}
}

// TestSourceURLChange runs a source three times: a second run at the same
// URL asks with the validators the first one stored; after the
// configuration moves the source to another URL, the validators of the old
// one are not sent there, and the new feed's items are published.
func TestSourceURLChange(t *testing.T) {
	var mu sync.Mutex
	var asked []string // path and If-None-Match of each request
	feedXML := func(guid string) string {
		return `<rss version="2.0"><channel><title>t</title><item><title>` + guid + `</title><guid>` + guid + `</guid><description>x</description></item></channel></rss>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path+" "+r.Header.Get("If-None-Match"))
		mu.Unlock()
		etag := `"` + r.URL.Path + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write([]byte(feedXML(r.URL.Path[1:])))
	}))
	defer srv.Close()
	r := newRunner(t, t.TempDir())
	src := feed.Source{Group: "g", Name: "s", Channel: "c", URL: srv.URL + "/a"}
	run := func() refresh.Result {
		t.Helper()
		results, err := r.Run(t.Context(), []feed.Source{src}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return results[0]
	}
	if res := run(); res.Err != nil || res.Posts != 1 {
		t.Fatalf("first run: %+v", res)
	}
	if res := run(); res.Err != nil || !res.NotModified {
		t.Fatalf("second run at the same URL: %+v, want not modified", res)
	}
	src.URL = srv.URL + "/b"
	if res := run(); res.Err != nil || res.NotModified || res.Posts != 1 {
		t.Fatalf("run at the new URL: %+v, want one new post", res)
	}
	want := []string{`/a `, `/a "/a"`, `/b `}
	if len(asked) != len(want) {
		t.Fatalf("requests %q, want %q", asked, want)
	}
	for i := range want {
		if asked[i] != want[i] {
			t.Errorf("request %d: %q, want %q", i, asked[i], want[i])
		}
	}
}
