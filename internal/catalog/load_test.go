package catalog

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// instance plays an RSSHub instance's /api/namespace.
type instance struct {
	*httptest.Server
	key      string
	status   atomic.Int32 // 0: serve the catalog
	requests atomic.Int32
	body     []byte
}

func newInstance(t *testing.T, key string) *instance {
	t.Helper()
	body, err := os.ReadFile("testdata/namespace.json")
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{key: key, body: body}
	in.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.requests.Add(1)
		if s := in.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		if in.key != "" && r.URL.Query().Get("key") != in.key {
			http.Error(w, "Authentication failed. Access denied.", http.StatusForbidden)
			return
		}
		if r.URL.Path != "/api/namespace" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(in.body)
	}))
	t.Cleanup(in.Close)
	return in
}

func openCache(t *testing.T) Settings {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestLoadCachesForADay(t *testing.T) {
	in := newInstance(t, "s3cret")
	cache := openCache(t)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	opts := Options{Location: in.URL + "/api/namespace", Key: "s3cret", Cache: cache, Now: func() time.Time { return now }}

	c, info, err := Load(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cached || len(c.Routes) != 14 || in.requests.Load() != 1 {
		t.Fatalf("first load: cached %v, %d routes, %d requests", info.Cached, len(c.Routes), in.requests.Load())
	}
	if strings.Contains(info.From, "s3cret") {
		t.Errorf("the key shows in %q", info.From)
	}

	now = now.Add(23 * time.Hour)
	c2, info, err := Load(t.Context(), opts)
	if err != nil || !info.Cached || in.requests.Load() != 1 {
		t.Fatalf("within a day: err %v, cached %v, %d requests", err, info.Cached, in.requests.Load())
	}
	if !reflect.DeepEqual(c2, c) {
		t.Errorf("the cached catalog differs")
	}

	// Older than a day while the API is down: the old copy, with the reason.
	now = now.Add(2 * time.Hour)
	in.status.Store(http.StatusBadGateway)
	_, info, err = Load(t.Context(), opts)
	if err != nil || !info.Cached || info.Stale == nil || !strings.Contains(info.Stale.Error(), "502") {
		t.Fatalf("API down: err %v, cached %v, stale %v", err, info.Cached, info.Stale)
	}

	// Back up: fetched again.
	in.status.Store(0)
	_, info, err = Load(t.Context(), opts)
	if err != nil || info.Cached || in.requests.Load() != 3 {
		t.Fatalf("API back: err %v, cached %v, %d requests", err, info.Cached, in.requests.Load())
	}
}

func TestLoadErrors(t *testing.T) {
	in := newInstance(t, "right")
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/api/namespace"
	dead.Close()
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"a": {"name": "`)
	f.Truncate(50 << 20)
	f.Close()
	html := filepath.Join(dir, "page.json")
	os.WriteFile(html, []byte("<!doctype html><html><body>not here</body></html>"), 0o644)

	for _, tc := range []struct {
		name string
		opts Options
		is   error
		want string
	}{
		{"unreachable, no cache", Options{Location: deadURL}, nil, "cannot reach the catalog at " + deadURL},
		{"key refused", Options{Location: in.URL + "/api/namespace", Key: "wrong"}, ErrRefused, "refused rsshub_key"},
		{"key missing", Options{Location: in.URL + "/api/namespace"}, ErrRefused, "needs an access key: set rsshub_key"},
		{"50 MB", Options{Location: huge}, ErrNotCatalog, "larger than 32 MB"},
		{"not JSON", Options{Location: html}, ErrNotCatalog, "HTML page"},
		{"missing file", Options{Location: filepath.Join(dir, "nope.json")}, os.ErrNotExist, "no such file"},
		{"folder without the package", Options{Location: dir}, ErrNotCatalog, "holds no rsshub package"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(t.Context(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want it to be %v", err, tc.is)
			}
			if strings.Contains(err.Error(), "key=") {
				t.Errorf("the message shows the key: %v", err)
			}
		})
	}
}

func TestLoadRefusedKeyIgnoresCache(t *testing.T) {
	in := newInstance(t, "")
	cache := openCache(t)
	now := time.Now()
	opts := Options{Location: in.URL + "/api/namespace", Cache: cache, Now: func() time.Time { return now }}
	if _, _, err := Load(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	// A refused key is the user's to fix, even with a copy at hand.
	in.key = "new"
	now = now.Add(48 * time.Hour)
	if _, _, err := Load(t.Context(), opts); !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
}

func TestLoadNPMPackageFolder(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "node_modules", "rsshub", "dist-lib")
	os.MkdirAll(lib, 0o755)
	data, _ := os.ReadFile("testdata/routes-Test1234.mjs")
	// The package has other routes-*.mjs files; only one starts with the marker.
	os.WriteFile(filepath.Join(lib, "routes-AAAA.mjs"), []byte("import x from './y.mjs';\n"), 0o644)
	os.WriteFile(filepath.Join(lib, "routes-BBBB.mjs"), data, 0o644)
	cache := openCache(t)
	c, info, err := Load(t.Context(), Options{Location: dir, Cache: cache})
	if err != nil || len(c.Routes) != 14 || info.Cached {
		t.Fatalf("err %v, %d routes, cached %v", err, len(c.Routes), info.Cached)
	}
	_, info, err = Load(t.Context(), Options{Location: dir, Cache: cache})
	if err != nil || !info.Cached {
		t.Fatalf("unchanged file: err %v, cached %v", err, info.Cached)
	}
	// A changed file is read again at once.
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(lib, "routes-BBBB.mjs"), later, later)
	_, info, err = Load(t.Context(), Options{Location: dir, Cache: cache})
	if err != nil || info.Cached {
		t.Fatalf("changed file: err %v, cached %v", err, info.Cached)
	}
}
