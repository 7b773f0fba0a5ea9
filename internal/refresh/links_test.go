package refresh_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
)

// A page that announces its feed on another host names a URL the
// operator never chose: it is fetched from the public internet only, and
// without the source's headers and cookies.
func TestAutodiscoveryOnAnotherHostIsALinkFromContent(t *testing.T) {
	var hits, leaked, privateHits atomic.Int32
	var redirect atomic.Value // where the other host sends its feed, once set
	other := server(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			leaked.Add(1)
		}
		if to, _ := redirect.Load().(string); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		serveFeed(rssFeed("elsewhere", 2), "application/rss+xml")(w, r)
	})
	page := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="` + other.URL + `/feed.xml"></head><body>hi</body></html>`))
	})
	src := feed.Source{Group: "g", Name: "s", Channel: "c", URL: page.URL + "/blog",
		Headers: map[string]string{"Authorization": "Bearer secret"}, Cookies: map[string]string{"session": "secret"}}

	r := newRunner(t, t.TempDir())
	res, err := r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, fetch.ErrPrivateNetwork) || hits.Load() != 0 {
		t.Fatalf("err = %v, %d hits on the other host: want it refused, never reached", res[0].Err, hits.Load())
	}

	// The same feed on a public host (this test's server let through) is
	// read, without what the source sends to its own host.
	fetch.AllowTestServer(t, other.Listener.Addr().String())
	res, err = r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil || res[0].Err != nil || res[0].Posts != 2 {
		t.Fatalf("public host: %v, %+v", err, res[0])
	}
	if leaked.Load() != 0 {
		t.Errorf("the source's Authorization or Cookie went to another host")
	}

	// Later runs treat it the same: the source did not move to the other
	// host, where it would be fetched as a source the operator named,
	// with its headers and cookies, and following a redirect anywhere.
	private := server(t, func(w http.ResponseWriter, r *http.Request) {
		privateHits.Add(1)
		serveFeed(rssFeed("private", 3), "application/rss+xml")(w, r)
	})
	redirect.Store(private.URL + "/internal.xml")
	res, err = r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].MovedTo != "" || leaked.Load() != 0 || privateHits.Load() != 0 || !errors.Is(res[0].Err, fetch.ErrPrivateNetwork) {
		t.Errorf("next run: moved to %q, %d leaks, %d hits on a private server through the other host, err = %v; want no move, no leak, the redirect refused",
			res[0].MovedTo, leaked.Load(), privateHits.Load(), res[0].Err)
	}
}
