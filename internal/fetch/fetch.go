// Package fetch gets feed documents: over HTTP with conditional requests,
// compression, redirects, size and time limits and per-host politeness, or
// from local files for file: URLs.
//
// fetch reports what the server said and never acts on it across fetches:
// a permanent redirect, a Cache-Control max-age or a Retry-After are fields
// of the Response or the HTTPError for the caller's scheduling.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/feedmill/feedmill/internal/charset"
)

// Defaults used for Options fields left zero.
const (
	DefaultUserAgent      = "feedmill/1 (+https://github.com/feedmill/feedmill)"
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxBytes       = 20 << 20
	DefaultConcurrency    = 16
	DefaultPerHost        = 2
	// MaxRedirects is how many redirects one fetch follows.
	MaxRedirects = 5
)

// ErrTooLarge is returned when a document is larger than the size cap,
// before or after decompression.
var ErrTooLarge = errors.New("response too large")

// ErrTimeout is returned when a fetch takes longer than Options.Timeout.
var ErrTimeout = errors.New("timed out")

// ErrContentType is returned when a response is not of the media types a
// Request accepts.
var ErrContentType = errors.New("unwanted content type")

// ErrTooManyRedirects and ErrRedirectLoop are returned when redirects
// would go on beyond MaxRedirects or come back to a URL already visited,
// ErrRedirectScheme when one leads to a URL that is not http or https.
var (
	ErrTooManyRedirects = errors.New("too many redirects")
	ErrRedirectLoop     = errors.New("redirect loop")
	ErrRedirectScheme   = errors.New("redirect refused")
)

// HTTPError is a response with a status other than 2xx or 304.
type HTTPError struct {
	StatusCode int
	Status     string
	// RetryAfter is the server's Retry-After, as seconds or an HTTP date,
	// relative to now; 0 when it sent none. It is what a 429 or 503 asks
	// the caller to wait before fetching this URL again.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	if e.Status == "" {
		return "HTTP " + strconv.Itoa(e.StatusCode)
	}
	return "HTTP " + e.Status
}

// Options configure a Client. Zero fields take the Default* values,
// except HostDelay (0 is no delay) and DenyPrivateNetworks (off).
type Options struct {
	// Timeout bounds one fetch from connect to the last body byte,
	// redirects included. Time spent waiting for the politeness limits
	// before the first request is not counted.
	Timeout time.Duration
	// ConnectTimeout bounds making one connection.
	ConnectTimeout time.Duration
	// MaxBytes caps a document, both as sent and decompressed.
	MaxBytes  int64
	UserAgent string
	// Concurrency bounds the requests in flight; PerHost those to one
	// host (host:port); HostDelay is the least time between the starts of
	// two requests to one host.
	Concurrency int
	PerHost     int
	HostDelay   time.Duration
	// DenyPrivateNetworks refuses loopback, private, link-local,
	// unspecified and multicast addresses after DNS resolution, on every
	// connection (redirects included), and file: URLs. The client of
	// ItemLinks refuses them whatever it says.
	DenyPrivateNetworks bool
	// Hosts, when set, holds PerHost, HostDelay and servers' pauses for
	// a fleet of processes (see package fleet), on top of this client's
	// own limits.
	Hosts HostGate
}

// HostGate shares the per-host politeness with other processes.
type HostGate interface {
	// Acquire waits until a request to host (host:port) may start: a
	// slot of the host's per_host is free for it and its turn after
	// host_delay has come. It returns the function that gives the slot
	// back, or, when the host's server asked the fleet to keep away,
	// the time that pause ends (and no function).
	Acquire(ctx context.Context, host string) (release func(), pausedUntil time.Time, err error)
	// Pause records that host's server asked for no requests until
	// until.
	Pause(ctx context.Context, host string, until time.Time)
}

// HostPause is the pause a server's 429 without Retry-After sets on its
// host for the fleet.
const HostPause = time.Minute

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	return o
}

// Client fetches documents. It is safe for concurrent use, and every
// request it makes shares its concurrency and per-host limits.
type Client struct {
	http     *http.Client
	opts     Options
	limiter  *limiter
	dialer   *dialer
	envProxy func(*url.URL) (*url.URL, error)
	why      string // why a non-public address is refused

	itemLinksOnce sync.Once
	itemLinks     *Client
}

