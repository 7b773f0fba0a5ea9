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
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone names must resolve on machines without zoneinfo

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpguts"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/parse"
)

// DefaultMinInterval is the floor of every interval unless min_interval
// lowers it, and LeastMinInterval the lowest min_interval: the daemon's
// rounds are at least a second apart anyway.
const (
	DefaultMinInterval = time.Minute
	LeastMinInterval   = time.Second
)

// DefaultFile is the configuration read when no --config is given.
const DefaultFile = "feedmill.yaml"

// Config is the whole of feedmill.yaml after defaults are applied.
type Config struct {
	// RSSHub is the base URL that source URLs given as a route path
	// (starting with "/") are resolved against.
	RSSHub string `yaml:"rsshub"`
	// RSSHubKey is the instance's access key (ACCESS_KEY), sent as ?key=
	// when feedmill reads the route catalog from the instance.
	RSSHubKey string `yaml:"rsshub_key" secret:"true"`
	// Catalog is where RSSHub's route catalog is read: an http(s) URL, a
	// JSON file, or the rsshub npm package (its folder or its routes
	// module); "" is <rsshub>/api/namespace. See CatalogLocation.
	Catalog string `yaml:"catalog"`

	// Output is where posts are written, when there is one output.
	Output Output `yaml:"output"`
	// Outputs lists several outputs that one run writes, each in its
	// format and folder; it replaces Output (see OutputList).
	Outputs []Output `yaml:"outputs"`
	// Store is where feedmill keeps its state: an SQLite database file
	// (the default), or a PostgreSQL URL (postgres://… or
	// postgresql://…) for a store shared by several processes.
	Store string `yaml:"store"`
	// Concurrency bounds how many sources are fetched at once.
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds one fetch, from connect to the last body byte.
	Timeout Duration `yaml:"timeout"`
	// MaxBytes caps the size of one fetched feed.
	MaxBytes int64 `yaml:"max_bytes"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent"`
	// ConnectTimeout bounds making one connection (DNS, TCP, TLS).
	ConnectTimeout Duration `yaml:"connect_timeout"`
	// PerHost bounds the requests in flight to one host (host:port).
	PerHost int `yaml:"per_host"`
	// HostDelay is the least time between the starts of two requests to
	// one host.
	HostDelay Duration `yaml:"host_delay"`
	// DenyPrivateNetworks refuses sources that resolve to loopback,
	// private, link-local, unspecified or multicast addresses, also after
	// redirects, and file: URLs.
	DenyPrivateNetworks bool `yaml:"deny_private_networks"`
	// Timezone is the zone assumed for item dates written without one.
	Timezone string `yaml:"timezone"`
	// MaxItems is the default of each source's max_items.
	MaxItems int      `yaml:"max_items"`
	Sources  []Source `yaml:"sources"`
	// Listen is the address feedmill serve listens on.
	Listen string `yaml:"listen"`
	// Interval is how often feedmill serve fetches each source, unless the
	// source sets its own; the feed and the server may ask for longer.
	Interval Duration `yaml:"interval"`
	// MinInterval is the shortest interval a source may have: a typo
	// such as "1ms" must not hammer someone's site. It defaults to
	// DefaultMinInterval; lower it only for servers you run yourself.
	MinInterval Duration `yaml:"min_interval"`
	// Keep is the default of each source's keep: how many of a channel's
	// posts stay published. Unset keeps them all.
	Keep Keep `yaml:"keep"`
	// Style is the default of each source's style.
	Style string `yaml:"style"`
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
	// keyLines are the YAML lines of each source's keys ("page",
	// "selectors.item", "include[1]"), for messages.
	keyLines []map[string]position
	// lines holds the line of every key in the file by its dotted path
	// ("output.dir", "sources[1].url"), for messages about settings.
	lines map[string]position
	// env names the environment variable that set a setting, by its
	// dotted path (see applyEnv).
	env map[string]string
}

// Output says where and how posts are written.
type Output struct {
	// Dir is the folder posts are written under: Hexo's source/_posts
	// (<dir>/<group>/<source>/<channel>/<title>.md), a Hugo site's content
	// folder (<dir>/<section>/<group>/<source>/<channel>/<title>.html) or
	// a Jekyll site's _posts folder (<dir>/YYYY-MM-DD-<title>.html).
	Dir string `yaml:"dir"`
	// Format is the post format: "hexo" (the default), "hugo" or "jekyll".
	Format string `yaml:"format"`
	// Section is the Hugo content section posts go under; "" is "posts".
	// Only Hugo has sections.
	Section string `yaml:"section"`
}

