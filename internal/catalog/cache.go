package catalog

import (
	"encoding/json"
	"strings"
)

// The cache keeps a catalog as a line of JSON (where it came from, when)
// and then a line per route, its fields separated by tabs and list items
// by \x1f. Reading it back is what `feedmill routes` waits for on every
// run; as JSON objects the 3,900 routes took four times as long.
const (
	cacheVersion = "feedmill-catalog-cache 1"
	fieldSep     = "\t"
	listSep      = "\x1f"
	routeFields  = 12
)

func encodeCache(c cached) (string, error) {
	head, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(cacheVersion + "\n")
	b.Write(head)
	b.WriteByte('\n')
	for _, r := range c.Routes {
		flags := []byte("000")
		for i, on := range []bool{r.RequireConfig, r.RequirePuppeteer, r.AntiCrawler} {
			if on {
				flags[i] = '1'
			}
		}
		for i, f := range []string{r.Namespace, r.Group, r.Source, r.SourceEN, r.Channel, r.Path,
			strings.Join(r.Paths, listSep), r.Example, strings.Join(r.Categories, listSep), strings.Join(r.Params, listSep), string(flags)} {
			if i > 0 {
				b.WriteString(fieldSep)
			}
			b.WriteString(cacheField(f))
		}
		b.WriteString(fieldSep + "\n")
	}
	return b.String(), nil
}

// cacheField keeps a value on its line: RSSHub's data has no tabs or
// line breaks in names and paths, and a stray one becomes a space.
func cacheField(s string) string {
	if strings.ContainsAny(s, "\t\n\r") {
		return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
	}
	return s
}

func decodeCache(v string) (cached, bool) {
	rest, ok := strings.CutPrefix(v, cacheVersion+"\n")
	if !ok {
		return cached{}, false // another version's cache: read the catalog again
	}
	head, rest, _ := strings.Cut(rest, "\n")
	var c cached
	if json.Unmarshal([]byte(head), &c) != nil {
		return cached{}, false
	}
	c.Routes = make([]Route, 0, strings.Count(rest, "\n"))
	for line := range strings.Lines(rest) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), fieldSep)
		if len(f) != routeFields || len(f[10]) != 3 {
			return cached{}, false
		}
		c.Routes = append(c.Routes, Route{
			Namespace: f[0], Group: f[1], Source: f[2], SourceEN: f[3], Channel: f[4], Path: f[5],
			Paths: list(f[6]), Example: f[7], Categories: list(f[8]), Params: list(f[9]),
			RequireConfig: f[10][0] == '1', RequirePuppeteer: f[10][1] == '1', AntiCrawler: f[10][2] == '1',
		})
	}
	return c, len(c.Routes) > 0
}

func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, listSep)
}
