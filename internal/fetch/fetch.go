// Package fetch gets feed documents: over HTTP with conditional requests,
// a size cap and a timeout, or from local files for file: URLs.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/charset"
)

// ErrTooLarge is returned when a document is larger than the size cap.
var ErrTooLarge = errors.New("response too large")

// HTTPError is a response with a status other than 200 or 304.
type HTTPError struct {
	StatusCode int
	Status     string
	// RetryAfter is how long the server asked us to wait (Retry-After in
	// seconds or as an HTTP date); 0 when it did not say.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string { return "HTTP " + e.Status }

// Options configure a Client.
type Options struct {
	Timeout   time.Duration
	MaxBytes  int64
	UserAgent string
}

// Client fetches documents. It is safe for concurrent use.
type Client struct {
	http *http.Client
	opts Options
}

// New returns a Client.
func New(opts Options) *Client {
	return &Client{http: &http.Client{}, opts: opts}
}

// Validators are what the last successful fetch returned, sent back so
// that an unchanged document costs a 304.
type Validators struct {
	ETag         string
	LastModified string
}

// Response is a fetched document.
type Response struct {
	// URL is where the document came from after redirects.
	URL string
	// NotModified is true for a 304: Body is empty then.
	NotModified bool
	Body        []byte
	ContentType string
	Validators
	// MaxAge is Cache-Control max-age: how long the server says the
	// document stays fresh; 0 when it did not say.
	MaxAge time.Duration
}

// Fetch gets the document at rawURL.
func (c *Client) Fetch(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	if u.Scheme == "file" {
		return c.file(u)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s", c.opts.Timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	out := &Response{URL: resp.Request.URL.String(), ContentType: resp.Header.Get("Content-Type"), MaxAge: maxAge(resp.Header.Get("Cache-Control"))}
	switch resp.StatusCode {
	case http.StatusNotModified:
		out.NotModified = true
		out.Validators = v
		return out, nil
	case http.StatusOK:
	default:
		return nil, &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	out.Body, err = readLimited(resp.Body, c.opts.MaxBytes)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s reading the body", c.opts.Timeout)
		}
		return nil, err
	}
	// Every stage after this one reads UTF-8 (see package charset).
	out.Body, _ = charset.Convert(out.Body, out.ContentType)
	out.ETag = resp.Header.Get("ETag")
	out.LastModified = resp.Header.Get("Last-Modified")
	return out, nil
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
	body, err := readLimited(f, c.opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	return &Response{URL: u.String(), Body: body}, nil
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return body, nil
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