// DefaultDir is the folder an output of the format writes to when the
// configuration names none: where a site of that generator, with
// feedmill.yaml at its root, reads its posts from (Hexo's source/_posts,
// Hugo's content, Jekyll's _posts).
func DefaultDir(format string) string {
	switch format {
	case "hugo":
		return "content"
	case "jekyll":
		return "_posts"
	}
	return "source/_posts"
}

// OutputList returns the outputs posts are written to: Outputs when the
// file lists them, else Output.
func (c Config) OutputList() []Output {
	if len(c.Outputs) > 0 {
		return c.Outputs
	}
	return []Output{c.Output}
}

// OutputName is an output's folder as the store names it (with its
// format): as configured, cleaned and slash-separated, so that a store
// moved with its configuration still knows its outputs.
func OutputName(dir string) string {
	return filepath.ToSlash(filepath.Clean(dir))
}

// Formats are the post formats output.format takes.
var Formats = []string{"hexo", "hugo", "jekyll"}

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
	// Headers are extra request headers for this source.
	Headers map[string]string `yaml:"headers"`
	// Cookies are sent with this source's requests.
	Cookies map[string]string `yaml:"cookies"`
	// Proxy is this source's proxy URL (http, https, socks5), or "direct"
	// to bypass the environment's HTTP_PROXY/HTTPS_PROXY.
	Proxy string `yaml:"proxy"`

	// Page is a web page without a feed, given instead of URL: an http(s)
	// or file: URL whose items Selectors read.
	Page      string     `yaml:"page"`
	Selectors *Selectors `yaml:"selectors"`
	// FullText fetches each new item's page and takes its article
	// (readability) as the content when the feed gives only a summary.
	FullText bool `yaml:"fulltext"`
	// ContentSelector takes the article from each new item's page by CSS
	// selector instead of readability; it implies fulltext.
	ContentSelector string `yaml:"content_selector"`
	// Include keeps only items whose title or text matches one of these
	// regular expressions; Exclude drops items whose title or text
	// matches one. Each is one expression or a list.
	Include Patterns `yaml:"include"`
	Exclude Patterns `yaml:"exclude"`
	// Interval overrides the global interval for this source.
	Interval *Duration `yaml:"interval"`
	// Keep overrides the global keep for this source; nil takes it.
	Keep *Keep `yaml:"keep"`
	// ImageProxy is put before every plain-http image URL of a post body
	// ("https://images.weserv.nl/?url="); nil takes the global setting,
	// "" turns it off.
	ImageProxy *string `yaml:"image_proxy"`
	// Style is what <style> elements in item bodies do: "scope" (limited
	// to the post body, the default), "keep" or "drop"; "" takes the
	// global setting.
	Style string `yaml:"style"`
}

// Selectors are the CSS selectors of a page source: item selects each
// item's element on the page, the others select inside it. title, link
// and date may end in "@attribute" to read an attribute instead of text.
type Selectors struct {
	Item    string `yaml:"item"`
	Title   string `yaml:"title"`
	Link    string `yaml:"link"`
	Date    string `yaml:"date"`
	Content string `yaml:"content"`
}

// Patterns is one regular expression or a list of them.
type Patterns []string

// UnmarshalYAML reads a single string or a list of strings.
func (p *Patterns) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		*p = nil
	case n.Kind == yaml.ScalarNode:
		*p = Patterns{n.Value}
	case n.Kind == yaml.SequenceNode:
		out := make(Patterns, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: each entry must be a regular expression written as a string", c.Line)
			}
			out = append(out, c.Value)
		}
		*p = out
	default:
		return fmt.Errorf("line %d: must be a regular expression or a list of them", n.Line)
	}
	return nil
}

// styles are the values of style.
var styles = []string{"scope", "keep", "drop"}

