package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ErrNotCatalog is returned for a document that is neither the JSON of
// /api/namespace nor the npm package's routes module.
var ErrNotCatalog = errors.New("not an RSSHub route catalog")

// npmMarker is the first line of the routes module in the rsshub npm
// package (dist-lib/routes-*.mjs).
const npmMarker = "//#region assets/build/routes.json"

// namespace is a namespace as the catalog JSON has it.
type namespace struct {
	Name       string                 `json:"name"`
	Categories []string               `json:"categories"`
	ZH         *struct{ Name string } `json:"zh"`
	Routes     map[string]route       `json:"routes"`
}

// route is a route as the catalog JSON has it.
type route struct {
	Path       stringList `json:"path"`
	Name       string     `json:"name"`
	Example    string     `json:"example"`
	Categories []string   `json:"categories"`
	Features   struct {
		RequireConfig    truthy `json:"requireConfig"`
		RequirePuppeteer truthy `json:"requirePuppeteer"`
		AntiCrawler      truthy `json:"antiCrawler"`
	} `json:"features"`
}

// stringList is a string or a list of strings (a route may declare
// several paths).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("path: want a string or a list of strings")
	}
	*l = many
	return nil
}

// truthy is a feature flag: false, true, or (for requireConfig) a list of
// the settings the route needs, which counts as true when not empty.
type truthy bool

func (t *truthy) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	*t = !(s == "false" || s == "null" || s == "[]" || s == `""` || s == "0" || s == "{}")
	return nil
}

// Parse reads a catalog: the JSON of /api/namespace, or the rsshub npm
// package's routes module.
func Parse(data []byte) (*Catalog, error) {
	trimmed := bytes.TrimLeft(data, "\ufeff \t\r\n")
	if bytes.HasPrefix(trimmed, []byte(npmMarker)) {
		return parseModule(trimmed)
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: the document is not a JSON object%s", ErrNotCatalog, looksLike(trimmed))
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &all); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrNotCatalog, err)
	}
	spaces := make(map[string]namespace, len(all))
	for id, raw := range all {
		var ns namespace
		if err := json.Unmarshal(raw, &ns); err != nil {
			return nil, fmt.Errorf("%w: namespace %q: %v", ErrNotCatalog, id, err)
		}
		spaces[id] = ns
	}
	return build(spaces)
}

// looksLike names what a document that is not JSON seems to be.
func looksLike(b []byte) string {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	switch {
	case len(b) == 0:
		return " (it is empty)"
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype"):
		return " (it is an HTML page)"
	case strings.HasPrefix(head, "<?xml") || strings.Contains(head, "<rss"):
		return " (it is XML)"
	}
	return ""
}

var (
	varLine    = regexp.MustCompile(`^var ([A-Za-z_$][A-Za-z0-9_$]*) = \{\s*$`)
	exportLine = regexp.MustCompile(`^export \{(.*)\};?\s*$`)
)

// parseModule reads dist-lib/routes-*.mjs: each namespace is a
// "var <ident> = {…};" block of strict JSON, and the export line maps the
// identifiers to namespace ids (`gov_pbc as "gov/pbc"`).
func parseModule(data []byte) (*Catalog, error) {
	blocks := map[string][]byte{}
	var exports map[string]string
	lines := bytes.Split(data, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := string(bytes.TrimRight(lines[i], "\r"))
		if m := exportLine.FindStringSubmatch(line); m != nil {
			exports = parseExports(m[1])
			continue
		}
		m := varLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var b bytes.Buffer
		b.WriteString("{\n")
		j := i + 1
		for ; j < len(lines); j++ {
			l := bytes.TrimRight(lines[j], "\r")
			if bytes.Equal(l, []byte("};")) {
				b.WriteString("}")
				break
			}
			b.Write(l)
			b.WriteByte('\n')
		}
		if j == len(lines) {
			return nil, fmt.Errorf("%w: the block of %s at line %d never ends", ErrNotCatalog, m[1], i+1)
		}
		blocks[m[1]] = b.Bytes()
		i = j
	}
	if exports == nil {
		return nil, fmt.Errorf("%w: the routes module has no export line naming its namespaces", ErrNotCatalog)
	}
	spaces := map[string]namespace{}
	for ident, id := range exports {
		if id == "default" {
			continue // routes_default: the same namespaces again, by reference
		}
		raw, ok := blocks[ident]
		if !ok {
			return nil, fmt.Errorf("%w: the export line names %s, which the module does not define", ErrNotCatalog, ident)
		}
		var ns namespace
		if err := json.Unmarshal(raw, &ns); err != nil {
			return nil, fmt.Errorf("%w: namespace %q: %v", ErrNotCatalog, id, err)
		}
		spaces[id] = ns
	}
	return build(spaces)
}

