// Package catalog reads RSSHub's route catalog — the metadata every
// instance serves at /api/namespace and the rsshub npm package builds into
// dist-lib/routes-*.mjs — and answers the questions feedmill asks of it:
// which routes match a query, which route a path belongs to, where a route
// sits in the group / source / channel taxonomy, and which routes are
// closest to a path that is not there.
//
// The catalog is AGPL-licensed data: feedmill reads the user's copy at run
// time and never embeds it.
package catalog

import (
	"fmt"
	"github.com/feedmill/feedmill/internal/suggest"
	"slices"
	"sort"
	"strings"
)

// Catalog is the routes of a catalog, flattened and mapped to feedmill's
// taxonomy.
type Catalog struct {
	// Routes are sorted by Path.
	Routes []Route `json:"routes"`
}

// Route is one route of the catalog.
type Route struct {
	// Namespace is the namespace id ("guancha", "gov/pbc").
	Namespace string `json:"ns"`
	// Group, Source and Channel are the route's place in the taxonomy:
	// the Chinese name of its category, the namespace's name, the route's
	// name.
	Group   string `json:"g"`
	Source  string `json:"s"`
	Channel string `json:"c"`
	// SourceEN is the namespace's own name when Source is its Chinese
	// name, so that a query in either language finds it.
	SourceEN string `json:"se,omitempty"`
	// Path is the full path pattern ("/guancha/topic/:id"); Paths holds
	// the others when the route declares several.
	Path  string   `json:"p"`
	Paths []string `json:"ps,omitempty"`
	// Example is a full path that works ("/guancha/headline").
	Example    string   `json:"e,omitempty"`
	Categories []string `json:"cat,omitempty"`
	// Params are the names of the path's parameters.
	Params []string `json:"pa,omitempty"`
	// RequireConfig, RequirePuppeteer and AntiCrawler are the route's
	// features: it needs keys or cookies set on the instance, a browser,
	// or is often blocked.
	RequireConfig    bool `json:"rc,omitempty"`
	RequirePuppeteer bool `json:"rp,omitempty"`
	AntiCrawler      bool `json:"ac,omitempty"`
}

// Flags names the route's features, for listings: "config", "browser",
// "anti-crawler".
func (r Route) Flags() []string {
	var f []string
	if r.RequireConfig {
		f = append(f, "config")
	}
	if r.RequirePuppeteer {
		f = append(f, "browser")
	}
	if r.AntiCrawler {
		f = append(f, "anti-crawler")
	}
	return f
}

// Categories maps RSSHub's category ids to the Chinese names its
// documentation shows, which were the group (H1) names of the old
// system's docs pages.
var categoryNames = map[string]string{
	"popular":           "热门",
	"social-media":      "社交媒体",
	"new-media":         "新媒体",
	"traditional-media": "传统媒体",
	"bbs":               "论坛",
	"blog":              "博客",
	"programming":       "编程",
	"design":            "设计",
	"live":              "直播",
	"multimedia":        "音视频",
	"picture":           "图片",
	"anime":             "二次元",
	"program-update":    "程序更新",
	"university":        "大学通知",
	"forecast":          "预报预警",
	"travel":            "出行旅游",
	"shopping":          "购物",
	"game":              "游戏",
	"reading":           "阅读",
	"government":        "政务消息",
	"study":             "学习",
	"journal":           "科学期刊",
	"finance":           "金融",
	"sport":             "体育",
	"other":             "其他",
}

// CategoryName returns the Chinese name of a category id, or the id
// itself when RSSHub added one feedmill does not know.
func CategoryName(id string) string {
	if n, ok := categoryNames[id]; ok {
		return n
	}
	return id
}

// defaultGroup is the group of a route whose namespace has no category.
const defaultGroup = "其他"

// firstCategory is the first category of ids that names a subject:
// "popular" says how popular a route is, not what it is about.
func firstCategory(ids []string) string {
	for _, id := range ids {
		if id != "" && id != "popular" {
			return id
		}
	}
	return ""
}

// Match is a route that a path belongs to, with the path's parameter values.
type Match struct {
	Route
	// Params holds the value of each parameter the path fills, by name.
	Params map[string]string
	// Missing names the required parameters the path leaves as
	// placeholders (":id").
	Missing []string
}

