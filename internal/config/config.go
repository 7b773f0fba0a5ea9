// Package config reads and checks feedmill.yaml. Defaults come first, the
// file second; Validate turns every mistake into an Error that names the
// file, the line, the field and what is wrong. There is no package state:
// main builds one Config and hands its parts to the stages.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone names must resolve on machines without zoneinfo

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/feed"
)

// DefaultFile is the configuration read when no --config is given.
const DefaultFile = "feedmill.yaml"

// Config is the whole of feedmill.yaml after defaults are applied.
type Config struct {
	// RSSHub is the base URL that source URLs given as a route path
	// (starting with "/") are resolved against.
	RSSHub string `yaml:"rsshub"`
	Output Output `yaml:"output"`
	// Store is the SQLite database file.
	Store string `yaml:"store"`
	// Concurrency bounds how many sources are fetched at once.
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds one fetch, from connect to the last body byte.
	Timeout Duration `yaml:"timeout"`
	// MaxBytes caps the size of one fetched feed.
	MaxBytes int64 `yaml:"max_bytes"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent"`
	// Timezone is the zone assumed for item dates written without one.
	Timezone string `yaml:"timezone"`
	// MaxItems is the default of each source's max_items.
	MaxItems int      `yaml:"max_items"`
	Sources  []Source `yaml:"sources"`
	// Site is the news site feedmill builds and serves.
	Site Site `yaml:"site"`
	// AdminToken unlocks the actions of the /admin page (fetch now,
	// pause); without one the page is read-only. AdminTokenFile reads it
	// from a file instead.
	AdminToken     string `yaml:"admin_token" secret:"true"`
	AdminTokenFile string `yaml:"admin_token_file"`
	// ImageProxy is "" (images load from their origin), "builtin"
	// (feedmill serves them through /img with signed URLs) or a URL
	// prefix put before http:// image URLs.
	ImageProxy string `yaml:"image_proxy"`
	// ImageProxyKey signs builtin image proxy URLs; when empty a key is
	// generated once and kept in the store.
	ImageProxyKey string `yaml:"image_proxy_key" secret:"true"`

	// File is the path the configuration was read from; relative paths in
	// it resolve against its folder.
	File string `yaml:"-"`
	// sourceLines are the YAML lines of each source, for messages.
	sourceLines []int
}

// Output says where and how posts are written.
type Output struct {
	// Dir is the folder posts are written under, as
	// <dir>/<group>/<source>/<channel>/<title>.md.
	Dir string `yaml:"dir"`
	// Format is the post format; "hexo" is the only one so far.
	Format string `yaml:"format"`
}

// Site says how the news site is built.
type Site struct {
	// Dir is the folder the site is written to.
	Dir string `yaml:"dir"`
	// Title and Description name the site in its pages and feeds.
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	// BaseURL is the absolute URL the site is published at; feeds and the
	// sitemap need it, and its path prefixes every link.
	BaseURL string `yaml:"base_url"`
	// Templates is a folder whose files replace the built-in templates
	// and assets of the same name.
	Templates string `yaml:"templates"`
	// PerPage is how many posts a list page shows.
	PerPage int `yaml:"per_page"`
	// FeedItems is how many posts each feed of the site carries.
	FeedItems int `yaml:"feed_items"`
}

// Source is one entry of the sources list.
type Source struct {
	Group   string `yaml:"group"`
	Source  string `yaml:"source"`
	Channel string `yaml:"channel"`
	// URL is an RSSHub route path ("/guancha/headline"), a full http(s)
	// URL, or a file: URL of a local feed.
	URL string `yaml:"url"`
	// MaxItems keeps the newest N items of each fetch; nil takes the
	// global default, 0 keeps all.
	MaxItems *int `yaml:"max_items"`
}

// Duration is a time.Duration written as "30s" or "2m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s or 2m", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Default returns the configuration used for every field the file leaves out.
func Default() Config {
	return Config{
		Output:      Output{Dir: "source/_posts", Format: "hexo"},
		Store:       "feedmill.db",
		Concurrency: 16,
		Timeout:     Duration(30 * time.Second),
		MaxBytes:    20 << 20,
		UserAgent:   "feedmill/1 (+https://github.com/feedmill/feedmill)",
		Timezone:    "UTC",
		Site:        Site{Dir: "public", Title: "feedmill", PerPage: 20, FeedItems: 20},
	}
}

// Error is a configuration mistake: which file, where, which field and what.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads the file at path over the defaults and validates it.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return Parse(path, data)
}

