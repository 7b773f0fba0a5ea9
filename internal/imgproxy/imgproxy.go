// Package imgproxy serves remote images through feedmill: http images on
// an https site, and images whose hosts refuse hotlinks, display. Only
// URLs that feedmill signed are served (an open proxy would fetch
// anything for anyone), only images, only up to a size cap, never from a
// private network, and from a cache after the first request.
package imgproxy

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/feedmill/feedmill/internal/fetch"
)

// Signer signs and checks proxied image URLs with an HMAC key.
type Signer struct {
	key []byte
}

// NewSigner returns a signer with the key.
func NewSigner(key []byte) *Signer { return &Signer{key: append([]byte(nil), key...)} }

// Sign returns the signature of an image URL.
func (s *Signer) Sign(raw string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(raw))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Valid reports, in constant time, whether sig is raw's signature.
func (s *Signer) Valid(raw, sig string) bool {
	return hmac.Equal([]byte(s.Sign(raw)), []byte(sig))
}

// URL returns the proxied form of an image URL: endpoint (the handler's
// path, such as "/img") with the URL and its signature as parameters.
func (s *Signer) URL(endpoint, raw string) string {
	return endpoint + "?u=" + url.QueryEscape(raw) + "&s=" + s.Sign(raw)
}

// ID names the key without revealing it, so that pages built with another
// key are known to be stale.
func (s *Signer) ID() string {
	sum := sha256.Sum256(append([]byte("feedmill image proxy key id\x00"), s.key...))
	return hex.EncodeToString(sum[:8])
}

// Settings is the part of the store that keeps a generated key.
type Settings interface {
	Setting(ctx context.Context, name string) (string, error)
	AddSetting(ctx context.Context, name, value string) (string, error)
}

// KeySetting is the store setting that holds a generated key.
const KeySetting = "image_proxy_key"

// Key returns the signing key: the configured one when not "", else the
// one kept in the store, generated and stored on first use so that signed
// URLs stay valid across restarts. Processes sharing a store (a fleet's
// publisher and its standby) that generate one at once get the one stored
// first, so that each verifies what the other signed.
func Key(ctx context.Context, st Settings, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	v, err := st.Setting(ctx, KeySetting)
	if err == nil && v != "" {
		return hex.DecodeString(v)
	}
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, fmt.Errorf("generate image proxy key: %w", err)
	}
	v, err = st.AddSetting(ctx, KeySetting, hex.EncodeToString(k[:]))
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

// Options configure the proxy handler.
type Options struct {
	Signer *Signer
	// MaxBytes caps one image (default 10 MiB).
	MaxBytes int64
	// CacheBytes bounds the in-memory cache (default 64 MiB; negative
	// turns it off).
	CacheBytes int64
	// MaxFetches bounds the upstream fetches at once (default 8).
	MaxFetches int
	// MaxInFlight bounds the bytes of the images being fetched or sent
	// to clients (default 64 MiB; never below MaxBytes). An image holds
	// its share from its response's headers until the last client it
	// is sent to has it.
	MaxInFlight int64
	// Wait is how long a request waits for a fetch slot or for room in
	// MaxInFlight before it is answered 503 (default 2 s).
	Wait time.Duration
	// Timeout bounds one upstream fetch (default 20 s).
	Timeout time.Duration
	// UserAgent is sent upstream.
	UserAgent string
	Logger    *slog.Logger
}

// Defaults of the Options left zero.
const (
	DefaultMaxBytes    = 10 << 20
	DefaultCacheBytes  = 64 << 20
	DefaultMaxFetches  = 8
	DefaultMaxInFlight = 64 << 20
	DefaultWait        = 2 * time.Second
	DefaultTimeout     = 20 * time.Second
	// sendTimeout bounds sending one image to a client, which holds its
	// share of MaxInFlight meanwhile: 10 MiB at 1 Mbit/s takes 80 s.
	sendTimeout = 2 * time.Minute
	// chunkSize is the piece an image of unknown length is read in, so
	// that it is never copied to grow.
	chunkSize = 64 << 10
)

// Handler serves GET <endpoint>?u=URL&s=SIGNATURE.
//
// Memory is bounded: at most MaxFetches fetches run at once, the images
// being fetched or sent hold at most MaxInFlight bytes, the cache at most
// CacheBytes, and a request that finds no room within Wait is answered
// 503. Requests for one URL share one fetch, which is cancelled when the
// last of them goes away before it ends.
type Handler struct {
	opts    Options
	client  *http.Client
	cache   *lru
	fetches *semaphore.Weighted
	budget  *semaphore.Weighted

	mu       sync.Mutex
	inflight map[string]*call
}

