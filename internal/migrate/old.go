package migrate

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// docRoute is a <Route> of a docs page under its headings.
type docRoute struct {
	Source
	Example string
}

var (
	routeTag = regexp.MustCompile(`<Route\b`)
	// attr matches name="value" or name='value' in any order.
	attr = regexp.MustCompile(`([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	// anchor is a Docusaurus heading id: "## 观察者网 {#guan-cha-zhe-wang}".
	anchor = regexp.MustCompile(`\s*\{#[^}]*\}\s*$`)
)

// addDocs reads a docs page: "#" headings name the group, "##" the
// source, "###" the channel, and each <Route …> tag under them is a route.
func (im *Importer) addDocs(path, label string) error {
	data, err := readFile(path, label)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.ReplaceAll(string(bytes.TrimPrefix(data, []byte("\ufeff"))), "\r\n", "\n"), "\n")
	var group, source, channel string
	inCode := false
	n := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if level, text := heading(line); level > 0 {
			switch level {
			case 1:
				group, source, channel = text, "", ""
			case 2:
				source, channel = text, ""
			case 3:
				channel = text
			}
			continue
		}
		loc := routeTag.FindStringIndex(line)
		if loc == nil {
			continue
		}
		// The tag may go on over the next lines, or be cut and lack
		// its ">": read on until it closes, a blank line, a heading or
		// another tag.
		tag := line[loc[0]:]
		for j := i + 1; !strings.Contains(tag, ">") && j < len(lines) && j <= i+20; j++ {
			next := strings.TrimSpace(lines[j])
			if next == "" || strings.HasPrefix(next, "#") || strings.HasPrefix(next, "<") {
				break
			}
			tag += " " + next
			i = j
		}
		if end := strings.Index(tag, ">"); end >= 0 {
			tag = tag[:end]
		}
		attrs := map[string]string{}
		for _, m := range attr.FindAllStringSubmatch(tag, -1) {
			v := m[2]
			if v == "" {
				v = m[3]
			}
			attrs[m[1]] = v
		}
		example := strings.TrimSpace(attrs["example"])
		if example == "" {
			continue // a route the docs give no example for: the old scripts could not select it
		}
		where := fmt.Sprintf("%s:%d", label, i+1)
		if group == "" {
			return fmt.Errorf("%w: %s: a route (%s) comes before any \"# \" heading naming its group; the old scripts needed one per page", ErrInput, where, example)
		}
		src, ch := source, channel
		if src == "" {
			return fmt.Errorf("%w: %s: the route %s has no \"## \" heading naming its source", ErrInput, where, example)
		}
		if ch == "" {
			ch = src // a source without channels: its routes sit under its own name
		}
		im.docs = append(im.docs, docRoute{Source: Source{Group: group, Source: src, Channel: ch, URL: example, From: where}, Example: example})
		n++
	}
	im.pages++
	im.res.Notes = append(im.res.Notes, fmt.Sprintf("%s: %d routes", label, n))
	return nil
}

// heading returns the level and text of a Markdown ATX heading line, with
// its anchor ("{#id}") and closing hashes removed; level 0 for other lines.
func heading(line string) (int, string) {
	if !strings.HasPrefix(line, "#") {
		return 0, ""
	}
	level := len(line) - len(strings.TrimLeft(line, "#"))
	rest := line[level:]
	if level > 6 || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return 0, ""
	}
	text := strings.TrimSpace(rest)
	text = anchor.ReplaceAllString(text, "")
	text = strings.TrimSpace(strings.TrimRight(text, "#"))
	return level, text
}

// selected is an entry of slect:.
type selected struct {
	path string
}

