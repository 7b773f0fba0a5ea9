package refresh_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// rssFeed is an RSS document with n items named after prefix.
func rssFeed(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>` + prefix + `</title><link>http://example.com/</link>`)
	for i := range n {
		fmt.Fprintf(&b, "<item><title>%s %d</title><link>http://example.com/%s/%d</link><guid>%s-%d</guid><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate><description>text %d</description></item>\n", prefix, i, prefix, i, prefix, i, i)
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

// server starts a test server for one fault; each fault gets its own
// host:port so that none waits behind another's per-host limit.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the faults make it complain
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func serveFeed(body []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}
}

// Every fault of the real web, served at once next to sound feeds: each
// faulty source fails on its own with a clear error within the timeout, the
// recoverable ones are read, memory stays bounded, and the sound sources
// are published as if nothing happened.
func TestFaultsStayWithTheirSource(t *testing.T) {
	const (
		timeout  = 5 * time.Second
		maxBytes = 4 << 20
	)
	good := rssFeed("good", 3)

	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	chunk := bytes.Repeat([]byte("<item></item>"), 1<<16)
	for range 40 { // 34 MB inflated from ~70 kB
		zw.Write(chunk)
	}
	zw.Close()

	slow := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(http.StatusOK)
		for _, c := range good {
			w.Write([]byte{c})
			w.(http.Flusher).Flush()
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
				return
			}
		}
	})
	endless := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		item := bytes.Repeat([]byte("<item><title>again</title></item>"), 2000)
		for r.Context().Err() == nil {
			if _, err := w.Write(item); err != nil {
				return
			}
		}
	})
	gzipBomb := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	loop := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
		} else {
			http.Redirect(w, r, "/a", http.StatusFound)
		}
	})
	var hugeFeed bytes.Buffer
	hugeFeed.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>`)
	for i := range 50000 {
		fmt.Fprintf(&hugeFeed, "<item><title>n%d</title><guid>%d</guid></item>\n", i, i)
	}
	hugeFeed.WriteString("</channel></rss>")
	huge := server(t, serveFeed(hugeFeed.Bytes(), "application/rss+xml"))
	broken := server(t, serveFeed(append(bytes.ReplaceAll(rssFeed("broken", 4), []byte("broken 1<"), []byte("broken 1 < 2<")), []byte("<item><title>cut of")...), "application/rss+xml"))
	var pageHits atomic.Int32
	page := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/blog/feed.xml" {
			serveFeed(rssFeed("discovered", 2), "application/rss+xml")(w, r)
			return
		}
		pageHits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!DOCTYPE html><html><head><title>Blog</title><link rel="alternate" type="application/rss+xml" href="/blog/feed.xml"></head><body>hi</body></html>`))
	})
	plainPage := server(t, serveFeed([]byte(`<!DOCTYPE html><html><head><title>Shop</title></head><body>no feed here</body></html>`), "text/html"))
	wrongType := server(t, serveFeed(rssFeed("wrongtype", 2), "text/html; charset=utf-8"))
	tlsSrv := httptest.NewUnstartedServer(serveFeed(good, "application/rss+xml"))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	reset := server(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n", len(good))
		buf.Write(good[:len(good)/2])
		buf.Flush()
		time.Sleep(20 * time.Millisecond)
		conn.(*net.TCPConn).SetLinger(0) // RST instead of FIN
		conn.Close()
	})
	// One host serves a sound route, a route that is rate limited and a
	// route that moved for good: the limited one must not hold up the rest.
	var movedHits atomic.Int32
	rsshub := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("ETag", `"ok-1"`)
			if r.Header.Get("If-None-Match") == `"ok-1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			serveFeed(good, "application/rss+xml")(w, r)
		case "/limited":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/old":
			movedHits.Add(1)
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
		case "/new":
			serveFeed(rssFeed("new", 1), "application/rss+xml")(w, r)
		}
	})

	cases := []struct {
		name     string
		url      string
		maxItems int
		wantErr  string // "" for success
		items    int
	}{
		{"good", rsshub.URL + "/ok", 0, "", 3},
		{"slow loris", slow.URL, 0, "timed out after 5s while reading the body", 0},
		{"endless body", endless.URL, 0, "larger than max_bytes", 0},
		{"gzip bomb", gzipBomb.URL, 0, "decompressed body larger than max_bytes", 0},
		{"redirect loop", loop.URL + "/a", 0, "redirect loop", 0},
		{"50000 items", huge.URL, 5, "", 5},
		{"invalid XML", broken.URL, 0, "", 4},
		{"HTML page with a feed", page.URL + "/blog/", 0, "", 2},
		{"HTML page without a feed", plainPage.URL, 0, "not a feed: the document is an HTML page; it names no feed", 0},
		{"wrong content type", wrongType.URL, 0, "", 2},
		{"TLS failure", tlsSrv.URL, 0, "TLS failed: tls: failed to verify certificate", 0},
		{"DNS failure", "http://feedmill-test.invalid/feed", 0, "DNS", 0},
		{"reset mid-body", reset.URL, 0, "connection reset by the server while reading the body", 0},
		{"rate limited", rsshub.URL + "/limited", 0, "HTTP 429 Too Many Requests", 0},
		{"moved", rsshub.URL + "/old", 0, "", 1},
	}
	var sources []feed.Source
	for _, tc := range cases {
		sources = append(sources, feed.Source{Group: "g", Name: "faults", Channel: tc.name, URL: tc.url, MaxItems: tc.maxItems})
	}

	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &refresh.Runner{
		Fetch:       fetch.New(fetch.Options{Timeout: timeout, ConnectTimeout: timeout, MaxBytes: maxBytes, UserAgent: "test"}),
		Store:       st,
		Outputs:     []refresh.Output{{Dir: t.TempDir(), Format: hexo.Format{}, Name: "posts"}},
		Location:    time.UTC,
		Concurrency: 16,
	}

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var mu sync.Mutex
	took := map[string]time.Duration{}
	results, err := r.Run(t.Context(), sources, func(res refresh.Result) {
		mu.Lock()
		took[res.Source.Channel] = time.Since(start)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		res := results[i]
		switch {
		case tc.wantErr == "" && res.Err != nil:
			t.Errorf("%s: %v", tc.name, res.Err)
		case tc.wantErr != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want it to say %q", tc.name, res.Err, tc.wantErr)
		case tc.wantErr == "" && (res.Items != tc.items || res.Posts != tc.items):
			t.Errorf("%s: %d items, %d posts, want %d", tc.name, res.Items, res.Posts, tc.items)
		}
		// Each failure is known within the timeout (plus slack for a busy
		// machine), whatever the others do.
		if tc.wantErr != "" && took[tc.name] > timeout+3*time.Second {
			t.Errorf("%s: failed after %s with a %s timeout", tc.name, took[tc.name], timeout)
		}
		t.Logf("%-24s %6s %v", tc.name, took[tc.name].Round(time.Millisecond), res.Err)
	}
	// The endless body and the bomb stop at the cap; the largest thing held
	// is the 50,000-item feed (about 2 MB) and its parse.
	if p := peak.Load(); p > 300<<20 {
		t.Errorf("peak heap %d MB", p>>20)
	}
	t.Logf("run took %s, peak heap %d MB", elapsed.Round(time.Millisecond), peak.Load()>>20)

	var herr *fetch.HTTPError
	if !errors.As(results[13].Err, &herr) || herr.RetryAfter != 2*time.Minute {
		t.Errorf("rate limited: err = %#v, want an *fetch.HTTPError with RetryAfter 2m", results[13].Err)
	}
	if got := results[7].MovedTo; got != page.URL+"/blog/feed.xml" {
		t.Errorf("autodiscovery: MovedTo = %q", got)
	}
	if got := results[14].MovedTo; got != rsshub.URL+"/new" {
		t.Errorf("permanent redirect: MovedTo = %q", got)
	}

	// The moved sources are fetched at their new address from now on; the
	// sound one costs a 304.
	again, err := r.Run(t.Context(), []feed.Source{sources[0], sources[7], sources[14]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range again {
		if res.Err != nil || res.MovedTo != "" || res.Posts != 0 {
			t.Errorf("second run of %s: %+v", res.Source.Channel, res)
		}
	}
	if !again[0].NotModified {
		t.Errorf("second run of the sound source: not a 304")
	}
	if n := pageHits.Load(); n != 1 {
		t.Errorf("the HTML page was fetched %d times, want once", n)
	}
	if n := movedHits.Load(); n != 1 {
		t.Errorf("the moved URL was fetched %d times, want once", n)
	}
	rows, err := st.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.Key == sources[14].Key() && row.FetchURL != rsshub.URL+"/new" {
			t.Errorf("stored fetch URL = %q", row.FetchURL)
		}
	}
}

func TestDenyPrivateNetworksRefusesSource(t *testing.T) {
	srv := server(t, serveFeed(rssFeed("local", 1), "application/rss+xml"))
	r := newRunner(t, t.TempDir())
	r.Fetch = fetch.New(fetch.Options{Timeout: 2 * time.Second, DenyPrivateNetworks: true})
	results, err := r.Run(t.Context(), []feed.Source{{Group: "g", Name: "s", Channel: "c", URL: srv.URL}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(results[0].Err, fetch.ErrPrivateNetwork) {
		t.Errorf("err = %v, want ErrPrivateNetwork", results[0].Err)
	}
}

// countingStore counts the writes a refresh makes.
type countingStore struct {
	store.Store
	writes *atomic.Int32
}

func (s *countingStore) Batch(ctx context.Context, fn func(store.Store) error) error {
	return s.Store.Batch(ctx, func(tx store.Store) error {
		return fn(&countingStore{Store: tx, writes: s.writes})
	})
}

func (s *countingStore) InsertItems(ctx context.Context, id int64, items []feed.Item, output int64, paths []string, now time.Time) ([]store.Item, error) {
	s.writes.Add(1)
	return s.Store.InsertItems(ctx, id, items, output, paths, now)
}

func (s *countingStore) SetPostPath(ctx context.Context, output int64, id int64, path string) error {
	s.writes.Add(1)
	return s.Store.SetPostPath(ctx, output, id, path)
}

func (s *countingStore) SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error {
	if len(posts) > 0 {
		s.writes.Add(1)
	}
	return s.Store.SetPosted(ctx, posts, at)
}

func (s *countingStore) SetFetchURL(ctx context.Context, id int64, url string) error {
	s.writes.Add(1)
	return s.Store.SetFetchURL(ctx, id, url)
}

// A 304 is parsed by nobody and writes nothing but its own record.
func TestNotModifiedCostsNothing(t *testing.T) {
	var full atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Write(rssFeed("same", 3))
	})
	r := newRunner(t, t.TempDir())
	cs := &countingStore{Store: r.Store.(store.Store), writes: new(atomic.Int32)}
	r.Store = cs
	src := feed.Source{Group: "g", Name: "s", Channel: "c", URL: srv.URL}
	if res, err := r.Run(t.Context(), []feed.Source{src}, nil); err != nil || res[0].Posts != 3 {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	cs.writes.Store(0)
	res, err := r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil || res[0].Err != nil || !res[0].NotModified {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	if n := cs.writes.Load(); n != 0 {
		t.Errorf("a 304 made %d item writes", n)
	}
	if n := full.Load(); n != 1 {
		t.Errorf("the full document was sent %d times", n)
	}
}
