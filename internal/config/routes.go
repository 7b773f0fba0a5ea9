package config

import (
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// NeedsNames reports whether the source leaves any of group, source and
// channel to RSSHub's route catalog: a route given by its path alone
// ("- /guancha/headline", or {url: /guancha/headline, interval: 10m}).
// Names given in the file win over the catalog's.
func (s Source) NeedsNames() bool {
	return isRoute(s.URL) && strings.TrimSpace(s.Page) == "" &&
		(s.Group == "" || s.Source == "" || s.Channel == "")
}

func isRoute(u string) bool { return strings.HasPrefix(strings.TrimSpace(u), "/") }

// NeedsCatalog reports whether some source needs its names from the
// catalog before the configuration can be used: FillNames must run.
func (c Config) NeedsCatalog() bool {
	for _, s := range c.Sources {
		if s.NeedsNames() {
			return true
		}
	}
	return false
}

// CatalogLocation is where the route catalog is read: catalog as given
// (an http(s) URL, or a file or folder resolved against the configuration's
// folder), else the rsshub instance's /api/namespace, else "".
func (c Config) CatalogLocation() string {
	loc := strings.TrimSpace(c.Catalog)
	switch {
	case loc == "" && c.RSSHub != "":
		return strings.TrimRight(c.RSSHub, "/") + "/api/namespace"
	case loc == "":
		return ""
	case strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://"):
		return loc
	}
	return c.Path(strings.TrimPrefix(loc, "file:"))
}

func (c Config) validateCatalog() error {
	loc := strings.TrimSpace(c.Catalog)
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		if u, err := url.Parse(loc); err != nil || u.Host == "" {
			return c.errorf(0, "catalog", "%q is not an http(s) URL", loc)
		}
	}
	if c.Catalog != "" && loc == "" {
		return c.errorf(0, "catalog", "is empty: give RSSHub's /api/namespace URL, a catalog file or the rsshub npm package's folder, or leave it out")
	}
	if strings.ContainsAny(c.RSSHubKey, "\r\n") {
		return c.errorf(0, "rsshub_key", "contains a line break")
	}
	return nil
}

// RouteNamer returns the group, source and channel that RSSHub's catalog
// gives a route path, or why it cannot (the route is unknown, or needs
// parameters filled).
type RouteNamer func(route string) (group, source, channel string, err error)

// FillNames completes the sources that leave their names to the catalog,
// keeping every name the file gives, and then checks the taxonomy again:
// an unknown route, a name that is no folder name and two sources with
// one group/source/channel are Errors naming the source's line.
func (c *Config) FillNames(name RouteNamer) error {
	for i := range c.Sources {
		s := &c.Sources[i]
		if !s.NeedsNames() {
			continue
		}
		field := fmt.Sprintf("sources[%d]", i)
		g, so, ch, err := name(strings.TrimSpace(s.URL))
		if err != nil {
			return c.errorf(c.keyLine(i, "url"), field+".url", "%v", err)
		}
		for _, f := range []struct {
			name string
			dst  *string
			v    string
		}{{"group", &s.Group, g}, {"source", &s.Source, so}, {"channel", &s.Channel, ch}} {
			if *f.dst != "" {
				continue
			}
			if msg := checkPathName(f.v); msg != "" {
				return c.errorf(c.sourceLine(i), field+"."+f.name, "the catalog's name for %s %s; give the source its own %s:", s.URL, msg, f.name)
			}
			*f.dst = f.v
		}
	}
	seen := map[string]int{}
	for i, s := range c.Sources {
		key := s.Group + "/" + s.Source + "/" + s.Channel
		if j, dup := seen[key]; dup {
			return c.errorf(c.sourceLine(i), fmt.Sprintf("sources[%d]", i), "group/source/channel %q is already used by sources[%d]; give one of them its own channel:", key, j)
		}
		seen[key] = i
	}
	return nil
}

// CheckRoutes calls check with the path of every source that is an RSSHub
// route and returns an Error, naming the source's line, for each path it
// rejects.
func (c Config) CheckRoutes(check func(route string) error) []error {
	var errs []error
	for i, s := range c.Sources {
		if !isRoute(s.URL) || strings.TrimSpace(s.Page) != "" {
			continue
		}
		if err := check(strings.TrimSpace(s.URL)); err != nil {
			errs = append(errs, c.errorf(c.keyLine(i, "url"), fmt.Sprintf("sources[%d].url", i), "%v", err))
		}
	}
	return errs
}

// expandRouteEntries turns each source written as a bare string
// ("- /guancha/headline") into the mapping {url: /guancha/headline}, in
// place and on the same line, so that the rest of Parse sees one shape.
func expandRouteEntries(root *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		return
	}
	for _, kv := range pairs(root) {
		if kv[0].Value != "sources" || kv[1].Kind != yaml.SequenceNode {
			continue
		}
		for _, n := range kv[1].Content {
			if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
				continue
			}
			key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "url", Line: n.Line, Column: n.Column}
			val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.Value, Line: n.Line, Column: n.Column}
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column, Content: []*yaml.Node{key, val}}
		}
	}
}