// addSlect reads temple_config.yml: slect: is a list of example paths.
func (im *Importer) addSlect(path, label string) error {
	data, err := readFile(path, label)
	if err != nil {
		return err
	}
	var doc struct {
		Slect []string `yaml:"slect"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInput, label, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for _, s := range doc.Slect {
		if s = strings.TrimSpace(s); s != "" {
			im.slect = append(im.slect, selected{path: s})
		}
	}
	im.slectOK = true
	im.res.Notes = append(im.res.Notes, fmt.Sprintf("%s: %d routes in slect:", label, len(doc.Slect)))
	return nil
}

// diyKeys are the keys of a diy: entry.
var diyKeys = []string{"categories", "source_parent", "source_child", "link"}

// addDiy reads user_config.yml: diy: is a list of {categories: group,
// source_parent: source, source_child: channel, link: route}.
func (im *Importer) addDiy(path, label string) error {
	data, err := readFile(path, label)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInput, label, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var diy *yaml.Node
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "diy" {
				diy = m.Content[i+1]
			}
		}
	}
	if diy == nil || diy.Tag == "!!null" {
		im.res.Notes = append(im.res.Notes, label+": no diy: entries")
		return nil
	}
	if diy.Kind != yaml.SequenceNode {
		return fmt.Errorf("%w: %s:%d: diy: must be a list of {categories, source_parent, source_child, link} entries", ErrInput, label, diy.Line)
	}
	for i, e := range diy.Content {
		where := fmt.Sprintf("%s:%d: diy[%d]", label, e.Line, i)
		if e.Kind != yaml.MappingNode {
			return fmt.Errorf("%w: %s: must be a mapping of categories, source_parent, source_child and link", ErrInput, where)
		}
		vals := map[string]string{}
		for k := 0; k+1 < len(e.Content); k += 2 {
			key, val := e.Content[k], e.Content[k+1]
			known := false
			for _, d := range diyKeys {
				known = known || d == key.Value
			}
			if !known {
				return fmt.Errorf("%w: %s:%d: diy[%d]: unknown key %q; an entry has only %s", ErrInput, label, key.Line, i, key.Value, strings.Join(diyKeys, ", "))
			}
			if val.Kind != yaml.ScalarNode {
				return fmt.Errorf("%w: %s:%d: diy[%d].%s: must be a single value", ErrInput, label, val.Line, i, key.Value)
			}
			vals[key.Value] = strings.TrimSpace(val.Value)
		}
		for _, d := range diyKeys {
			if vals[d] == "" {
				return fmt.Errorf("%w: %s: %s is missing or empty", ErrInput, where, d)
			}
		}
		im.diy = append(im.diy, Source{Group: vals["categories"], Source: vals["source_parent"], Channel: vals["source_child"], URL: vals["link"], From: where})
	}
	im.res.Notes = append(im.res.Notes, fmt.Sprintf("%s: %d diy: entries", label, len(diy.Content)))
	return nil
}

// requestsURL is the line of muti_work.py that names the RSSHub base:
// requests_url = 'https://rsshub.app' + url['link'].
var requestsURL = regexp.MustCompile(`requests_url\s*=\s*[rRfFuU]?['"](https?://[^'"]+)['"]\s*\+\s*url\s*\[\s*['"]link['"]\s*\]`)

// addBase reads the RSSHub base URL from muti_work.py.
func (im *Importer) addBase(path, label string) error {
	data, err := readFile(path, label)
	if err != nil {
		return err
	}
	m := requestsURL.FindSubmatch(data)
	if m == nil {
		im.res.Notes = append(im.res.Notes, label+": no requests_url = '…' + url['link'] line; give the RSSHub address with --rsshub")
		return nil
	}
	base := strings.TrimRight(string(m[1]), "/")
	if im.res.RSSHub != "" && im.res.RSSHub != base {
		return fmt.Errorf("%w: %s names the RSSHub base %s, but another file named %s", ErrInput, label, base, im.res.RSSHub)
	}
	im.res.RSSHub = base
	im.res.Notes = append(im.res.Notes, fmt.Sprintf("%s: RSSHub at %s", label, base))
	return nil
}
