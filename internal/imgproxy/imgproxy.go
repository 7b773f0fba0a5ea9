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
	SetSetting(ctx context.Context, name, value string) error
}

// KeySetting is the store setting that holds a generated key.
const KeySetting = "image_proxy_key"

// Key returns the signing key: the configured one when not "", else the
// one kept in the store, generated and stored on first use so that signed
// URLs stay valid across restarts.
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
	if err := st.SetSetting(ctx, KeySetting, hex.EncodeToString(k[:])); err != nil {
		return nil, err
	}
	return k[:], nil
}

// Options configure the proxy handler.
type Options struct {
	Signer *Signer
	// MaxBytes caps one image (default 10 MiB).
	MaxBytes int64
	// CacheBytes bounds the in-memory cache (default 64 MiB; negative
	// turns it off).
	CacheBytes int64
	// Timeout bounds one upstream fetch (default 20 s).
	Timeout time.Duration
	// UserAgent is sent upstream.
	UserAgent string
	Logger    *slog.Logger
}

// Handler serves GET <endpoint>?u=URL&s=SIGNATURE.
type Handler struct {
	opts   Options
	client *http.Client
	cache  *lru

	mu       sync.Mutex
	inflight map[string]*call
}

type call struct {
	done chan struct{}
	img  *image
	err  error
}

type image struct {
	typ  string
	data []byte
}

// New returns the proxy handler.
func New(opts Options) *Handler {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 10 << 20
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 64 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
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
	h := &Handler{opts: opts, inflight: map[string]*call{}}
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
	img, err := h.get(r.Context(), raw)
	if err != nil {
		h.opts.Logger.Debug("image proxy fetch failed", "url", raw, "err", err)
		var se *statusError
		switch {
		case errors.As(err, &se):
			http.Error(w, err.Error(), se.code)
		default:
			http.Error(w, "upstream image unavailable", http.StatusBadGateway)
		}
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", img.typ)
	hd.Set("Content-Length", strconv.Itoa(len(img.data)))
	hd.Set("Cache-Control", "public, max-age=86400")
	hd.Set("X-Content-Type-Options", "nosniff")
	// An SVG opened directly must not run script in the site's origin.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(img.data)
}

// statusError is an upstream answer the proxy passes on as a status.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// get returns the image from the cache or upstream; concurrent requests
// for one URL share one fetch.
func (h *Handler) get(ctx context.Context, raw string) (*image, error) {
	if h.cache != nil {
		if img, ok := h.cache.get(raw); ok {
			return img, nil
		}
	}
	h.mu.Lock()
	if c, ok := h.inflight[raw]; ok {
		h.mu.Unlock()
		select {
		case <-c.done:
			return c.img, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	h.inflight[raw] = c
	h.mu.Unlock()

	// The fetch outlives a client that goes away: others may wait on it,
	// and the cache keeps its result.
	c.img, c.err = h.fetch(context.WithoutCancel(ctx), raw)
	if c.err == nil && h.cache != nil {
		h.cache.add(raw, c.img)
	}
	h.mu.Lock()
	delete(h.inflight, raw)
	h.mu.Unlock()
	close(c.done)
	return c.img, c.err
}

func (h *Handler) fetch(ctx context.Context, raw string) (*image, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", h.opts.UserAgent)
	req.Header.Set("Accept", "image/avif,image/webp,image/*;q=0.9,*/*;q=0.1")
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, fetch.ErrPrivateNetwork) {
			return nil, &statusError{http.StatusForbidden, "image host is not on the public internet"}
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		code := http.StatusBadGateway
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			code = resp.StatusCode
		}
		return nil, &statusError{code, fmt.Sprintf("upstream answered %s", resp.Status)}
	}
	typ, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(typ, "image/") {
		return nil, &statusError{http.StatusUnsupportedMediaType, fmt.Sprintf("upstream sent %q, not an image", resp.Header.Get("Content-Type"))}
	}
	if resp.ContentLength > h.opts.MaxBytes {
		return nil, &statusError{http.StatusRequestEntityTooLarge, "image too large"}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, h.opts.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > h.opts.MaxBytes {
		return nil, &statusError{http.StatusRequestEntityTooLarge, "image too large"}
	}
	return &image{typ: typ, data: data}, nil
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
	n := int64(len(img.data))
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.size -= int64(len(e.Value.(*lruEntry).img.data))
		c.order.Remove(e)
	}
	c.items[key] = c.order.PushFront(&lruEntry{key, img})
	c.size += n
	for c.size > c.max {
		e := c.order.Back()
		ent := e.Value.(*lruEntry)
		c.order.Remove(e)
		delete(c.items, ent.key)
		c.size -= int64(len(ent.img.data))
	}
}