// Lookup returns the route a path belongs to: the route whose example
// it is, else the route whose pattern it matches with the fewest
// parameters. A query string is ignored.
func (c *Catalog) Lookup(path string) (Match, bool) {
	path, _, _ = strings.Cut(path, "?")
	path = normalize(path)
	for _, r := range c.Routes {
		if r.Example != "" && normalize(r.Example) == path {
			return Match{Route: r}, true
		}
	}
	best, found, bestScore := Match{}, false, -1
	for _, r := range c.Routes {
		for _, p := range r.patterns() {
			params, missing, ok := matchPattern(p, path)
			if !ok {
				continue
			}
			// Prefer the pattern with the most literal segments, then
			// the fewest parameters filled.
			score := literalCount(p)*100 - len(params)
			if score > bestScore {
				best, found, bestScore = Match{Route: r, Params: params, Missing: missing}, true, score
			}
		}
	}
	return best, found
}

func (r Route) patterns() []string {
	return append([]string{r.Path}, r.Paths...)
}

func normalize(p string) string {
	if p != "/" {
		p = strings.TrimRight(p, "/")
	}
	return p
}

func literalCount(pattern string) int {
	n := 0
	for _, s := range splitPattern(pattern) {
		if !strings.HasPrefix(s, ":") && s != "*" {
			n++
		}
	}
	return n
}

// matchPattern matches a path against a route pattern in the syntax
// RSSHub's router (Hono) uses: literal segments, ":name" (one segment),
// ":name?" (an optional segment), ":name{regexp}" (a segment, or the rest
// of the path when the expression can span "/") and "*" (the rest). A
// segment of the path that is itself a placeholder (":id") is reported as
// missing.
func matchPattern(pattern, path string) (params map[string]string, missing []string, ok bool) {
	ps := splitPattern(pattern)
	xs := splitPath(path)
	params = map[string]string{}
	i := 0
	for k, seg := range ps {
		if seg == "*" {
			i = len(xs)
			break
		}
		name, optional, rest := parseParam(seg)
		if name == "" { // literal
			if i >= len(xs) || !strings.EqualFold(xs[i], seg) {
				return nil, nil, false
			}
			i++
			continue
		}
		if i >= len(xs) {
			if optional {
				continue
			}
			return nil, nil, false
		}
		v := xs[i]
		if rest && k == len(ps)-1 {
			v = strings.Join(xs[i:], "/")
			i = len(xs)
		} else {
			i++
		}
		if strings.HasPrefix(v, ":") {
			if !optional {
				missing = append(missing, name)
			}
			continue
		}
		params[name] = v
	}
	if i != len(xs) {
		return nil, nil, false
	}
	return params, missing, true
}

// splitPattern splits a route pattern at its slashes, except those
// inside a parameter's {expression}.
func splitPattern(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			depth = max(0, depth-1)
		case '/':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// parseParam reads a pattern segment: the parameter's name ("" for a
// literal), whether it is optional, and whether its expression may span
// several segments (".+", ".*").
func parseParam(seg string) (name string, optional, rest bool) {
	if !strings.HasPrefix(seg, ":") {
		return "", false, false
	}
	s := seg[1:]
	if i := strings.IndexByte(s, '{'); i >= 0 {
		expr := s[i:]
		s = s[:i]
		rest = strings.Contains(expr, ".+") || strings.Contains(expr, ".*") || strings.Contains(expr, "/")
		optional = strings.HasSuffix(expr, "?")
	}
	if strings.HasSuffix(s, "?") {
		s, optional = strings.TrimSuffix(s, "?"), true
	}
	return s, optional, rest
}

// paramNames lists the parameters of a pattern in order.
func paramNames(pattern string) []string {
	var out []string
	for _, seg := range splitPattern(pattern) {
		if name, _, _ := parseParam(seg); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// Search returns the routes matching every word of query, in catalog
// order: a word matches the namespace id, the source or channel name in
// either language, the group or a category id, or the path. An empty
// query returns every route.
func (c *Catalog) Search(query string) []Route {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return c.Routes
	}
	var out []Route
	for _, r := range c.Routes {
		hay := asciiLower(strings.Join(append([]string{r.Namespace, r.Group, r.Source, r.SourceEN, r.Channel, r.Path, r.Example, strings.Join(r.Paths, " ")}, r.Categories...), "\x00"))
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(hay, w) }) {
			out = append(out, r)
		}
	}
	return out
}