// parseExports reads the inside of an export list: `a, b as "c", d as e`.
func parseExports(s string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		ident, name, ok := strings.Cut(part, " as ")
		ident = strings.TrimSpace(ident)
		if !ok {
			name = ident
		}
		out[ident] = strings.Trim(strings.TrimSpace(name), `"'`)
	}
	return out
}

// build maps namespaces to feedmill's taxonomy.
func build(spaces map[string]namespace) (*Catalog, error) {
	if len(spaces) == 0 {
		return nil, fmt.Errorf("%w: it has no namespaces", ErrNotCatalog)
	}
	c := &Catalog{}
	for id, ns := range spaces {
		source := ns.Name
		if ns.ZH != nil && strings.TrimSpace(ns.ZH.Name) != "" {
			source = ns.ZH.Name
		}
		source = FolderName(source)
		if source == "" {
			source = id
		}
		en := ""
		if strings.TrimSpace(ns.Name) != source {
			en = strings.TrimSpace(ns.Name)
		}
		// The namespace's group, for routes without categories of their
		// own: its categories, else the first category of any route.
		nsCat := firstCategory(ns.Categories)
		if nsCat == "" {
			keys := make([]string, 0, len(ns.Routes))
			for k := range ns.Routes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if cat := firstCategory(ns.Routes[k].Categories); cat != "" {
					nsCat = cat
					break
				}
			}
		}
		for key, r := range ns.Routes {
			paths := []string(r.Path)
			if len(paths) == 0 {
				paths = []string{key}
			}
			full := make([]string, 0, len(paths))
			for _, p := range paths {
				full = append(full, joinPath(id, p))
			}
			cat := firstCategory(r.Categories)
			if cat == "" {
				cat = nsCat
			}
			group := defaultGroup
			if cat != "" {
				group = CategoryName(cat)
			}
			channel := FolderName(r.Name)
			if channel == "" {
				channel = FolderName(strings.TrimPrefix(key, "/"))
			}
			rt := Route{
				Namespace: id, Group: group, Source: source, SourceEN: en, Channel: channel,
				Path: full[0], Example: strings.TrimSpace(r.Example), Categories: r.Categories,
				Params:           paramNames(full[0]),
				RequireConfig:    bool(r.Features.RequireConfig),
				RequirePuppeteer: bool(r.Features.RequirePuppeteer),
				AntiCrawler:      bool(r.Features.AntiCrawler),
			}
			if len(full) > 1 {
				rt.Paths = full[1:]
			}
			c.Routes = append(c.Routes, rt)
		}
	}
	c.sort()
	return c, nil
}

func (c *Catalog) sort() {
	sort.Slice(c.Routes, func(i, j int) bool {
		if c.Routes[i].Path != c.Routes[j].Path {
			return c.Routes[i].Path < c.Routes[j].Path
		}
		return c.Routes[i].Example < c.Routes[j].Example
	})
}

// joinPath puts a route's key under its namespace: "/headline" under
// "guancha" is "/guancha/headline", "/" is "/guancha".
func joinPath(ns, p string) string {
	p = strings.TrimSpace(p)
	if p == "" || p == "/" {
		return "/" + ns
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return "/" + ns + p
}

// FolderName makes a catalog name usable as a folder name, as the
// taxonomy's names are: a slash ("最热 / 最新主题") becomes the full-width
// "／", control characters and surrounding space go.
func FolderName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\':
			return '／'
		case r < 0x20 || r == 0x7f:
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	return s
}