// call is one upstream fetch and the requests that share it.
type call struct {
	done   chan struct{}
	cancel context.CancelFunc
	img    *image
	err    error
	// What follows is guarded by Handler.mu. refs counts the requests
	// waiting for the image or sending it; held is the share of
	// MaxInFlight the image keeps until refs falls to 0 after finished.
	refs     int
	finished bool
	held     int64
}

// image is a fetched image, in the pieces it was read in.
type image struct {
	typ    string
	size   int64
	chunks [][]byte
}

// New returns the proxy handler.
func New(opts Options) *Handler {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.MaxFetches <= 0 {
		opts.MaxFetches = DefaultMaxFetches
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	opts.MaxInFlight = max(opts.MaxInFlight, opts.MaxBytes)
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "feedmill image proxy"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// Image URLs come from feeds: never from a private network, whoever
	// signed them (tests let their own server through with
	// fetch.AllowTestServer).
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: fetch.PublicOnly}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real target from the dialer
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	h := &Handler{
		opts:     opts,
		fetches:  semaphore.NewWeighted(int64(opts.MaxFetches)),
		budget:   semaphore.NewWeighted(opts.MaxInFlight),
		inflight: map[string]*call{},
	}
	h.client = &http.Client{
		Transport: tr,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errors.New("redirect to a non-http URL")
			}
			return nil
		},
	}
	if opts.CacheBytes > 0 {
		h.cache = newLRU(opts.CacheBytes)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw, sig := r.URL.Query().Get("u"), r.URL.Query().Get("s")
	if raw == "" || sig == "" || h.opts.Signer == nil || !h.opts.Signer.Valid(raw, sig) {
		http.Error(w, "bad or unsigned image URL", http.StatusForbidden)
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		http.Error(w, "not an http(s) image URL", http.StatusBadRequest)
		return
	}
	img, release, err := h.get(r.Context(), raw)
	if err != nil {
		h.opts.Logger.Debug("image proxy fetch failed", "url", raw, "err", err)
		var se *statusError
		switch {
		case errors.As(err, &se):
			if se.code == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			http.Error(w, err.Error(), se.code)
		default:
			http.Error(w, "upstream image unavailable", http.StatusBadGateway)
		}
		return
	}
	defer release()
	hd := w.Header()
	hd.Set("Content-Type", img.typ)
	hd.Set("Content-Length", strconv.FormatInt(img.size, 10))
	hd.Set("Cache-Control", "public, max-age=86400")
	hd.Set("X-Content-Type-Options", "nosniff")
	// An SVG opened directly must not run script in the site's origin.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	if r.Method == http.MethodHead {
		return
	}
	// A client that reads slowly keeps the image's share of MaxInFlight
	// only so long.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(sendTimeout))
	for _, c := range img.chunks {
		if _, err := w.Write(c); err != nil {
			return
		}
	}
}

// statusError is an upstream answer the proxy passes on as a status.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

var errBusy = &statusError{http.StatusServiceUnavailable, "the image proxy is busy; try again"}

// get returns the image from the cache or upstream, and the function to
// call once it is sent. Concurrent requests for one URL share one fetch,
// which runs apart from any of them: it is cancelled only when every
// request that wanted it has gone.
func (h *Handler) get(ctx context.Context, raw string) (*image, func(), error) {
	if h.cache != nil {
		if img, ok := h.cache.get(raw); ok {
			return img, func() {}, nil
		}
	}
	h.mu.Lock()
	c, ok := h.inflight[raw]
	if !ok {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.Timeout)
		c = &call{done: make(chan struct{}), cancel: cancel}
		h.inflight[raw] = c
		go h.run(fctx, c, raw)
	}
	c.refs++
	h.mu.Unlock()
	select {
	case <-c.done:
		if c.err != nil {
			h.leave(raw, c)
			return nil, nil, c.err
		}
		return c.img, func() { h.leave(raw, c) }, nil
	case <-ctx.Done():
		h.leave(raw, c)
		return nil, nil, ctx.Err()
	}
}

// leave is a request done with c: the last one to go cancels a fetch
// still running, or gives back the image's share of MaxInFlight.
func (h *Handler) leave(raw string, c *call) {
	h.mu.Lock()
	c.refs--
	var held int64
	if c.refs == 0 {
		if !c.finished {
			if h.inflight[raw] == c {
				delete(h.inflight, raw)
			}
			c.cancel()
		}
		held, c.held = c.held, 0
	}
	h.mu.Unlock()
	if held > 0 {
		h.budget.Release(held)
	}
}

