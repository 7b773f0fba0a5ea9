package imgproxy_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/store"
)

var png = []byte("\x89PNG\r\n\x1a\n fake image bytes")

func upstream(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/a.png", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<script>alert(1)</script>"))
	})
	mux.HandleFunc("/big.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(make([]byte, 4096))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/a.png", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &hits
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func TestProxy(t *testing.T) {
	srv, hits := upstream(t)
	fetch.AllowTestServer(t, srv.Listener.Addr().String())
	signer := imgproxy.NewSigner([]byte("test key of enough length"))
	h := imgproxy.New(imgproxy.Options{Signer: signer, MaxBytes: 1024})
	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"signed image", signer.URL("/img", srv.URL+"/a.png"), 200},
		{"through a redirect", signer.URL("/img", srv.URL+"/redirect"), 200},
		{"unsigned", "/img?u=" + srv.URL + "/a.png", 403},
		{"signature of another URL", "/img?u=" + srv.URL + "/page.html&s=" + signer.Sign(srv.URL+"/a.png"), 403},
		{"not an image", signer.URL("/img", srv.URL+"/page.html"), 415},
		{"too large", signer.URL("/img", srv.URL+"/big.jpg"), 413},
		{"missing upstream", signer.URL("/img", srv.URL+"/none.png"), 404},
		{"not http", signer.URL("/img", "file:///etc/passwd"), 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(h, tc.path)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 200 {
				if rec.Header().Get("Content-Type") != "image/png" || rec.Body.String() != string(png) {
					t.Errorf("got %q %q", rec.Header().Get("Content-Type"), rec.Body)
				}
				if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") {
					t.Error("no sandbox CSP")
				}
			}
		})
	}
	before := hits.Load()
	for range 3 {
		if rec := get(h, signer.URL("/img", srv.URL+"/a.png")); rec.Code != 200 {
			t.Fatal(rec.Code)
		}
	}
	if hits.Load() != before {
		t.Errorf("cached image fetched again: %d upstream hits", hits.Load()-before)
	}
}

func TestProxyRefusesPrivateNetworks(t *testing.T) {
	srv, hits := upstream(t)
	signer := imgproxy.NewSigner([]byte("test key of enough length"))
	h := imgproxy.New(imgproxy.Options{Signer: signer})
	for _, u := range []string{srv.URL + "/a.png", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/a.png"} {
		if rec := get(h, signer.URL("/img", u)); rec.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", u, rec.Code)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback server was reached")
	}
}

type memSettings map[string]string

func (m memSettings) Setting(_ context.Context, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

func (m memSettings) AddSetting(_ context.Context, name, value string) (string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	m[name] = value
	return value, nil
}

// lateSettings is a store where another process stores the key between
// Key's read and its write.
type lateSettings struct {
	memSettings
	other string
}

func (l lateSettings) Setting(context.Context, string) (string, error) {
	l.memSettings[imgproxy.KeySetting] = l.other
	return "", store.ErrNotFound
}

// Two processes that generate the key at once use the one stored first.
func TestKeyStoredFirstWins(t *testing.T) {
	other := strings.Repeat("ab", 32)
	k, err := imgproxy.Key(t.Context(), lateSettings{memSettings{}, other}, "")
	if err != nil || hex.EncodeToString(k) != other {
		t.Errorf("key %x, %v; want the other process's %s", k, err, other)
	}
}

func TestKeyIsGeneratedOnceAndKept(t *testing.T) {
	st := memSettings{}
	k1, err := imgproxy.Key(t.Context(), st, "")
	if err != nil || len(k1) != 32 {
		t.Fatalf("key %x, %v", k1, err)
	}
	k2, err := imgproxy.Key(t.Context(), st, "")
	if err != nil || string(k1) != string(k2) {
		t.Errorf("second key differs")
	}
	k3, _ := imgproxy.Key(t.Context(), st, "configured secret key")
	if string(k3) != "configured secret key" {
		t.Errorf("configured key not used")
	}
}