// asciiLower lowers the ASCII letters of s only: names here are Chinese
// or English, and strings.ToLower maps every rune of a Chinese string,
// which was half of a search's time.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Closest returns up to n routes whose example or path is nearest to
// path by edit distance, nearest first; routes of the path's namespace
// come before the rest at the same distance.
func (c *Catalog) Closest(path string, n int) []Route {
	path, _, _ = strings.Cut(path, "?")
	type scored struct {
		r Route
		d int
	}
	ns := firstSegment(path)
	var all []scored
	for _, r := range c.Routes {
		d := suggest.Distance(path, r.Path)
		if r.Example != "" {
			d = min(d, suggest.Distance(path, r.Example))
		}
		if r.Namespace == ns || strings.HasPrefix(path, "/"+r.Namespace+"/") {
			d = d*2 - 1 // same namespace: nearer
		} else {
			d *= 2
		}
		all = append(all, scored{r, d})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d < all[j].d })
	var out []Route
	for _, s := range all[:min(n, len(all))] {
		out = append(out, s.r)
	}
	return out
}

func firstSegment(p string) string {
	s := splitPath(p)
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Names returns the group, source and channel a route-only source takes
// from the catalog: the route's, with the values of the parameters the
// path fills added to the channel when the path is not the route's
// example (so that /guancha/topic/110 and /guancha/topic/113 are two
// channels). It fails when the path is not in the catalog, naming the
// closest routes, or leaves a required parameter unfilled.
func (c *Catalog) Names(path string) (group, source, channel string, err error) {
	m, ok := c.Lookup(path)
	if !ok {
		return "", "", "", c.notFound(path)
	}
	if len(m.Missing) > 0 {
		return "", "", "", fmt.Errorf("route %s needs its parameters filled: %s (for example %s)", m.Path, strings.Join(m.Missing, ", "), orPath(m.Example, m.Path))
	}
	channel = m.Channel
	if len(m.Params) > 0 {
		var vals []string
		for _, name := range paramNames(matchingPattern(m)) {
			if v, ok := m.Params[name]; ok {
				vals = append(vals, strings.ReplaceAll(v, "/", " "))
			}
		}
		if len(vals) > 0 {
			channel += " " + strings.Join(vals, " ")
		}
	}
	return m.Group, m.Source, channel, nil
}

func matchingPattern(m Match) string {
	for _, p := range m.patterns() {
		names := paramNames(p)
		all := true
		for k := range m.Params {
			if !slices.Contains(names, k) {
				all = false
			}
		}
		if all {
			return p
		}
	}
	return m.Path
}

func orPath(example, path string) string {
	if example != "" {
		return example
	}
	return path
}

// NotFoundError is a path that no route of the catalog matches.
type NotFoundError struct {
	Path    string
	Closest []Route
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "route %s is not in RSSHub's catalog", e.Path)
	if len(e.Closest) > 0 {
		b.WriteString("; the closest routes are ")
		for i, r := range e.Closest {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s/%s)", orPath(r.Example, r.Path), r.Source, r.Channel)
		}
	}
	return b.String()
}

func (c *Catalog) notFound(path string) error {
	return &NotFoundError{Path: path, Closest: c.Closest(path, 3)}
}

// Successor returns the route that most likely replaced a path the
// catalog no longer has: the one route of the same namespace (or of the
// namespace now at the path's last segments) whose last segment equals
// the path's, or the only close one. ok is false when none or several fit.
func (c *Catalog) Successor(path string) (Route, bool) {
	path, _, _ = strings.Cut(path, "?")
	segs := splitPath(path)
	if len(segs) == 0 {
		return Route{}, false
	}
	rest := "/" + strings.Join(segs[1:], "/")
	var cands []Route
	// The namespace was renamed: the same route under another namespace.
	for _, r := range c.Routes {
		if len(segs) < 2 || r.Namespace == segs[0] {
			continue
		}
		if r.Example != "" && strings.TrimPrefix(r.Example, "/"+r.Namespace) == rest {
			cands = append(cands, r)
			continue
		}
		for _, p := range r.patterns() {
			p = strings.TrimPrefix(p, "/"+r.Namespace)
			if _, missing, ok := matchPattern(p, rest); ok && len(missing) == 0 && literalCount(p) > 0 {
				cands = append(cands, r)
				break
			}
		}
	}
	if len(cands) == 1 {
		return cands[0], true
	}
	// The path changed inside its namespace: one route of the namespace
	// within a small edit distance.
	cands = cands[:0]
	for _, r := range c.Routes {
		if r.Namespace != segs[0] {
			continue
		}
		d := suggest.Distance(path, orPath(r.Example, r.Path))
		if d <= max(3, len(path)/4) {
			cands = append(cands, r)
		}
	}
	if len(cands) == 1 {
		return cands[0], true
	}
	return Route{}, false
}
