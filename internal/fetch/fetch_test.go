package fetch_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedmill/feedmill/internal/fetch"
)

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>`

func newClient(opts fetch.Options) *fetch.Client {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	return fetch.New(opts)
}

func TestConditionalGet(t *testing.T) {
	var gotINM, gotIMS, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotINM, gotIMS, gotUA = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since"), r.Header.Get("User-Agent")
		if gotINM == `"v1"` {
			w.Header().Set("Cache-Control", "public, max-age=600")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Write([]byte(rss))
	}))
	defer srv.Close()
	c := newClient(fetch.Options{})

	first, err := c.Fetch(t.Context(), srv.URL, fetch.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || string(first.Body) != rss || first.ETag != `"v1"` || first.LastModified == "" {
		t.Fatalf("first fetch = %+v", first)
	}
	if gotINM != "" || gotIMS != "" {
		t.Errorf("first fetch sent validators %q %q", gotINM, gotIMS)
	}
	if gotUA != fetch.DefaultUserAgent || !strings.Contains(gotUA, "feedmill") || !strings.Contains(gotUA, "https://") {
		t.Errorf("User-Agent = %q, want the default naming feedmill and its URL", gotUA)
	}

	second, err := c.Fetch(t.Context(), srv.URL, first.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if gotINM != `"v1"` || gotIMS != first.LastModified {
		t.Errorf("sent If-None-Match %q, If-Modified-Since %q", gotINM, gotIMS)
	}
	if !second.NotModified || len(second.Body) != 0 || second.Validators != first.Validators {
		t.Errorf("second fetch = %+v, want a 304 keeping the validators", second)
	}
	if second.MaxAge != 10*time.Minute {
		t.Errorf("MaxAge = %s, want 10m", second.MaxAge)
	}
}

func TestContentEncodings(t *testing.T) {
	compress := map[string]func(io.Writer) io.WriteCloser{
		"gzip":    func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
		"deflate": func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) },
		"br":      func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) },
		"raw deflate": func(w io.Writer) io.WriteCloser {
			fw, _ := flate.NewWriter(w, flate.DefaultCompression)
			return fw
		},
	}
	for name, mk := range compress {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := mk(&buf)
			zw.Write([]byte(rss))
			zw.Close()
			var accept string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				accept = r.Header.Get("Accept-Encoding")
				w.Header().Set("Content-Encoding", strings.TrimPrefix(name, "raw "))
				w.Write(buf.Bytes())
			}))
			defer srv.Close()
			resp, err := newClient(fetch.Options{}).Fetch(t.Context(), srv.URL, fetch.Validators{})
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != rss {
				t.Errorf("body = %q", resp.Body)
			}
			for _, want := range []string{"gzip", "deflate", "br"} {
				if !strings.Contains(accept, want) {
					t.Errorf("Accept-Encoding %q lacks %s", accept, want)
				}
			}
		})
	}
}

// A feed stored gzipped and served as a file (feed.xml.gz) has no
// Content-Encoding; its magic bytes say what it is.
func TestGzipFile(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(rss))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml.gz":
			w.Header().Set("Content-Type", "application/gzip")
			w.Write(buf.Bytes())
		case "/broken.xml.gz":
			w.Header().Set("Content-Type", "application/x-gzip")
			w.Write(buf.Bytes()[:20])
		}
	}))
	defer srv.Close()
	c := newClient(fetch.Options{})
	resp, err := c.Fetch(t.Context(), srv.URL+"/feed.xml.gz", fetch.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != rss {
		t.Errorf("body = %q", resp.Body)
	}
	if _, err := c.Fetch(t.Context(), srv.URL+"/broken.xml.gz", fetch.Validators{}); err == nil || !strings.Contains(err.Error(), "gzip file") {
		t.Errorf("a cut gzip file: err = %v, want a gzip file error", err)
	}
}

func TestSizeCaps(t *testing.T) {
	const max = 64 << 10
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(bytes.Repeat([]byte{' '}, 100*max)) // 6.4 MB of spaces, a few kB gzipped
	zw.Close()
	if bomb.Len() >= max {
		t.Fatalf("the bomb is %d bytes compressed; it must fit under the cap", bomb.Len())
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("<item>x</item>"), 1000)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		}},
		{"gzip file bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/gzip")
			w.Write(bomb.Bytes())
		}},
		{"announced length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(2*max))
			w.Write(make([]byte, 2*max))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := newClient(fetch.Options{MaxBytes: max}).Fetch(t.Context(), srv.URL, fetch.Validators{})
			if !errors.Is(err, fetch.ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			t.Log(err)
		})
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	hop := func(code int, to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
	}
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(rss)) })
	mux.HandleFunc("/moved", hop(http.StatusMovedPermanently, "/moved2"))
	mux.HandleFunc("/moved2", hop(http.StatusPermanentRedirect, "/feed"))
	mux.HandleFunc("/mixed", hop(http.StatusMovedPermanently, "/temp"))
	mux.HandleFunc("/temp", hop(http.StatusFound, "/feed"))
	mux.HandleFunc("/loop-a", hop(http.StatusFound, "/loop-b"))
	mux.HandleFunc("/loop-b", hop(http.StatusFound, "/loop-a"))
	mux.HandleFunc("/to-file", hop(http.StatusFound, "file:///etc/passwd"))
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/chain/"), "%d", &n)
		if n == 0 {
			w.Write([]byte(rss))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newClient(fetch.Options{})

	cases := []struct {
		path      string
		permanent bool
		err       error
	}{
		{"/feed", false, nil},
		{"/moved", true, nil},
		{"/mixed", false, nil},
		{"/chain/5", false, nil},
		{"/chain/6", false, fetch.ErrTooManyRedirects},
		{"/loop-a", false, fetch.ErrRedirectLoop},
		{"/to-file", false, fetch.ErrRedirectScheme},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := c.Fetch(t.Context(), srv.URL+tc.path, fetch.Validators{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.PermanentRedirect != tc.permanent {
				t.Errorf("PermanentRedirect = %v, want %v", resp.PermanentRedirect, tc.permanent)
			}
			if tc.path != "/feed" && !strings.HasSuffix(resp.URL, "/feed") && !strings.HasSuffix(resp.URL, "/chain/0") {
				t.Errorf("URL = %s, want the final URL", resp.URL)
			}
		})
	}
}

func TestHTTPErrorRetryAfter(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		status int
		header string
		min    time.Duration
		max    time.Duration
	}{
		{http.StatusTooManyRequests, "120", 120 * time.Second, 120 * time.Second},
		{http.StatusServiceUnavailable, date, 80 * time.Second, 91 * time.Second},
		{http.StatusServiceUnavailable, "", 0, 0},
		{http.StatusNotFound, "", 0, 0},
		{http.StatusTooManyRequests, "soon", 0, 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.header), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			_, err := newClient(fetch.Options{}).Fetch(t.Context(), srv.URL, fetch.Validators{})
			var herr *fetch.HTTPError
			if !errors.As(err, &herr) {
				t.Fatalf("err = %v, want an *HTTPError", err)
			}
			if herr.StatusCode != tc.status || herr.RetryAfter < tc.min || herr.RetryAfter > tc.max {
				t.Errorf("HTTPError = %+v, want status %d and RetryAfter in [%s, %s]", herr, tc.status, tc.min, tc.max)
			}
		})
	}
}

func TestMaxAge(t *testing.T) {
	cases := map[string]time.Duration{
		"":                      0,
		"max-age=300":           5 * time.Minute,
		"public, max-age=60":    time.Minute,
		"no-cache":              0,
		"max-age=abc":           0,
		`private, max-age="30"`: 30 * time.Second,
	}
	for cc, want := range cases {
		t.Run(cc, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if cc != "" {
					w.Header().Set("Cache-Control", cc)
				}
				w.Write([]byte(rss))
			}))
			defer srv.Close()
			resp, err := newClient(fetch.Options{}).Fetch(t.Context(), srv.URL, fetch.Validators{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.MaxAge != want {
				t.Errorf("MaxAge = %s, want %s", resp.MaxAge, want)
			}
		})
	}
}

func TestHeadersCookiesUserAgent(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Write([]byte(rss))
	}))
	defer srv.Close()
	c := newClient(fetch.Options{UserAgent: "custom/2"})
	_, err := c.Do(t.Context(), fetch.Request{
		URL:     srv.URL,
		Headers: map[string]string{"Authorization": "Bearer x", "Accept-Language": "zh-CN"},
		Cookies: map[string]string{"session": "abc", "lang": "zh"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("User-Agent") != "custom/2" || got.Get("Authorization") != "Bearer x" || got.Get("Accept-Language") != "zh-CN" {
		t.Errorf("headers = %v", got)
	}
	if c := got.Get("Cookie"); c != "lang=zh; session=abc" {
		t.Errorf("Cookie = %q", c)
	}
}

// proxyServer answers every request itself, as a forward proxy would, and
// records the absolute URLs it was asked for.
func proxyServer(t *testing.T) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		w.Write([]byte(rss))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestProxies(t *testing.T) {
	envProxy, envSeen := proxyServer(t)
	srcProxy, srcSeen := proxyServer(t)
	t.Setenv("HTTP_PROXY", envProxy.URL)
	t.Setenv("NO_PROXY", "")
	c := newClient(fetch.Options{Timeout: 3 * time.Second})

	if _, err := c.Fetch(t.Context(), "http://feeds.example/a", fetch.Validators{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context(), fetch.Request{URL: "http://feeds.example/b", Proxy: srcProxy.URL}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*envSeen) != "[http://feeds.example/a]" || fmt.Sprint(*srcSeen) != "[http://feeds.example/b]" {
		t.Errorf("environment proxy saw %v, source proxy saw %v", *envSeen, *srcSeen)
	}
	// "direct" skips the environment's proxy: the name is then looked up,
	// and .invalid names never resolve.
	_, err := c.Do(t.Context(), fetch.Request{URL: "http://feeds.invalid/c", Proxy: "direct"})
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Errorf("direct fetch err = %v, want a DNS error", err)
	}
}

func TestDenyPrivateNetworks(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(rss))
	}))
	defer target.Close()
	// A trusted proxy (from the environment) that sends a public URL to
	// the loopback target: the redirect must be refused as well.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/feed", http.StatusFound)
	}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")

	deny := newClient(fetch.Options{DenyPrivateNetworks: true})
	for _, u := range []string{
		target.URL + "/feed", // loopback by address
		strings.Replace(target.URL, "127.0.0.1", "localhost", 1), // loopback by name
		"http://93.184.215.14/feed",                              // public, via the proxy, redirected to loopback
		"file:///etc/passwd",
	} {
		_, err := deny.Fetch(t.Context(), u, fetch.Validators{})
		if !errors.Is(err, fetch.ErrPrivateNetwork) {
			t.Errorf("%s: err = %v, want ErrPrivateNetwork", u, err)
			continue
		}
		t.Logf("%s: %v", u, err)
	}
	_, err := deny.Do(t.Context(), fetch.Request{URL: "http://93.184.215.14/x", Proxy: target.URL})
	if !errors.Is(err, fetch.ErrPrivateNetwork) {
		t.Errorf("a source's own proxy on loopback: err = %v, want ErrPrivateNetwork", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback target was reached %d times", n)
	}
	if _, err := newClient(fetch.Options{}).Fetch(t.Context(), target.URL, fetch.Validators{}); err != nil {
		t.Errorf("without deny_private_networks: %v", err)
	}
}

// TestDenyPrivateNetworksProxyAddress: the address of a proxy from the
// environment is trusted for proxying only. A redirect to that very
// address, which goes there directly, is refused like any loopback target;
// and a proxy given as an IPv6 address is trusted like any other.
func TestDenyPrivateNetworksProxyAddress(t *testing.T) {
	var direct atomic.Int32
	var proxyURL string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() { // asked directly, not as a proxy
			direct.Add(1)
			w.Write([]byte(rss))
			return
		}
		http.Redirect(w, r, proxyURL+"/admin", http.StatusFound)
	}))
	defer proxy.Close()
	proxyURL = proxy.URL
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	deny := newClient(fetch.Options{DenyPrivateNetworks: true})
	_, err := deny.Fetch(t.Context(), "http://93.184.215.14/feed", fetch.Validators{})
	if !errors.Is(err, fetch.ErrPrivateNetwork) {
		t.Errorf("redirect to the proxy's own address: err = %v, want ErrPrivateNetwork", err)
	}
	if n := direct.Load(); n != 0 {
		t.Errorf("the proxy's address was reached directly %d times", n)
	}

	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	v6 := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(rss)) }))
	v6.Listener.Close()
	v6.Listener = ln
	v6.Start()
	defer v6.Close()
	t.Setenv("HTTP_PROXY", v6.URL)
	if _, err := newClient(fetch.Options{DenyPrivateNetworks: true}).Fetch(t.Context(), "http://93.184.215.14/feed", fetch.Validators{}); err != nil {
		t.Errorf("through the environment's proxy at %s: %v", v6.URL, err)
	}
}

func TestPolitenessLimits(t *testing.T) {
	type host struct {
		srv      *httptest.Server
		inFlight atomic.Int32
		peak     atomic.Int32
		mu       sync.Mutex
		starts   []time.Time
	}
	var global, globalPeak atomic.Int32
	peak := func(v *atomic.Int32, n int32) {
		for {
			old := v.Load()
			if n <= old || v.CompareAndSwap(old, n) {
				return
			}
		}
	}
	hosts := make([]*host, 4)
	for i := range hosts {
		h := &host{}
		h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			peak(&h.peak, h.inFlight.Add(1))
			peak(&globalPeak, global.Add(1))
			time.Sleep(30 * time.Millisecond)
			h.inFlight.Add(-1)
			global.Add(-1)
			w.Write([]byte(rss))
		}))
		defer h.srv.Close()
		hosts[i] = h
	}
	const delay = 10 * time.Millisecond
	c := newClient(fetch.Options{Concurrency: 3, PerHost: 2, HostDelay: delay})
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Fetch(context.Background(), hosts[i%len(hosts)].srv.URL, fetch.Validators{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := globalPeak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want at most 3 (and some)", p)
	}
	for i, h := range hosts {
		if p := h.peak.Load(); p > 2 {
			t.Errorf("host %d: peak %d in flight, want at most 2", i, p)
		}
	}
}

func TestTimeouts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		for range 100 {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()
	start := time.Now()
	_, err := newClient(fetch.Options{Timeout: 700 * time.Millisecond}).Fetch(t.Context(), srv.URL, fetch.Validators{})
	if !errors.Is(err, fetch.ErrTimeout) || !strings.Contains(err.Error(), "reading the body") {
		t.Fatalf("err = %v, want a timeout while reading the body", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestTransportFailures(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(rss)) }))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is expected
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	reset := resetServer(t)
	cases := []struct {
		name, url, want string
	}{
		{"untrusted certificate", tlsSrv.URL, "TLS failed"},
		{"no such host", "http://nosuch.invalid/feed", "DNS"},
		{"reset mid-body", reset, "reading the body"},
		{"closed before the response", closeServer(t), "closed by the server before it answered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newClient(fetch.Options{Timeout: 5 * time.Second}).Fetch(t.Context(), tc.url, fetch.Validators{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			t.Log(err)
		})
	}
}

// closeServer closes every connection without answering.
func closeServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// resetServer serves half of a promised body, then resets the connection.
func resetServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 10000\r\n\r\n")
		buf.WriteString(rss[:40])
		buf.Flush()
		time.Sleep(20 * time.Millisecond)
		conn.(*net.TCPConn).SetLinger(0) // close with RST, not FIN
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDiscover(t *testing.T) {
	cases := []struct {
		name, page string
		want       []string
	}{
		{"rss", `<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>`, []string{"http://example.com/feed.xml"}},
		{"atom and rss, rss first", `<head><link rel="alternate" type="application/atom+xml" href="atom"><link rel="alternate" type="application/rss+xml" href="http://other.example/rss"></head>`,
			[]string{"http://other.example/rss", "http://example.com/blog/atom"}},
		{"json feed", `<link rel="alternate" type="application/feed+json" href="feed.json">`, []string{"http://example.com/blog/feed.json"}},
		{"rel list and case", `<LINK REL="Alternate home" TYPE="Application/RSS+XML; charset=utf-8" HREF="/x">`, []string{"http://example.com/x"}},
		{"stylesheet", `<link rel="stylesheet" type="text/css" href="/s.css">`, nil},
		{"html alternate", `<link rel="alternate" type="text/html" hreflang="en" href="/en">`, nil},
		{"javascript href", `<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">`, nil},
		{"in body", `<html><body><link rel="alternate" type="application/rss+xml" href="/late"></body></html>`, nil},
		{"duplicates", `<link rel="alternate" type="application/rss+xml" href="/a"><link rel="alternate" type="application/rss+xml" href="/a">`, []string{"http://example.com/a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fetch.Discover([]byte(tc.page), "http://example.com/blog/")
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Discover = %v, want %v", got, tc.want)
			}
		})
	}
}