// Parse reads configuration bytes as if from the file path and validates them.
func Parse(path string, data []byte) (Config, error) {
	cfg := Default()
	cfg.File = path
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, &Error{File: path, Msg: "the file is empty; it needs at least a sources list"}
		}
		return cfg, yamlError(path, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return cfg, &Error{File: path, Line: root.Line, Msg: "the top level must be a mapping of settings (rsshub, output, sources, ...)"}
	}
	if err := checkKeys(path, root, reflect.TypeOf(cfg), ""); err != nil {
		return cfg, err
	}
	if err := root.Decode(&cfg); err != nil {
		return cfg, yamlError(path, err)
	}
	for _, kv := range pairs(root) {
		if kv[0].Value == "sources" && kv[1].Kind == yaml.SequenceNode {
			for _, s := range kv[1].Content {
				cfg.sourceLines = append(cfg.sourceLines, s.Line)
			}
		}
	}
	return cfg, cfg.Validate()
}

// yamlError turns a YAML library error into an Error with its line.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	}
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line = v
				msg = strings.TrimSpace(after)
			}
		}
	}
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	return &Error{File: path, Line: line, Msg: "invalid YAML: " + msg}
}

func pairs(m *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
	}
	return out
}

// checkKeys reports the first key of a mapping that the struct type t does
// not have, so a misspelt setting is an error instead of silently ignored.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		seen := map[string]bool{}
		for _, kv := range pairs(n) {
			key := kv[0].Value
			field := join(path, key)
			ft, ok := fields[key]
			if !ok {
				return &Error{File: file, Line: kv[0].Line, Field: field, Msg: "unknown setting" + suggest(key, fields)}
			}
			if seen[key] {
				return &Error{File: file, Line: kv[0].Line, Field: field, Msg: "set twice"}
			}
			seen[key] = true
			if err := checkKeys(file, kv[1], ft, field); err != nil {
				return err
			}
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			if err := checkKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Slice:
		return &Error{File: file, Line: n.Line, Field: path, Msg: "must be a list (each entry starting with \"- \")"}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Struct:
		return &Error{File: file, Line: n.Line, Field: path, Msg: "must be a mapping of settings, not a list"}
	}
	return nil
}

func suggest(key string, fields map[string]reflect.Type) string {
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	for _, k := range names {
		if strings.EqualFold(strings.ReplaceAll(k, "_", ""), strings.ReplaceAll(strings.ReplaceAll(key, "-", ""), "_", "")) {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Dir is the folder relative paths in the configuration resolve against.
func (c Config) Dir() string {
	d := filepath.Dir(c.File)
	if abs, err := filepath.Abs(d); err == nil {
		return abs
	}
	return d
}

// Path resolves p against the configuration's folder.
func (c Config) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir(), p)
}

// Location is the zone for item dates written without one.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (c Config) errorf(line int, field, format string, args ...any) error {
	return &Error{File: c.File, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (c Config) sourceLine(i int) int {
	if i < len(c.sourceLines) {
		return c.sourceLines[i]
	}
	return 0
}

// Validate checks every setting and returns the first mistake as an *Error.
func (c Config) Validate() error {
	if c.RSSHub != "" {
		u, err := url.Parse(c.RSSHub)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.errorf(0, "rsshub", "%q is not an http(s) URL", c.RSSHub)
		}
	}
	if strings.TrimSpace(c.Output.Dir) == "" {
		return c.errorf(0, "output.dir", "must not be empty")
	}
	if c.Output.Format != "hexo" {
		return c.errorf(0, "output.format", "%q is not a known format (known: hexo)", c.Output.Format)
	}
	if strings.TrimSpace(c.Store) == "" {
		return c.errorf(0, "store", "must not be empty")
	}
	if c.Concurrency < 1 {
		return c.errorf(0, "concurrency", "must be at least 1, not %d", c.Concurrency)
	}
	if c.Timeout <= 0 {
		return c.errorf(0, "timeout", "must be positive")
	}
	if c.MaxBytes <= 0 {
		return c.errorf(0, "max_bytes", "must be positive")
	}
	if c.MaxItems < 0 {
		return c.errorf(0, "max_items", "must not be negative")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return c.errorf(0, "timezone", "%q is not a time zone name such as UTC or Asia/Shanghai", c.Timezone)
	}
	if err := c.validateSite(); err != nil {
		return err
	}
	if len(c.Sources) == 0 {
		return c.errorf(0, "sources", "no sources: add at least one entry with group, source, channel and url")
	}
	seen := map[string]int{}
	for i, s := range c.Sources {
		line := c.sourceLine(i)
		field := fmt.Sprintf("sources[%d]", i)
		for _, f := range []struct{ name, value string }{{"group", s.Group}, {"source", s.Source}, {"channel", s.Channel}} {
			if msg := checkPathName(f.value); msg != "" {
				return c.errorf(line, field+"."+f.name, "%s", msg)
			}
		}
		if strings.TrimSpace(s.URL) == "" {
			return c.errorf(line, field+".url", "missing: give an RSSHub route such as /guancha/headline, an http(s) URL or a file: URL")
		}
		if _, err := c.resolveURL(s.URL); err != nil {
			return c.errorf(line, field+".url", "%v", err)
		}
		if s.MaxItems != nil && *s.MaxItems < 0 {
			return c.errorf(line, field+".max_items", "must not be negative")
		}
		key := s.Group + "/" + s.Source + "/" + s.Channel
		if j, dup := seen[key]; dup {
			return c.errorf(line, field, "group/source/channel %q is already used by sources[%d]", key, j)
		}
		seen[key] = i
	}
	return nil
}

// checkPathName says what is wrong with a taxonomy name, which becomes a
// folder name, or "" when nothing is.
func checkPathName(v string) string {
	switch {
	case strings.TrimSpace(v) == "":
		return "missing or empty"
	case v == "." || v == "..":
		return fmt.Sprintf("%q cannot be a folder name", v)
	case strings.ContainsAny(v, "/\\\x00"):
		return fmt.Sprintf("%q contains a path separator", v)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Sprintf("%q contains a control character", v)
	}
	return ""
}

// resolveURL turns a configured source URL into an absolute one.
func (c Config) resolveURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "/") {
		if c.RSSHub == "" {
			return "", fmt.Errorf("%q is an RSSHub route, but no rsshub base URL is set", raw)
		}
		return strings.TrimRight(c.RSSHub, "/") + raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("%q has no host", raw)
		}
		return u.String(), nil
	case "file":
		p := u.Path
		if u.Opaque != "" {
			p = u.Opaque
		}
		if p == "" {
			return "", fmt.Errorf("%q names no file", raw)
		}
		p, err := url.PathUnescape(p)
		if err != nil {
			return "", fmt.Errorf("%q: %v", raw, err)
		}
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(c.Path(filepath.FromSlash(p)))}).String(), nil
	}
	return "", fmt.Errorf("%q: the scheme must be http, https or file, or the URL a route path starting with /", raw)
}

