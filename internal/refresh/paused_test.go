package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// A paused source is not fetched at all until it is resumed.
func TestPausedSourceIsSkipped(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>一</title><description>x</description></item></channel></rss>`))
	}))
	defer srv.Close()
	r := newRunner(t, t.TempDir())
	src := feed.Source{Group: "g", Name: "s", Channel: "c", URL: srv.URL}
	row, err := r.Store.EnsureSource(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Store.(store.Store).SetPaused(t.Context(), row.ID, true); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Paused || res[0].Posts != 0 || hits.Load() != 0 {
		t.Fatalf("paused run: %+v, %d requests", res[0], hits.Load())
	}
	if err := r.Store.(store.Store).SetPaused(t.Context(), row.ID, false); err != nil {
		t.Fatal(err)
	}
	res, err = r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Paused || res[0].Posts != 1 || hits.Load() != 1 {
		t.Fatalf("resumed run: %+v, %d requests", res[0], hits.Load())
	}
}