// New returns a Client. Proxies come from HTTP_PROXY, HTTPS_PROXY and
// NO_PROXY as they are when New is called.
func New(opts Options) *Client {
	opts = opts.withDefaults()
	lim := newLimiter(opts.Concurrency, opts.PerHost, opts.HostDelay)
	lim.gate = opts.Hosts
	return newClient(opts, lim, whySources)
}

// ItemLinks returns the client for URLs that feed content names, such as
// an item's link that full text fetches: text from the feed, untrusted
// even when the operator chose the source. It shares c's limits and
// settings, but fetches http(s) only and never reaches a loopback,
// private, link-local, unspecified, multicast or otherwise non-public
// address (metadata services among them), whatever DenyPrivateNetworks
// says: checked after DNS resolution on every connection, redirects
// included, as DenyPrivateNetworks does for sources. It has connections
// of its own, so none opened for a source on the operator's network is
// reused for it.
func (c *Client) ItemLinks() *Client {
	c.itemLinksOnce.Do(func() {
		if c.why == whyItemLinks {
			c.itemLinks = c
			return
		}
		opts := c.opts
		opts.DenyPrivateNetworks = true
		c.itemLinks = newClient(opts, c.limiter, whyItemLinks)
	})
	return c.itemLinks
}

func newClient(opts Options, lim *limiter, why string) *Client {
	c := &Client{
		opts:     opts,
		limiter:  lim,
		dialer:   newDialer(opts.ConnectTimeout, opts.DenyPrivateNetworks, why),
		envProxy: httpproxy.FromEnvironment().ProxyFunc(),
		why:      why,
	}
	tr := &http.Transport{
		Proxy:                 c.proxy,
		DialContext:           c.dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          max(100, 4*opts.Concurrency),
		MaxIdleConnsPerHost:   opts.PerHost,
		// Compression is ours: net/http would only do gzip, and without
		// the size cap on what it inflates.
		DisableCompression: true,
		// A feed of a few dozen items arrives with its headers in one
		// read instead of several: every system call is dear on the
		// small virtual machines feedmill runs on.
		ReadBufferSize: 32 << 10,
	}
	c.http = &http.Client{
		Transport:     &limitedTransport{next: tr, limiter: c.limiter},
		CheckRedirect: checkRedirect,
	}
	return c
}

// Validators are what the last successful fetch returned, sent back so
// that an unchanged document costs a 304.
type Validators struct {
	ETag         string
	LastModified string
}

// Request is one fetch with a source's own settings.
type Request struct {
	URL string
	Validators
	// Headers are sent as given and override the defaults (User-Agent,
	// Accept).
	Headers map[string]string
	// Cookies are sent as one Cookie header; net/http drops it when a
	// redirect leaves the domain.
	Cookies map[string]string
	// Proxy is a proxy URL (http, https, socks5) for this request,
	// "direct" for none, or "" for the environment's.
	Proxy string
	// Types, when set, are the media types accepted (such as
	// "text/html"): a response of another type, or of none, fails with
	// ErrContentType before its body is read.
	Types []string
}

// Response is a fetched document.
type Response struct {
	// URL is where the document came from after redirects.
	URL string
	// PermanentRedirect is true when the request was redirected and every
	// redirect was permanent (301 or 308): URL is the source's new
	// address.
	PermanentRedirect bool
	// NotModified is true for a 304: Body is empty then.
	NotModified bool
	// Body is the document in UTF-8, read in its charset: Doc's bytes.
	Body        []byte
	ContentType string
	// doc is Body as charset.ToUTF8 made it.
	doc charset.UTF8
	Validators
	// MaxAge is the response's Cache-Control max-age: the document will
	// not change sooner. 0 when it gave none.
	MaxAge time.Duration
}

// Doc returns the document as charset.ToUTF8 made it when the fetch read
// it, for the stages that take a charset.UTF8 and so neither check nor
// convert the bytes again. A Body replaced since is converted now.
func (r *Response) Doc() charset.UTF8 {
	if r.doc.Is(r.Body) {
		return r.doc
	}
	doc, _ := charset.ToUTF8(r.Body, "")
	return doc
}