// Cleaning returns the image_proxy prefix and style of the i-th source
// (i < 0: the global ones), with the global settings for what it leaves
// out. "builtin" gives no prefix: the site rewrites image URLs itself.
func (c Config) Cleaning(i int) (imageProxy, style string) {
	defer func() {
		if imageProxy == "builtin" {
			imageProxy = ""
		}
	}()
	imageProxy, style = c.ImageProxy, c.Style
	if i >= 0 && i < len(c.Sources) {
		if p := c.Sources[i].ImageProxy; p != nil {
			imageProxy = *p
		}
		if c.Sources[i].Style != "" {
			style = c.Sources[i].Style
		}
	}
	return imageProxy, style
}

// checkCleaning says what is wrong with an image_proxy or style value, or "".
func checkCleaning(imageProxy, style string) (field, msg string) {
	if imageProxy != "" && imageProxy != "builtin" {
		u, err := url.Parse(imageProxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "image_proxy", fmt.Sprintf("%q is neither \"builtin\" nor an http(s) URL prefix such as https://images.weserv.nl/?url=", imageProxy)
		}
	}
	if style != "" && !slices.Contains(styles, style) {
		return "style", fmt.Sprintf("%q is not one of %s", style, strings.Join(styles, ", "))
	}
	return "", ""
}

// Duration is a time.Duration written as "30s" or "2m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 30s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Default returns the configuration used for every field the file leaves out.
func Default() Config {
	return Config{
		Output:      Output{Dir: DefaultDir("hexo"), Format: "hexo"},
		Store:       "feedmill.db",
		Concurrency: 16,
		Timeout:     Duration(30 * time.Second),
		MaxBytes:    20 << 20,
		UserAgent:   "feedmill/1 (+https://github.com/feedmill/feedmill)",
		Timezone:    "UTC",

		ConnectTimeout: Duration(10 * time.Second),
		PerHost:        2,
		HostDelay:      Duration(100 * time.Millisecond),
		Listen:         "127.0.0.1:8080",
		Interval:       Duration(30 * time.Minute),
		MinInterval:    Duration(DefaultMinInterval),
		Site:           Site{Dir: "public", Title: "feedmill", PerPage: 20, FeedItems: 20},
	}
}

// Error is a configuration mistake: which file, where, which field and what.
type Error struct {
	File string
	// Line and Column are where the offending node starts, both from 1;
	// 0 when unknown.
	Line   int
	Column int
	Field  string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
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
	return LoadEnv(path, os.LookupEnv)
}

// LoadEnv is Load with the environment read through lookup: a command
// whose flag overrides a variable (serve's --listen) hides that variable,
// so that a value the flag replaces is neither used nor checked.
func LoadEnv(path string, lookup func(string) (string, bool)) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("cannot read: %v", errors.Unwrap(err))
		if errors.Is(err, fs.ErrNotExist) {
			msg += "; name the configuration with --config PATH, or create one with 'feedmill init'"
		}
		return Config{}, &Error{File: path, Msg: msg}
	}
	return parseEnv(path, data, lookup)
}

// Parse reads configuration bytes as if from the file path and validates them.
func Parse(path string, data []byte) (Config, error) {
	return parseEnv(path, data, os.LookupEnv)
}

func parseEnv(path string, data []byte, lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	cfg.File = path
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, &Error{File: path, Msg: "the file is empty; it needs at least a sources list"}
		}
		return cfg, yamlError(path, data, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return cfg, &Error{File: path, Line: root.Line, Msg: "the top level must be a mapping of settings (rsshub, output, sources, ...)"}
	}
	expandRouteEntries(root)
	var errs errorList
	checkKeys(path, root, reflect.TypeOf(cfg), "", &errs)
	if err := root.Decode(&cfg); err != nil {
		// The library still sets every value it could read; checkKeys
		// has said what is wrong with the others, so go on to check the
		// rest. Any other failure is the library's to explain.
		var te *yaml.TypeError
		switch {
		case len(errs) == 0:
			return cfg, yamlError(path, data, err)
		case !errors.As(err, &te):
			return cfg, errs.err()
		}
	}
	if slices.ContainsFunc(errs, func(e *Error) bool { return oldSystemKeys[e.Field] }) {
		// The old system's file: what feedmill would miss in it is
		// everything, and 'feedmill import' is the whole answer.
		return cfg, errs.err()
	}
	cfg.lines = map[string]position{}
	keyLines(root, "", cfg.lines)
	for _, kv := range pairs(root) {
		if kv[0].Value == "sources" && kv[1].Kind == yaml.SequenceNode {
			for _, s := range kv[1].Content {
				cfg.sourceLines = append(cfg.sourceLines, s.Line)
				lines := map[string]position{}
				keyLines(s, "", lines)
				cfg.keyLines = append(cfg.keyLines, lines)
			}
		}
	}
	for i := range cfg.Outputs {
		if cfg.Outputs[i].Format == "" {
			cfg.Outputs[i].Format = "hexo" // as output's default
		}
		if _, ok := cfg.lines[fmt.Sprintf("outputs[%d].dir", i)]; !ok {
			cfg.Outputs[i].Dir = DefaultDir(cfg.Outputs[i].Format)
		}
	}
	if _, ok := cfg.lines["output.dir"]; !ok {
		cfg.Output.Dir = DefaultDir(cfg.Output.Format)
	}
	cfg.applyEnv(lookup)
	// Unknown settings leave the others readable: check those too, so
	// that one pass reports every mistake.
	errs.add(cfg.Validate())
	return cfg, errs.err()
}

