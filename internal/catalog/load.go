package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/store"
)

// MaxBytes caps the size of a catalog document. RSSHub's full catalog is
// about 5 MB; anything far larger is not one, and reading it whole would
// only cost memory.
const MaxBytes = 32 << 20

// MaxAge is how long a cached catalog is used before it is fetched again.
const MaxAge = 24 * time.Hour

// ErrRefused is returned when the instance refuses the access key (HTTP
// 401 or 403).
var ErrRefused = errors.New("access refused")

// UnreachableError is a catalog that could not be had: the connection
// failed or the server answered with an error.
type UnreachableError struct {
	Location string
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the catalog at %s: %v", e.Location, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Settings is the part of the store the catalog cache uses: a named
// value that survives between runs.
type Settings interface {
	// Setting returns a stored value, or an error wrapping
	// store.ErrNotFound when none is stored under the name.
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
}

// Options say where a catalog comes from and how it is kept.
type Options struct {
	// Location is an http(s) URL (an instance's /api/namespace), a JSON
	// file, the npm package's routes module, or a folder holding the
	// package (node_modules/rsshub, or a folder with node_modules/rsshub).
	Location string
	// Key is the instance's access key, sent as ?key= to http(s)
	// locations.
	Key string
	// Client fetches http(s) locations; nil uses one with a 60 s timeout.
	Client *http.Client
	// UserAgent is sent with the request when set.
	UserAgent string
	// Cache keeps the catalog between runs; nil reads it every time.
	Cache Settings
	// Refresh fetches the catalog even when the cached copy is fresh.
	Refresh bool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Info says where a loaded catalog came from.
type Info struct {
	// From is the location, without its access key.
	From string
	// FetchedAt is when the catalog was read from From.
	FetchedAt time.Time
	// Cached is set when the catalog came from the cache.
	Cached bool
	// Stale is the error that stopped a refresh when an older cached copy
	// was used instead; nil otherwise.
	Stale error
}

// cached is the catalog as kept in the store: the routes alone, in
// feedmill's shape, which reads back in a fraction of the time the
// catalog document takes.
type cached struct {
	From      string    `json:"from"`
	FetchedAt time.Time `json:"fetched_at"`
	// Stamp identifies a local file's version (size and modification
	// time), so that a changed file is read again at once.
	Stamp  string  `json:"stamp,omitempty"`
	Routes []Route `json:"-"`
}

// Load returns the catalog at opts.Location: from the cache while it is
// younger than MaxAge (or, for a local file, while the file is unchanged),
// else read again and cached. When reading fails and a cached copy exists,
// that copy is used, however old, and Info.Stale says why: runs go on while
// RSSHub's API is down.
func Load(ctx context.Context, opts Options) (*Catalog, Info, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	from := redact(opts.Location)
	info := Info{From: from}
	var stamp string
	var stampErr error
	local := !isHTTP(opts.Location)
	if local {
		stamp, stampErr = fileStamp(opts.Location)
	}
	name := cacheName(opts.Location)
	var old *cached
	if opts.Cache != nil {
		v, err := opts.Cache.Setting(ctx, name)
		switch {
		case err == nil:
			if c, ok := decodeCache(v); ok {
				old = &c
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, info, fmt.Errorf("read the cached catalog: %w", err)
		}
	}
	if old != nil && !opts.Refresh {
		fresh := now().Sub(old.FetchedAt) < MaxAge && !old.FetchedAt.After(now().Add(time.Minute))
		if local {
			fresh = stampErr == nil && old.Stamp == stamp
		}
		if fresh {
			return &Catalog{Routes: old.Routes}, Info{From: from, FetchedAt: old.FetchedAt, Cached: true}, nil
		}
	}
	data, err := []byte(nil), stampErr
	if err == nil {
		data, err = Read(ctx, opts)
	}
	var cat *Catalog
	if err == nil {
		cat, err = Parse(data)
	}
	if err != nil {
		if old != nil && !errors.Is(err, ErrRefused) {
			return &Catalog{Routes: old.Routes}, Info{From: from, FetchedAt: old.FetchedAt, Cached: true, Stale: err}, nil
		}
		return nil, info, err
	}
	info.FetchedAt = now().UTC()
	if opts.Cache != nil {
		v, err := encodeCache(cached{From: from, FetchedAt: info.FetchedAt, Stamp: stamp, Routes: cat.Routes})
		if err == nil {
			err = opts.Cache.SetSetting(ctx, name, v)
		}
		if err != nil {
			return nil, info, fmt.Errorf("cache the catalog: %w", err)
		}
	}
	return cat, info, nil
}

// cacheName is the setting the catalog from loc is cached under; the
// access key is not part of it, so that changing the key keeps the cache.
func cacheName(loc string) string {
	if !isHTTP(loc) {
		if abs, err := filepath.Abs(loc); err == nil {
			loc = abs
		}
	}
	return "catalog " + redact(loc)
}

func isHTTP(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// redact drops the access key from a URL.
func redact(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || !isHTTP(loc) {
		return loc
	}
	q := u.Query()
	if q.Has("key") {
		q.Del("key")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Read returns the catalog document at opts.Location, at most MaxBytes.
func Read(ctx context.Context, opts Options) ([]byte, error) {
	if isHTTP(opts.Location) {
		return readURL(ctx, opts)
	}
	path, err := resolveFile(opts.Location)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	defer f.Close()
	return readCapped(f, path)
}

func readCapped(r io.Reader, where string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d MB; RSSHub's whole catalog is about 5 MB", ErrNotCatalog, where, MaxBytes>>20)
	}
	return data, nil
}

func readURL(ctx context.Context, opts Options) ([]byte, error) {
	u, err := url.Parse(opts.Location)
	if err != nil {
		return nil, fmt.Errorf("catalog %q is not a URL", opts.Location)
	}
	if opts.Key != "" {
		q := u.Query()
		q.Set("key", opts.Key)
		u.RawQuery = q.Encode()
	}
	from := redact(opts.Location)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if opts.UserAgent != "" {
		req.Header.Set("User-Agent", opts.UserAgent)
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold the key; it is said once, redacted
		}
		return nil, &UnreachableError{Location: from, Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		hint := "the instance needs an access key: set rsshub_key"
		if opts.Key != "" {
			hint = "the instance refused rsshub_key: check it against the instance's ACCESS_KEY"
		}
		return nil, fmt.Errorf("%w: %s answered HTTP %d; %s", ErrRefused, from, resp.StatusCode, hint)
	case resp.StatusCode != http.StatusOK:
		return nil, &UnreachableError{Location: from, Err: fmt.Errorf("HTTP %s", resp.Status)}
	}
	if resp.ContentLength > MaxBytes {
		return nil, fmt.Errorf("%w: %s is %d MB; RSSHub's whole catalog is about 5 MB", ErrNotCatalog, from, resp.ContentLength>>20)
	}
	data, err := readCapped(resp.Body, from)
	if err != nil && !errors.Is(err, ErrNotCatalog) {
		return nil, &UnreachableError{Location: from, Err: fmt.Errorf("reading the body: %w", err)}
	}
	return data, err
}

// resolveFile finds the catalog file at loc: the file itself, or the
// routes module of an rsshub npm package in the folder.
func resolveFile(loc string) (string, error) {
	fi, err := os.Stat(loc)
	if err != nil {
		return "", fmt.Errorf("read the catalog: %w", err)
	}
	if !fi.IsDir() {
		return loc, nil
	}
	for _, dir := range []string{loc, filepath.Join(loc, "package"), filepath.Join(loc, "node_modules", "rsshub")} {
		matches, _ := filepath.Glob(filepath.Join(dir, "dist-lib", "routes-*.mjs"))
		sort.Strings(matches)
		for _, m := range matches {
			if isModule(m) {
				return m, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s holds no rsshub package (dist-lib/routes-*.mjs starting with %q)", ErrNotCatalog, loc, npmMarker)
}

func isModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(npmMarker))
	n, _ := io.ReadFull(f, head)
	return bytes.Equal(head[:n], []byte(npmMarker))
}

// fileStamp identifies the version of a local catalog file.
func fileStamp(loc string) (string, error) {
	path, err := resolveFile(loc)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read the catalog: %w", err)
	}
	return fmt.Sprintf("%s %d %d", path, fi.Size(), fi.ModTime().UnixNano()), nil
}
