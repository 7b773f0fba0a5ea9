package parse

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// gofeed's universal items lose what some feeds need read: the type and
// mode of an Atom entry's title and summary (html or text, base64), Atom
// 0.3's created date, an RSS item's xhtml:body markup and RSS xml:base.
// scanItems finds those in the document itself, by its tags alone; it
// reads no text but the few elements it keeps, and skips CDATA sections
// and comments whole, so it costs a small part of gofeed's reading.

// construct is one text element of an item: its type and mode
// attributes, its xml:base, and its raw content between its tags.
type construct struct {
	found      bool
	typ, mode  string
	base       string
	raw        []byte
	selfClosed bool
}

// itemFacts is what scanItems finds in one item or entry.
type itemFacts struct {
	base                    string // the item's own xml:base
	outerBase               string // the xml:base in force around it
	title, summary, content construct
	description             construct // RSS description
	body                    construct // RSS xhtml:body or body
	created                 string    // Atom 0.3 created
}

// scanItems returns the facts of each item ("item") or entry ("entry")
// of data, in document order.
func scanItems(data []byte, itemName string) []itemFacts {
	var out []itemFacts
	var cur *itemFacts
	depth, itemDepth := 0, -1
	var child *construct
	childDepth, childStart := -1, 0
	var bases []string // xml:base of open elements outside items, by depth
	for i := nextTag(data, 0); i >= 0; i = nextTag(data, i) {
		end := tagEnd(data, i)
		if end < 0 {
			break
		}
		tag := data[i+1 : end]
		i = end + 1
		if len(tag) > 0 && tag[0] == '/' {
			depth = max(depth-1, 0) // a stray end tag closes nothing
			if child != nil && depth == childDepth {
				child.raw = data[childStart : end-len(tag)-1]
				child = nil
			}
			if cur != nil && depth == itemDepth {
				out = append(out, *cur)
				cur = nil
			}
			if cur == nil && depth >= 0 && depth < len(bases) {
				bases = bases[:depth]
			}
			continue
		}
		selfClosed := len(tag) > 0 && tag[len(tag)-1] == '/'
		name := localName(tag)
		switch {
		case cur == nil && name == itemName:
			cur = &itemFacts{base: attr(tag, "xml:base"), outerBase: lastBase(bases)}
			itemDepth = depth
			if selfClosed {
				out = append(out, *cur)
				cur = nil
			}
		case cur == nil:
			for len(bases) < depth {
				bases = append(bases, "")
			}
			bases = append(bases[:depth], attr(tag, "xml:base"))
		case depth == itemDepth+1 && child == nil:
			var c *construct
			switch name {
			case "title":
				c = &cur.title
			case "summary":
				c = &cur.summary
			case "content", "encoded": // RSS content:encoded
				c = &cur.content
			case "description":
				c = &cur.description
			case "body":
				c = &cur.body
			case "created":
				c = &construct{} // read below, kept as text
			}
			if c != nil && !c.found {
				*c = construct{found: true, typ: attr(tag, "type"), mode: attr(tag, "mode"), base: attr(tag, "xml:base"), selfClosed: selfClosed}
				if !selfClosed {
					child, childDepth, childStart = c, depth, i
				}
				if name == "created" && !selfClosed {
					if k := bytes.IndexByte(data[i:], '<'); k >= 0 {
						cur.created = strings.TrimSpace(string(data[i : i+k]))
					}
				}
			}
		}
		if !selfClosed {
			depth++
		}
	}
	return out
}

// tagEnd returns the index of the '>' that ends the tag starting at i,
// past quoted attribute values; -1 when the document ends first.
func tagEnd(data []byte, i int) int {
	var quote byte
	for k := i + 1; k < len(data); k++ {
		c := data[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k
		}
	}
	return -1
}

// localName is the name of a start tag without its prefix.
func localName(tag []byte) string {
	n := tag
	if k := bytes.IndexAny(n, " \t\r\n/"); k >= 0 {
		n = n[:k]
	}
	if k := bytes.IndexByte(n, ':'); k >= 0 {
		n = n[k+1:]
	}
	return string(n)
}

// attr returns the value of attribute name of a start tag, "" when it has
// none. Only the five XML entities are decoded: these are types, modes
// and URLs.
func attr(tag []byte, name string) string {
	k := bytes.IndexAny(tag, " \t\r\n")
	for k >= 0 && k < len(tag) {
		for k < len(tag) && (tag[k] == ' ' || tag[k] == '\t' || tag[k] == '\r' || tag[k] == '\n') {
			k++
		}
		eq := bytes.IndexByte(tag[k:], '=')
		if eq < 0 {
			return ""
		}
		key := string(bytes.TrimSpace(tag[k : k+eq]))
		v := k + eq + 1
		for v < len(tag) && (tag[v] == ' ' || tag[v] == '\t' || tag[v] == '\r' || tag[v] == '\n') {
			v++
		}
		if v >= len(tag) || (tag[v] != '"' && tag[v] != '\'') {
			return ""
		}
		q := bytes.IndexByte(tag[v+1:], tag[v])
		if q < 0 {
			return ""
		}
		if key == name {
			return xmlUnescaper.Replace(string(tag[v+1 : v+1+q]))
		}
		k = v + 1 + q + 1
	}
	return ""
}

var xmlUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'")

func lastBase(bases []string) string {
	for i := len(bases) - 1; i >= 0; i-- {
		if bases[i] != "" {
			return bases[i]
		}
	}
	return ""
}

// chainBase resolves the xml:base values from the outermost in.
func chainBase(base string, refs ...string) string {
	for _, r := range refs {
		if r = strings.TrimSpace(r); r != "" {
			base = resolve(base, r)
		}
	}
	return base
}

// rawText is an element's content read as XML text: CDATA sections
// verbatim, references decoded.
func rawText(raw []byte) string {
	var b strings.Builder
	for len(raw) > 0 {
		k := bytes.Index(raw, cdataOpen)
		if k < 0 {
			b.WriteString(decodeXMLText(raw))
			break
		}
		b.WriteString(decodeXMLText(raw[:k]))
		raw = raw[k+len(cdataOpen):]
		e := bytes.Index(raw, cdataClose)
		if e < 0 {
			b.Write(raw)
			break
		}
		b.Write(raw[:e])
		raw = raw[e+len(cdataClose):]
	}
	return b.String()
}

func decodeXMLText(b []byte) string {
	s := string(b)
	if !strings.Contains(s, "&") {
		return s
	}
	return htmlUnescape(s)
}

// base64Text decodes an Atom 0.3 mode="base64" construct; false when it
// is not base64.
func base64Text(c construct) (string, bool) {
	if !strings.EqualFold(strings.TrimSpace(c.mode), "base64") || c.raw == nil {
		return "", false
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, rawText(c.raw))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			return string(d), true
		}
	}
	return "", false
}
