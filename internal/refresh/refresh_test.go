package refresh_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
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
		OutDir:      out,
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