// keyLines records where every setting under n is, by its dotted path,
// and every list entry, as path[i]: a setting's value when it is a single
// value (what a message about it points at), else its key.
func keyLines(n *yaml.Node, path string, out map[string]position) {
	switch n.Kind {
	case yaml.MappingNode:
		for _, kv := range pairs(n) {
			p := join(path, kv[0].Value)
			out[p] = position{kv[0].Line, kv[0].Column}
			if kv[1].Kind == yaml.ScalarNode && kv[1].Tag != "!!null" {
				out[p] = position{kv[1].Line, kv[1].Column}
			}
			keyLines(kv[1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			out[p] = position{c.Line, c.Column}
			keyLines(c, p, out)
		}
	}
}

func pairs(m *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
	}
	return out
}

// checkKeys reports every key of a mapping that the struct type t does
// not have, so a misspelt setting is an error instead of silently ignored,
// and every value of the wrong type, up to maxErrors in all.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string, errs *errorList) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if errs.full() {
		return
	}
	if t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		return // a struct such as Keep reads its own node and says what is wrong
	}
	at := func(n *yaml.Node, field, msg string) {
		errs.add(&Error{File: file, Line: n.Line, Column: n.Column, Field: field, Msg: msg})
	}
	if isLeaf(t) {
		// Decode the value alone, so that a value of the wrong type is
		// reported with its field, not as an anonymous YAML error.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			at(n, path, leafMsg(t, n, err))
			return
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!float" && t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64 {
			// The YAML library would cut 1.5 down to 1 without a word.
			at(n, path, fmt.Sprintf("must be a whole number, not %q", n.Value))
		}
		return
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
			if key == "<<" && kv[0].Tag == "!!merge" {
				// A YAML merge key (<<: *defaults) brings in another
				// mapping's settings, which must be known ones too.
				checkMerge(file, kv[1], t, path, errs)
				continue
			}
			ft, ok := fields[key]
			switch {
			case !ok && path == "" && oldSystemKeys[key]:
				at(kv[0], field, "is a setting of the old RSSHub-to-Hexo scripts, not of feedmill: convert that configuration with 'feedmill import'")
			case !ok:
				at(kv[0], field, "unknown setting"+didYouMean(key, fields))
			case seen[key]:
				at(kv[0], field, "set twice")
			default:
				seen[key] = true
				checkKeys(file, kv[1], ft, field, errs)
			}
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			checkKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null" && t.Kind() == reflect.Slice:
		at(n, path, fmt.Sprintf("must be a list (each entry starting with \"- \"), not %q", n.Value))
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null" && t.Kind() == reflect.Struct:
		at(n, path, fmt.Sprintf("must be a mapping of settings, not %q", n.Value))
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Slice:
		at(n, path, "must be a list (each entry starting with \"- \")")
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Struct:
		at(n, path, "must be a mapping of settings, not a list")
	}
}

// isLeaf reports whether values of t are read whole: scalars, maps and
// types that read their own node (Duration, Patterns).
func isLeaf(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Pointer, reflect.Interface:
		return false
	}
	return true
}

