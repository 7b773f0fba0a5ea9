package fetch_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/feedmill/feedmill/internal/fetch"
)

// Item links never reach a non-public address, whatever
// DenyPrivateNetworks says, even on a host whose connection a source
// opened a moment before; the environment's proxy does not help them.
func TestItemLinksArePublicOnly(t *testing.T) {
	var hits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>internal</html>"))
	}))
	defer internal.Close()
	c := newClient(fetch.Options{}) // deny_private_networks off: sources on the operator's network
	if _, err := c.Fetch(t.Context(), internal.URL+"/feed", fetch.Validators{}); err != nil {
		t.Fatalf("a source on loopback: %v", err)
	}
	items := c.ItemLinks()
	if items.ItemLinks() != items {
		t.Error("the item-link client of the item-link client is another client")
	}
	for _, u := range []string{
		internal.URL + "/page", // its connection is idle in c's pool
		strings.Replace(internal.URL, "127.0.0.1", "localhost", 1) + "/page",
		"file:///etc/passwd",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/latest/meta-data/",
		"http://100.100.100.200/latest/meta-data/",
	} {
		_, err := items.Fetch(t.Context(), u, fetch.Validators{})
		if !errors.Is(err, fetch.ErrPrivateNetwork) {
			t.Errorf("%s: err = %v, want ErrPrivateNetwork", u, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the loopback server was reached %d times, want only by the source", n)
	}

	// Through the environment's proxy, the target is resolved and checked
	// before the request.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/page", http.StatusFound)
	}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	items = newClient(fetch.Options{}).ItemLinks()
	for _, u := range []string{internal.URL + "/page", "http://93.184.215.14/page"} {
		if _, err := items.Fetch(t.Context(), u, fetch.Validators{}); !errors.Is(err, fetch.ErrPrivateNetwork) {
			t.Errorf("%s through the environment's proxy: err = %v, want ErrPrivateNetwork", u, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the loopback server was reached %d times through the proxy", n)
	}
}

// AllowTestServer lets one test server through, and only it.
func TestAllowTestServer(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	allowed, other := httptest.NewServer(handler), httptest.NewServer(handler)
	defer allowed.Close()
	defer other.Close()
	t.Run("allowed", func(t *testing.T) {
		fetch.AllowTestServer(t, allowed.Listener.Addr().String())
		items := newClient(fetch.Options{}).ItemLinks()
		if _, err := items.Fetch(t.Context(), allowed.URL, fetch.Validators{}); err != nil {
			t.Errorf("the allowed server: %v", err)
		}
		if _, err := items.Fetch(t.Context(), other.URL, fetch.Validators{}); !errors.Is(err, fetch.ErrPrivateNetwork) {
			t.Errorf("another server on loopback: err = %v, want ErrPrivateNetwork", err)
		}
	})
	// The test that allowed it has ended.
	if _, err := newClient(fetch.Options{}).ItemLinks().Fetch(t.Context(), allowed.URL, fetch.Validators{}); !errors.Is(err, fetch.ErrPrivateNetwork) {
		t.Errorf("after the test: err = %v, want ErrPrivateNetwork", err)
	}
}

// A Request's Types refuse another type before its body is read.
func TestRequestTypes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		case "/untyped":
			w.Header()["Content-Type"] = nil
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		for range 64 {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newClient(fetch.Options{MaxBytes: 8 << 20})
	html := []string{"text/html", "application/xhtml+xml"}
	if resp, err := c.Do(t.Context(), fetch.Request{URL: srv.URL + "/page", Types: html}); err != nil || len(resp.Body) != 4<<20 {
		t.Errorf("an HTML page: %v", err)
	}
	for _, p := range []string{"/blob", "/untyped"} {
		if _, err := c.Do(t.Context(), fetch.Request{URL: srv.URL + p, Types: html}); !errors.Is(err, fetch.ErrContentType) {
			t.Errorf("%s: err = %v, want ErrContentType", p, err)
		}
	}
}