// DropBody lets the document go (Body and Doc), for a caller that keeps
// the Response for its validators.
func (r *Response) DropBody() {
	r.Body, r.doc = nil, charset.UTF8{}
}

func (r *Response) setDoc(doc charset.UTF8, _ charset.Decision) {
	r.doc, r.Body = doc, doc.Bytes()
}

// Fetch gets the document at rawURL.
func (c *Client) Fetch(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	return c.Do(ctx, Request{URL: rawURL, Validators: v})
}

// reqState follows one fetch through its redirects. net/http calls the
// transport and CheckRedirect on the goroutine that called Do, so it needs
// no lock.
type reqState struct {
	proxy     *url.URL
	direct    bool
	permanent bool // every redirect so far was permanent
	// held is the limiter slot taken before the timeout started, used by
	// the first request to heldHost.
	held     func()
	heldHost string
}

type stateKey struct{}

func state(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// Do gets the document a Request names.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", r.URL, err)
	}
	if u.Scheme == "file" {
		if c.opts.DenyPrivateNetworks {
			return nil, fmt.Errorf("%w: file URLs are refused (%s)", ErrPrivateNetwork, c.why)
		}
		return c.file(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: the scheme must be http or https", r.URL)
	}
	st := &reqState{permanent: true}
	switch p := strings.TrimSpace(r.Proxy); p {
	case "":
	case "direct":
		st.direct = true
	default:
		if st.proxy, err = url.Parse(p); err != nil || st.proxy.Host == "" {
			return nil, fmt.Errorf("bad proxy URL %q", p)
		}
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, stateKey{}, st), http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", r.URL, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	req.Header.Set("Accept-Encoding", acceptEncoding)
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	names := make([]string, 0, len(r.Cookies))
	for k := range r.Cookies {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		req.AddCookie(&http.Cookie{Name: k, Value: r.Cookies[k]})
	}
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}

	// The politeness wait comes before the timeout starts: a source
	// queued behind others on its host has not been slow itself.
	st.heldHost = hostKey(req)
	st.held, err = c.limiter.acquire(ctx, st.heldHost)
	if err != nil {
		return nil, err
	}
	defer func() {
		if st.held != nil {
			st.held()
		}
	}()
	tctx, cancel := context.WithTimeout(req.Context(), c.opts.Timeout)
	defer cancel()
	req = req.WithContext(tctx)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.explain(ctx, tctx, "", err)
	}
	defer resp.Body.Close()
	out := &Response{
		URL:               resp.Request.URL.String(),
		PermanentRedirect: resp.Request.URL.String() != req.URL.String() && st.permanent,
		ContentType:       resp.Header.Get("Content-Type"),
		MaxAge:            maxAge(resp.Header.Get("Cache-Control")),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		out.Validators = r.Validators
		if e := resp.Header.Get("ETag"); e != "" {
			out.ETag = e
		}
		if lm := resp.Header.Get("Last-Modified"); lm != "" {
			out.LastModified = lm
		}
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// A little of the body is read so that the connection can be
		// reused; an error page is not worth more.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		herr := &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if g := c.limiter.gate; g != nil && (herr.RetryAfter > 0 || herr.StatusCode == http.StatusTooManyRequests) {
			// The server's pause holds for every process of the fleet.
			wait := herr.RetryAfter
			if wait <= 0 {
				wait = HostPause
			}
			g.Pause(ctx, hostKey(resp.Request), time.Now().Add(wait))
		}
		return nil, herr
	}
	if len(r.Types) > 0 {
		if err := checkType(resp.Header.Get("Content-Type"), r.Types); err != nil {
			return nil, err
		}
	}
	if resp.ContentLength > c.opts.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced, max_bytes is %d", ErrTooLarge, resp.ContentLength, c.opts.MaxBytes)
	}
	raw := &capReader{r: resp.Body, left: c.opts.MaxBytes, what: "body"}
	body, err := decode(raw, resp.Header.Get("Content-Encoding"))
	if err == nil {
		if body != io.Reader(raw) {
			body = &capReader{r: body, left: c.opts.MaxBytes, what: "decompressed body"}
		}
		hint := int64(0)
		if body == io.Reader(raw) {
			hint = resp.ContentLength
		}
		out.Body, err = readAll(body, hint)
	}
	if err == nil && isGzip(out.Body) {
		out.Body, err = gunzip(out.Body, c.opts.MaxBytes)
	}
	if err != nil {
		return nil, c.explain(ctx, tctx, "reading the body", err)
	}
	// Every stage after this one reads UTF-8 (see package charset).
	out.setDoc(charset.ToUTF8(out.Body, out.ContentType))
	out.ETag = resp.Header.Get("ETag")
	out.LastModified = resp.Header.Get("Last-Modified")
	return out, nil
}