// leafMsg says what is wrong with a value that did not decode into t.
func leafMsg(t reflect.Type, n *yaml.Node, err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if _, after, ok := strings.Cut(rest, ": "); ok {
				msg = after
			}
		}
		return msg
	}
	got := "a list"
	switch n.Kind {
	case yaml.ScalarNode:
		got = strconv.Quote(n.Value)
	case yaml.MappingNode:
		got = "a mapping"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be a whole number, not " + got
	case reflect.Bool:
		return "must be true or false, not " + got
	case reflect.String:
		return "must be a single value, not " + got
	case reflect.Map:
		return "must be a mapping of names to values, not " + got
	}
	return "has the wrong type: " + got
}

// checkMerge checks the mappings a merge key brings in: one mapping or
// alias, or a list of them.
func checkMerge(file string, n *yaml.Node, t reflect.Type, path string, errs *errorList) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			checkMerge(file, c, t, path, errs)
		}
		return
	}
	checkKeys(file, n, t, path, errs)
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

// StoreDSN is the store as store/backend opens it: a PostgreSQL URL as
// it is, a database file resolved against the configuration's folder.
func (c Config) StoreDSN() string {
	if strings.Contains(c.Store, "://") {
		return c.Store
	}
	return c.Path(c.Store)
}

// StorePostgres reports whether the store is a PostgreSQL database.
func (c Config) StorePostgres() bool {
	return strings.HasPrefix(c.Store, "postgres://") || strings.HasPrefix(c.Store, "postgresql://")
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

// errorf makes the Error of a setting: at the setting when the file has
// it, else at line (a missing setting's mapping).
func (c Config) errorf(line int, field, format string, args ...any) error {
	at, ok := c.lines[field]
	if !ok {
		at = position{Line: line, Column: c.firstColumn(line)}
	}
	msg := fmt.Sprintf(format, args...)
	if name, ok := c.env[field]; ok {
		msg += " (set by " + name + ")"
	}
	return &Error{File: c.File, Line: at.Line, Column: at.Column, Field: field, Msg: msg}
}

// validateOutputs checks output, or each of outputs, and that no two
// outputs share a folder: each output's files are its own, and another
// output's post in its folder would be a file it did not write.
func (c Config) validateOutputs(errs *errorList) {
	_, single := c.lines["output"]
	_, listed := c.lines["outputs"]
	if single && listed {
		errs.add(c.errorf(0, "outputs", "output and outputs are both set: list every output under outputs (output is the form for one), and remove output"))
	}
	if listed && len(c.Outputs) == 0 {
		errs.add(c.errorf(0, "outputs", "lists no output: give at least one {format, dir}, or remove outputs to use output"))
	}
	field := func(i int, name string) string { return "output." + name }
	if len(c.Outputs) > 0 {
		field = func(i int, name string) string { return fmt.Sprintf("outputs[%d].%s", i, name) }
	}
	dirs := map[string]int{}
	for i, o := range c.OutputList() {
		if strings.TrimSpace(o.Dir) == "" {
			errs.add(c.errorf(0, field(i, "dir"), "must not be empty"))
		} else {
			dir := filepath.Clean(c.Path(o.Dir))
			for other, j := range dirs {
				switch {
				case other == dir:
					errs.add(c.errorf(0, field(i, "dir"), "%q is also the folder of outputs[%d]: each output needs a folder of its own", o.Dir, j))
				case strings.HasPrefix(dir, other+string(filepath.Separator)) || strings.HasPrefix(other, dir+string(filepath.Separator)):
					errs.add(c.errorf(0, field(i, "dir"), "%q and the folder of outputs[%d] are one inside the other: each output needs a folder of its own", o.Dir, j))
				}
			}
			dirs[dir] = i
		}
		if !slices.Contains(Formats, o.Format) {
			errs.add(c.errorf(0, field(i, "format"), "%q is not a known format (known: %s)", o.Format, strings.Join(Formats, ", ")))
		}
		if o.Section != "" && o.Format != "hugo" {
			errs.add(c.errorf(0, field(i, "section"), "only Hugo has sections; the format is %q", o.Format))
		}
		if sec := o.Section; sec != "" && (strings.ContainsAny(sec, `/\`) || sec == "." || sec == ".." || strings.HasPrefix(sec, "_") || strings.HasPrefix(sec, ".")) {
			errs.add(c.errorf(0, field(i, "section"), "%q must be one folder name, not starting with _ or .", sec))
		}
	}
}

// keyLine is the line of a source's key, else of the source.
func (c Config) keyLine(i int, key string) int {
	if i < len(c.keyLines) {
		if l, ok := c.keyLines[i][key]; ok {
			return l.Line
		}
	}
	return c.sourceLine(i)
}

func (c Config) sourceLine(i int) int {
	if i < len(c.sourceLines) {
		return c.sourceLines[i]
	}
	return 0
}

// Validate checks every setting and returns its mistakes: an *Error, or
// an Errors of up to maxErrors of them.
func (c Config) Validate() error {
	var errs errorList
	if c.RSSHub != "" {
		u, err := url.Parse(c.RSSHub)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.add(c.errorf(0, "rsshub", "%q is not an http(s) URL", c.RSSHub))
		}
	}
	errs.add(c.validateCatalog())
	c.validateOutputs(&errs)
	if strings.TrimSpace(c.Store) == "" {
		errs.add(c.errorf(0, "store", "must not be empty"))
	}
	if scheme, _, ok := strings.Cut(c.Store, "://"); ok && scheme != "postgres" && scheme != "postgresql" {
		return c.errorf(0, "store", "%q: want a database file or a postgres:// URL", scheme+"://")
	}
	if c.Concurrency < 1 {
		errs.add(c.errorf(0, "concurrency", "must be at least 1, not %d", c.Concurrency))
	}
	if c.Timeout <= 0 {
		errs.add(c.errorf(0, "timeout", "must be positive"))
	}
	if c.MaxBytes <= 0 {
		errs.add(c.errorf(0, "max_bytes", "must be positive"))
	}
	if c.MaxItems < 0 {
		errs.add(c.errorf(0, "max_items", "must not be negative"))
	}
	if c.ConnectTimeout <= 0 {
		errs.add(c.errorf(0, "connect_timeout", "must be positive"))
	}
	if c.PerHost < 1 {
		errs.add(c.errorf(0, "per_host", "must be at least 1, not %d", c.PerHost))
	}
	if c.HostDelay < 0 || c.HostDelay.Std() > time.Minute {
		errs.add(c.errorf(0, "host_delay", "must be between 0 and 1m, not %s", c.HostDelay.Std()))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs.add(c.errorf(0, "listen", "%q is not an address such as 127.0.0.1:8080 or :8080", c.Listen))
	}
	if c.MinInterval.Std() < LeastMinInterval {
		errs.add(c.errorf(0, "min_interval", "must be at least %s, not %s", LeastMinInterval, c.MinInterval.Std()))
	} else if msg := c.checkInterval(c.Interval); msg != "" {
		errs.add(c.errorf(0, "interval", "%s", msg))
	}
	if c.Keep.Line > 0 || c.Keep.Text != "" {
		if _, err := ParseKeep(c.Keep.Text); err != nil {
			errs.add(c.errorf(c.Keep.Line, "keep", "%v", err))
		}
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs.add(c.errorf(0, "timezone", "%q is not a time zone name such as UTC or Asia/Shanghai", c.Timezone))
	}
	if field, msg := checkCleaning(c.ImageProxy, c.Style); msg != "" {
		errs.add(c.errorf(0, field, "%s", msg))
	}
	errs.add(c.validateSite())
	if len(c.Sources) == 0 {
		errs.add(c.errorf(0, "sources", "no sources: add at least one entry with group, source, channel and url"))
	}
	seen := map[string]int{}
	for i, s := range c.Sources {
		errs.add(c.validateSource(i, s, seen))
	}
	return errs.err()
}

// checkInterval says what is wrong with an interval, or "": it must not
// be below min_interval, so that a typo ("1ms") cannot hammer a site.
func (c Config) checkInterval(d Duration) string {
	switch {
	case d <= 0:
		return "must be positive"
	case d < c.MinInterval && c.MinInterval.Std() == DefaultMinInterval:
		return fmt.Sprintf("%s is too often: the least interval is %s (for servers you run yourself, lower it with min_interval)", d.Std(), c.MinInterval.Std())
	case d < c.MinInterval:
		return fmt.Sprintf("%s is below min_interval (%s)", d.Std(), c.MinInterval.Std())
	}
	return ""
}

// validateSource checks the i-th source and returns its first mistake;
// seen holds the taxonomies of the sources before it.
func (c Config) validateSource(i int, s Source, seen map[string]int) error {
	line := c.sourceLine(i)
	field := fmt.Sprintf("sources[%d]", i)
	for _, f := range []struct{ name, value string }{{"group", s.Group}, {"source", s.Source}, {"channel", s.Channel}} {
		if f.value == "" && s.NeedsNames() {
			continue // the catalog names it: FillNames
		}
		if msg := checkPathName(f.value); msg != "" {
			return c.errorf(line, field+"."+f.name, "%s", msg)
		}
	}
	if err := c.validateKind(i, s); err != nil {
		return err
	}
	if strings.TrimSpace(s.Page) == "" {
		if _, err := c.resolveURL(s.URL); err != nil {
			return c.errorf(line, field+".url", "%v", err)
		}
	}
	if err := c.validateExtras(i, s); err != nil {
		return err
	}
	if s.MaxItems != nil && *s.MaxItems < 0 {
		return c.errorf(line, field+".max_items", "must not be negative")
	}
	if f, msg := checkRequestSettings(s); msg != "" {
		return c.errorf(line, field+"."+f, "%s", msg)
	}
	if s.Interval != nil {
		if msg := c.checkInterval(*s.Interval); msg != "" {
			return c.errorf(line, field+".interval", "%s", msg)
		}
	}
	if s.Keep != nil {
		if _, err := ParseKeep(s.Keep.Text); err != nil {
			return c.errorf(s.Keep.Line, field+".keep", "%v", err)
		}
	}
	if s.ImageProxy != nil {
		if f, msg := checkCleaning(*s.ImageProxy, ""); msg != "" {
			return c.errorf(line, field+"."+f, "%s", msg)
		}
	}
	if f, msg := checkCleaning("", s.Style); msg != "" {
		return c.errorf(line, field+"."+f, "%s", msg)
	}
	if s.NeedsNames() {
		return nil // checked by FillNames once the catalog has named it
	}
	key := s.Group + "/" + s.Source + "/" + s.Channel
	if j, dup := seen[key]; dup {
		return c.errorf(line, field, "group/source/channel %q is already used by sources[%d]", key, j)
	}
	seen[key] = i
	return nil
}

// checkRequestSettings says which of a source's headers, cookies and
// proxy is wrong and how, or returns "" when none is.
func checkRequestSettings(s Source) (string, string) {
	for k, v := range s.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return "headers", fmt.Sprintf("%q is not a valid header name", k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return "headers." + k, "the value contains a line break or control character"
		}
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Accept-Encoding", "If-None-Match", "If-Modified-Since", "Cookie":
			return "headers." + k, "is set by feedmill and cannot be set per source (use cookies: for cookies)"
		}
	}
	for k, v := range s.Cookies {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) }) {
			return "cookies", fmt.Sprintf("%q is not a valid cookie name", k)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || r == ';' }) {
			return "cookies." + k, "the value contains a semicolon or control character"
		}
	}
	if p := strings.TrimSpace(s.Proxy); p != "" && p != "direct" {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return "proxy", fmt.Sprintf("%q is not a proxy URL such as http://proxy:3128 or socks5://127.0.0.1:1080 (or \"direct\")", p)
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return "proxy", fmt.Sprintf("%q: the scheme must be http, https, socks5 or socks5h", p)
		}
	}
	return "", ""
}

// validateKind checks that a source is either a feed (url) or a page
// (page with selectors).
func (c Config) validateKind(i int, s Source) error {
	field := fmt.Sprintf("sources[%d]", i)
	hasURL, hasPage := strings.TrimSpace(s.URL) != "", strings.TrimSpace(s.Page) != ""
	switch {
	case hasURL && hasPage:
		return c.errorf(c.keyLine(i, "page"), field+".page", "set either url (a feed) or page (a web page read with selectors), not both")
	case !hasURL && !hasPage:
		return c.errorf(c.sourceLine(i), field+".url", "missing: give an RSSHub route such as /guancha/headline, an http(s) URL or a file: URL, or page: with selectors for a web page without a feed")
	case hasURL:
		if s.Selectors != nil {
			return c.errorf(c.keyLine(i, "selectors"), field+".selectors", "only a page source has selectors: give the web page as page: instead of url:")
		}
		return nil
	}
	line := c.keyLine(i, "page")
	if strings.HasPrefix(strings.TrimSpace(s.Page), "/") {
		return c.errorf(line, field+".page", "%q is a path: give the web page's http(s) URL (RSSHub routes are feeds: use url:)", s.Page)
	}
	if _, err := c.resolveURL(s.Page); err != nil {
		return c.errorf(line, field+".page", "%v", err)
	}
	if s.Selectors == nil {
		return c.errorf(line, field+".selectors", "missing: a page source needs selectors, at least item (each item's element, such as \"ul.news li\") and title")
	}
	sel := *s.Selectors
	for _, f := range []struct {
		name, value string
		attr        bool
		missing     string // "" when optional
	}{
		{"item", sel.Item, false, `missing: the CSS selector of each item's element on the page, such as "ul.news li"`},
		{"title", sel.Title, true, `missing: the CSS selector of the title inside each item, such as "a" or "h3"`},
		{"link", sel.Link, true, ""},
		{"date", sel.Date, true, ""},
		{"content", sel.Content, false, ""},
	} {
		key := "selectors." + f.name
		if strings.TrimSpace(f.value) == "" {
			if f.missing != "" {
				return c.errorf(c.keyLine(i, "selectors"), field+"."+key, "%s", f.missing)
			}
			continue
		}
		if err := parse.CheckSelector(f.value, f.attr); err != nil {
			return c.errorf(c.keyLine(i, key), field+"."+key, "%v", err)
		}
	}
	return nil
}

// validateExtras checks content_selector, include and exclude.
func (c Config) validateExtras(i int, s Source) error {
	field := fmt.Sprintf("sources[%d]", i)
	if s.ContentSelector != "" {
		if err := parse.CheckSelector(s.ContentSelector, false); err != nil {
			return c.errorf(c.keyLine(i, "content_selector"), field+".content_selector", "%v", err)
		}
	}
	for _, f := range []struct {
		name     string
		patterns Patterns
	}{{"include", s.Include}, {"exclude", s.Exclude}} {
		for j, p := range f.patterns {
			key := fmt.Sprintf("%s[%d]", f.name, j)
			line, ok := 0, false
			if i < len(c.keyLines) {
				var at position
				at, ok = c.keyLines[i][key]
				line = at.Line
			}
			if !ok {
				key, line = f.name, c.keyLine(i, f.name)
			}
			if p == "" {
				return c.errorf(line, field+"."+key, "empty: an empty pattern matches every item")
			}
			if _, err := regexp.Compile(p); err != nil {
				return c.errorf(line, field+"."+key, "%q is not a regular expression: %s", p, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		}
	}
	return nil
}

func compileAll(patterns Patterns) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		out = append(out, regexp.MustCompile(p)) // Validate has checked them
	}
	return out
}

// checkPathName says what is wrong with a taxonomy name, which becomes a
// folder name, or "" when nothing is.
func checkPathName(v string) string {
	switch {
	case strings.TrimSpace(v) == "":
		return "missing or empty"
	case v == "." || v == "..":
		return fmt.Sprintf("%q cannot be a folder name", v)
	case strings.HasPrefix(v, "_") || strings.HasPrefix(v, "."):
		// Hexo skips every folder whose name starts with either, and
		// every post in it, without a word.
		return fmt.Sprintf("%q starts with %q: Hexo skips folders whose name starts with _ or ., and every post in them", v, v[:1])
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
		raw := s.URL
		if s.Page != "" {
			raw = s.Page
		}
		u, _ := c.resolveURL(raw) // Validate has checked it
		maxItems := c.MaxItems
		if s.MaxItems != nil {
			maxItems = *s.MaxItems
		}
		keep := c.Keep.retention()
		if s.Keep != nil {
			keep = s.Keep.retention()
		}
		interval := c.Interval
		if s.Interval != nil {
			interval = *s.Interval
		}
		src := feed.Source{Group: s.Group, Name: s.Source, Channel: s.Channel, URL: u, MaxItems: maxItems, Interval: interval.Std(), Retain: keep,
			FullText: s.FullText, ContentSelector: s.ContentSelector,
			Include: compileAll(s.Include), Exclude: compileAll(s.Exclude),
			Headers: s.Headers, Cookies: s.Cookies, Proxy: strings.TrimSpace(s.Proxy)}
		if s.Page != "" && s.Selectors != nil {
			sel := feed.Selectors(*s.Selectors)
			src.Page = &sel
		}
		out = append(out, src)
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