// run fetches the image of c once a fetch slot is free, and hands it to
// the requests sharing c.
func (h *Handler) run(ctx context.Context, c *call, raw string) {
	defer c.cancel()
	img, held, err := h.fetchWithSlot(ctx, raw)
	if err == nil && h.cache != nil {
		h.cache.add(raw, img)
	}
	h.mu.Lock()
	c.img, c.err, c.finished = img, err, true
	if h.inflight[raw] == c {
		delete(h.inflight, raw)
	}
	if c.refs > 0 {
		c.held, held = held, 0
	}
	close(c.done)
	h.mu.Unlock()
	if held > 0 {
		h.budget.Release(held)
	}
}

// acquire takes n of sem, waiting at most Wait: errBusy after that.
func (h *Handler) acquire(ctx context.Context, sem *semaphore.Weighted, n int64) error {
	if sem.TryAcquire(n) {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, h.opts.Wait)
	defer cancel()
	if err := sem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errBusy
	}
	return nil
}

func (h *Handler) fetchWithSlot(ctx context.Context, raw string) (*image, int64, error) {
	if err := h.acquire(ctx, h.fetches, 1); err != nil {
		return nil, 0, err
	}
	defer h.fetches.Release(1)
	return h.fetch(ctx, raw)
}

// fetch gets one image and returns it with the share of MaxInFlight it
// holds.
func (h *Handler) fetch(ctx context.Context, raw string) (*image, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", h.opts.UserAgent)
	req.Header.Set("Accept", "image/avif,image/webp,image/*;q=0.9,*/*;q=0.1")
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, fetch.ErrPrivateNetwork) {
			return nil, 0, &statusError{http.StatusForbidden, "image host is not on the public internet"}
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		code := http.StatusBadGateway
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			code = resp.StatusCode
		}
		return nil, 0, &statusError{code, fmt.Sprintf("upstream answered %s", resp.Status)}
	}
	typ, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(typ, "image/") {
		return nil, 0, &statusError{http.StatusUnsupportedMediaType, fmt.Sprintf("upstream sent %q, not an image", resp.Header.Get("Content-Type"))}
	}
	if resp.ContentLength > h.opts.MaxBytes {
		return nil, 0, errTooLarge
	}
	// The share is taken before the body is read: the whole image when
	// its length is known, else the most an image may be, given back
	// down to what it took once read.
	held := h.opts.MaxBytes
	if resp.ContentLength >= 0 {
		held = resp.ContentLength
	}
	if err := h.acquire(ctx, h.budget, held); err != nil {
		return nil, 0, err
	}
	img := &image{typ: typ}
	if resp.ContentLength >= 0 {
		err = img.readKnown(resp.Body, resp.ContentLength)
	} else {
		err = img.readChunks(resp.Body, h.opts.MaxBytes)
	}
	if err != nil {
		h.budget.Release(held)
		return nil, 0, err
	}
	if used := img.held(); used < held {
		h.budget.Release(held - used)
		held = used
	}
	return img, held, nil
}

var errTooLarge = &statusError{http.StatusRequestEntityTooLarge, "image too large"}

// readKnown reads a body of the announced length n into one piece.
func (img *image) readKnown(r io.Reader, n int64) error {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	img.chunks, img.size = [][]byte{b}, n
	return nil
}

// readChunks reads a body of unknown length, at most limit bytes, in
// pieces, so that it is never copied to grow.
func (img *image) readChunks(r io.Reader, limit int64) error {
	for {
		b := make([]byte, min(chunkSize, limit-img.size+1))
		n, err := io.ReadFull(r, b)
		if n > 0 {
			img.chunks = append(img.chunks, b[:n])
			img.size += int64(n)
		}
		if img.size > limit {
			return errTooLarge
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// held is the memory the image's pieces take.
func (img *image) held() int64 {
	var n int64
	for _, c := range img.chunks {
		n += int64(cap(c))
	}
	return n
}

// lru is an in-memory cache of images bounded by their total size.
type lru struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	img *image
}

func newLRU(max int64) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) (*image, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).img, true
}

func (c *lru) add(key string, img *image) {
	n := img.size
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.size -= e.Value.(*lruEntry).img.size
		c.order.Remove(e)
	}
	c.items[key] = c.order.PushFront(&lruEntry{key, img})
	c.size += n
	for c.size > c.max {
		e := c.order.Back()
		ent := e.Value.(*lruEntry)
		c.order.Remove(e)
		delete(c.items, ent.key)
		c.size -= ent.img.size
	}
}