// checkType refuses a Content-Type that is none of types.
func checkType(contentType string, types []string) error {
	if contentType == "" {
		return fmt.Errorf("%w: the server sent no Content-Type", ErrContentType)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrContentType, contentType)
	}
	for _, t := range types {
		if mt == t {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrContentType, mt)
}

// proxy picks the proxy of a request: the source's own, none, or the
// environment's. With DenyPrivateNetworks it checks the target itself,
// since through a proxy the dialer only sees the proxy's address.
func (c *Client) proxy(req *http.Request) (*url.URL, error) {
	var p *url.URL
	st := state(req.Context())
	switch {
	case st != nil && st.direct:
	case st != nil && st.proxy != nil:
		p = st.proxy
	default:
		var err error
		if p, err = c.envProxy(req.URL); err != nil {
			return nil, err
		}
		if p != nil {
			c.dialer.trust(canonicalAddr(p))
		}
	}
	// A target at an environment proxy's own address (a redirect to it,
	// say) goes there directly, where the dialer trusts that address: it
	// is checked here instead.
	if c.opts.DenyPrivateNetworks && (p != nil || c.dialer.isTrusted(canonicalAddr(req.URL))) {
		if err := checkHost(req.Context(), req.URL.Hostname(), c.why); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// checkRedirect follows at most MaxRedirects redirects, refuses to visit a
// URL twice, and notes whether every redirect was permanent.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, MaxRedirects)
	}
	next := req.URL.String()
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s leads to %s; only http and https are followed", ErrRedirectScheme, via[len(via)-1].URL, next)
	}
	for _, v := range via {
		if v.URL.String() == next {
			return fmt.Errorf("%w: %s leads back to %s", ErrRedirectLoop, via[len(via)-1].URL, next)
		}
	}
	if st := state(req.Context()); st != nil && req.Response != nil {
		if s := req.Response.StatusCode; s != http.StatusMovedPermanently && s != http.StatusPermanentRedirect {
			st.permanent = false
		}
	}
	return nil
}

func (c *Client) file(u *url.URL) (*Response, error) {
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64 // read in one go when the file says its size
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	body, err := readAll(&capReader{r: f, left: c.opts.MaxBytes, what: "file"}, size)
	if err != nil {
		return nil, err
	}
	out := &Response{URL: u.String()}
	out.setDoc(charset.ToUTF8(body, "")) // as for HTTP: every later stage reads UTF-8
	return out, nil
}

// readAll reads r to its end like io.ReadAll, into a buffer of the size
// announced (a Content-Length) where io.ReadAll starts at 512 bytes and
// reads a 20 kB feed in a dozen system calls. What a server announces
// reserves a megabyte at most before the bytes arrive.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, min(size, 1<<20)+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow as io.ReadAll does
		}
	}
}

// capReader fails with ErrTooLarge once more than left bytes come
// through, so an endless body or a decompression bomb stops at the cap
// instead of filling memory.
type capReader struct {
	r    io.Reader
	left int64
	what string
	max  int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.max == 0 {
		c.max = c.left
	}
	if c.left < 0 {
		return 0, fmt.Errorf("%w: %s larger than max_bytes (%d)", ErrTooLarge, c.what, c.max)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("%w: %s larger than max_bytes (%d)", ErrTooLarge, c.what, c.max)
	}
	return n, err
}

// maxAge reads max-age from a Cache-Control header; no-cache and no-store
// mean the document may change any time, which is no lower bound at all.
func maxAge(cc string) time.Duration {
	var age time.Duration
	for _, d := range strings.Split(cc, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(k) {
		case "no-cache", "no-store":
			return 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64); err == nil && n > 0 {
				age = time.Duration(min(n, 1<<31)) * time.Second
			}
		}
	}
	return age
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		return time.Duration(max(0, min(n, 1<<31))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