// FeedSources returns the configured sources with defaults applied and
// URLs resolved, ready for the stages.
func (c Config) FeedSources() []feed.Source {
	out := make([]feed.Source, 0, len(c.Sources))
	for _, s := range c.Sources {
		u, _ := c.resolveURL(s.URL) // Validate has checked it
		maxItems := c.MaxItems
		if s.MaxItems != nil {
			maxItems = *s.MaxItems
		}
		out = append(out, feed.Source{Group: s.Group, Name: s.Source, Channel: s.Channel, URL: u, MaxItems: maxItems})
	}
	return out
}

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// validateSite checks the settings of the news site, the admin page and
// the image proxy.
func (c Config) validateSite() error {
	if strings.TrimSpace(c.Site.Dir) == "" {
		return c.errorf(0, "site.dir", "must not be empty")
	}
	if c.Site.BaseURL != "" {
		u, err := url.Parse(c.Site.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return c.errorf(0, "site.base_url", "%q is not an absolute http(s) URL such as https://news.example.com/", c.Site.BaseURL)
		}
	}
	if c.Site.PerPage < 1 || c.Site.PerPage > 1000 {
		return c.errorf(0, "site.per_page", "must be between 1 and 1000, not %d", c.Site.PerPage)
	}
	if c.Site.FeedItems < 1 || c.Site.FeedItems > 1000 {
		return c.errorf(0, "site.feed_items", "must be between 1 and 1000, not %d", c.Site.FeedItems)
	}
	if c.AdminToken != "" && c.AdminTokenFile != "" {
		return c.errorf(0, "admin_token", "set admin_token or admin_token_file, not both")
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return c.errorf(0, "admin_token", "is too short to be a secret: use at least 16 characters")
	}
	switch p := c.ImageProxy; {
	case p == "", p == "builtin":
	default:
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.errorf(0, "image_proxy", "%q is neither \"builtin\" nor an http(s) URL prefix", p)
		}
	}
	if c.ImageProxyKey != "" && len(c.ImageProxyKey) < 16 {
		return c.errorf(0, "image_proxy_key", "is too short to be a secret: use at least 16 characters")
	}
	return nil
}

// SiteDir is the folder the news site is written to.
func (c Config) SiteDir() string { return c.Path(c.Site.Dir) }

// AdminSecret returns the admin token, read from admin_token_file when
// that is set; "" means the admin actions are disabled.
func (c Config) AdminSecret() (string, error) {
	if c.AdminTokenFile == "" {
		return c.AdminToken, nil
	}
	data, err := os.ReadFile(c.Path(c.AdminTokenFile))
	if err != nil {
		return "", &Error{File: c.File, Field: "admin_token_file", Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	tok := strings.TrimSpace(string(data))
	if len(tok) < 16 {
		return "", &Error{File: c.File, Field: "admin_token_file", Msg: "the token in it is too short to be a secret: use at least 16 characters"}
	}
	return tok, nil
}
