package content

import (
	"bytes"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// attr is one attribute of a raw start tag, as byte offsets into the tag.
// The scanner follows x/net/html's tokenizer (and so the HTML standard)
// exactly, so that the attributes it finds are the ones a browser sees;
// unlike the tokenizer it keeps duplicates and the offsets, which minimal
// edits need.
type attr struct {
	sep       int // end of the previous named attribute or of the tag name
	nameStart int
	nameEnd   int
	valStart  int // value bytes, without quotes
	valEnd    int
	end       int // end of the attribute, closing quote included
	hasValue  bool
	open      bool   // "name=" right before ">": the value state is still open
	lname     string // lower-cased name
	raw       string // raw value bytes
	val       string // value as the browser decodes it in an attribute
	plain     bool   // raw has no "&", CR or NUL: val is raw
	removed   bool
	replaced  bool   // newVal is to be written
	newVal    string // new decoded value
}

// rawTag is a start tag split into its name and attributes.
type rawTag struct {
	raw     []byte
	str     string // raw as a string, for the attribute values
	nameEnd int
	attrs   []attr // named attributes only
	// insertAt is where new attributes go: after the last named one.
	insertAt int
	// selfClosing reports a "/>" ending that the tokenizer took as such.
	selfClosing bool
	edits       []edit // the added attributes, in order
	sorted      []edit // appendTo's, kept for its next tag
	// newSrc and newSrcset are values for missing src and srcset
	// attributes, added after the other edits.
	newSrc, newSrcset string
}

// edit replaces raw[start:end]. The edits of one place apply in seq
// order: removals (-1), then the replaced attribute (0), then the added
// ones (1, 2, ...), then the end of a self-closing tag.
type edit struct {
	start, end int
	seq        int
	attr       int    // the replaced attribute's index (seq 0)
	name, val  string // an added attribute (seq > 0)
}

// tailSeq is the seq of the edit that drops the "/" of a self-closing
// tag's end.
const tailSeq = 1 << 20

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanTag splits a complete start tag ("<name ...>") the way
// x/net/html's readTag does.
func scanTag(raw []byte, selfClosing bool) *rawTag {
	return scanTagInto(&rawTag{}, raw, string(raw), selfClosing)
}

// scanTagInto is scanTag reusing t's memory; str holds the same bytes as
// raw, and the attribute values are its substrings.
func scanTagInto(t *rawTag, raw []byte, str string, selfClosing bool) *rawTag {
	// Field by field: the fields that hold pointers are written only when
	// they change, each store of a pointer costing a write barrier while
	// the collector runs.
	t.raw, t.str, t.selfClosing = raw, str, selfClosing
	t.attrs, t.edits = t.attrs[:0], t.edits[:0]
	if t.newSrc != "" || t.newSrcset != "" {
		t.newSrc, t.newSrcset = "", ""
	}
	n := len(raw)
	i := 1
	for i < n && !isSpace(raw[i]) && raw[i] != '/' && raw[i] != '>' {
		i++
	}
	t.nameEnd = i
	t.insertAt = i
	prevNamed := i
	i = skipSpace(raw, i)
	for i < n && raw[i] != '>' {
		// Attribute name: an "=" is part of it only as its first byte.
		ks := i
		for i < n {
			c := raw[i]
			if c == '=' && i == ks {
				i++
				continue
			}
			if c == '=' || isSpace(c) || c == '/' || c == '>' {
				break
			}
			i++
		}
		a := attr{sep: prevNamed, nameStart: ks, nameEnd: i}
		a.valStart, a.valEnd, a.end = i, i, i
		// Value.
		j := skipSpace(raw, i)
		if j < n {
			switch c := raw[j]; c {
			case '/':
				i = j + 1
			case '=':
				a.hasValue = true
				j = skipSpace(raw, j+1)
				if j >= n {
					i = j
					break
				}
				switch q := raw[j]; q {
				case '>':
					a.valStart, a.valEnd, a.end = j, j, j
					a.open = true
					i = j
				case '\'', '"':
					a.valStart = j + 1
					k := n
					if e := bytes.IndexByte(raw[j+1:], q); e >= 0 {
						k = j + 1 + e
					}
					a.valEnd = k
					if k < n {
						k++
					}
					a.end = k
					i = k
				default:
					a.valStart = j
					k := j + 1
					for k < n && !isSpace(raw[k]) && raw[k] != '>' {
						k++
					}
					a.valEnd, a.end = k, k
					i = k
				}
			default:
				i = j
			}
		} else {
			i = j
		}
		if a.nameEnd > a.nameStart {
			a.lname = attrName(raw[a.nameStart:a.nameEnd])
			a.raw = t.str[a.valStart:a.valEnd]
			a.plain = plainAttr(a.raw)
			a.val = a.raw
			if !a.plain {
				a.val = decodeAttr(a.raw)
			}
			t.attrs = append(t.attrs, a)
			prevNamed = a.end
			t.insertAt = a.end
		}
		i = skipSpace(raw, i)
	}
	return t
}

// attrName returns a lower-cased attribute name, without allocating for
// the common ones.
func attrName(b []byte) string {
	switch string(b) {
	case "src":
		return "src"
	case "href":
		return "href"
	case "class":
		return "class"
	case "style":
		return "style"
	case "width":
		return "width"
	case "height":
		return "height"
	case "alt":
		return "alt"
	case "title":
		return "title"
	case "id":
		return "id"
	case "target":
		return "target"
	case "data-src":
		return "data-src"
	case "referrerpolicy":
		return "referrerpolicy"
	case "align":
		return "align"
	case "border":
		return "border"
	case "type":
		return "type"
	case "name":
		return "name"
	case "rel":
		return "rel"
	case "srcset":
		return "srcset"
	case "data-original":
		return "data-original"
	}
	return strings.ToLower(string(b))
}

// decodeAttr decodes character references in a raw attribute value the
// way a browser does inside an attribute ("&copy=1" stays as it is). The
// tokenizer is the reference implementation, so it does the work.
func decodeAttr(raw string) string {
	if plainAttr(raw) {
		return raw
	}
	if strings.IndexByte(raw, '\r') >= 0 {
		// The input stream's line breaks are normalised first.
		raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\r", "\n")
	}
	if !strings.ContainsAny(raw, "&\x00") {
		return raw
	}
	if v, ok := decodeCommon(raw); ok {
		return v
	}
	z := html.NewTokenizer(strings.NewReader(`<a v="` + strings.ReplaceAll(raw, `"`, "&quot;") + `">`))
	z.Next()
	_, more := z.TagName()
	if !more {
		return ""
	}
	_, v, _ := z.TagAttr()
	return string(v)
}

// plainAttr reports whether a raw attribute value is its own decoded
// value: it has no "&", CR or NUL.
func plainAttr(raw string) bool {
	for i := 0; i < len(raw); i++ {
		if notPlain[raw[i]] {
			return false
		}
	}
	return true
}

var notPlain = [256]bool{'&': true, '\r': true, 0: true}

// common are the references that need no lookup.
var common = []struct{ ref, val string }{
	{"&amp;", "&"}, {"&quot;", `"`}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&#34;", `"`}, {"&apos;", "'"}, {"&nbsp;", "\u00a0"},
}

// decodeCommon decodes values whose only references are the common
// ones (URLs with "&amp;" in their query), without a tokenizer.
func decodeCommon(raw string) (string, bool) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == 0 {
			return "", false
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			continue
		}
		found := false
		for _, r := range common {
			if strings.HasPrefix(raw[i:], r.ref) {
				b.WriteString(r.val)
				i += len(r.ref)
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	return b.String(), true
}

// hasData reports whether an attribute's name starts with "data-".
func (t *rawTag) hasData() bool {
	for i := range t.attrs {
		if strings.HasPrefix(t.attrs[i].lname, "data-") {
			return true
		}
	}
	return false
}

// first returns the first attribute named name that is still present.
func (t *rawTag) first(name string) *attr {
	for i := range t.attrs {
		if t.attrs[i].lname == name && !t.attrs[i].removed {
			return &t.attrs[i]
		}
	}
	return nil
}

// remove drops an attribute together with the white space before it.
func (t *rawTag) remove(a *attr) {
	a.removed = true
}

// set gives an attribute a new value.
func (t *rawTag) set(a *attr, v string) {
	if a.val == v && !a.replaced {
		return
	}
	a.newVal, a.replaced = v, true
}

// appendAttr adds name="value" after the last attribute.
func (t *rawTag) appendAttr(name, v string) {
	t.edits = append(t.edits, edit{start: t.insertAt, end: t.insertAt, name: name, val: v, seq: 1 + len(t.edits)})
}

// changed reports whether the tag needs rewriting.
func (t *rawTag) changed() bool {
	if len(t.edits) > 0 {
		return true
	}
	for i := range t.attrs {
		if t.attrs[i].removed || t.attrs[i].replaced {
			return true
		}
	}
	return false
}

// bytes returns the tag with its edits applied; every byte outside the
// edited attributes is kept.
func (t *rawTag) bytes(dropSelfClosingSlash bool) []byte {
	return t.appendTo(nil, dropSelfClosingSlash)
}

// appendTo appends the edited tag to dst.
func (t *rawTag) appendTo(dst []byte, dropSelfClosingSlash bool) []byte {
	edits := append(t.sorted[:0], t.edits...)
	for i := range t.attrs {
		a := &t.attrs[i]
		switch {
		case a.removed:
			edits = append(edits, edit{start: a.sep, end: a.end, seq: -1})
		case a.replaced:
			edits = append(edits, edit{start: a.nameStart, end: a.end, attr: i})
		}
	}
	if dropSelfClosingSlash && t.selfClosing {
		// After the last attribute only white space and "/" are left
		// ("<style//>"); every "/" goes.
		edits = append(edits, edit{start: t.insertAt, end: len(t.raw) - 1, seq: tailSeq})
	}
	t.sorted = edits
	slices.SortStableFunc(edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.seq - b.seq
	})
	// Merge removals that touch, so that the separator logic sees the
	// byte that really follows.
	merged := edits[:0]
	for _, e := range edits {
		if k := len(merged) - 1; k >= 0 && e.seq == -1 && merged[k].seq == -1 && merged[k].end == e.start {
			merged[k].end = e.end
			continue
		}
		merged = append(merged, e)
	}
	// After an open "name=", an added attribute would become its value:
	// the empty value is closed with "" first.
	closeOpen := false
	if n := len(t.attrs); n > 0 {
		last := t.attrs[n-1]
		closeOpen = last.open && !last.removed && !last.replaced
	}
	out := dst
	pos := 0
	for _, e := range merged {
		if e.start < pos {
			continue // overlapping edits cannot happen; be safe anyway
		}
		out = append(out, t.raw[pos:e.start]...)
		if closeOpen && e.seq > 0 && e.start == t.insertAt {
			out = append(out, `""`...)
			closeOpen = false
		}
		switch {
		case e.seq == -1:
			// A removed attribute that was glued to the next one
			// (`a="1"b="2"`, `<img/onerror=x src=y>`) leaves a space
			// so the next keeps its own name.
			// A "/" would also continue an unquoted value before it.
			if e.end < len(t.raw) {
				if c := t.raw[e.end]; !isSpace(c) && c != '>' && (c != '/' || t.unquotedEndsAt(e.start)) {
					if len(out) > len(dst) && !isSpace(out[len(out)-1]) {
						out = append(out, ' ')
					}
				}
			}
		case e.seq == 0:
			a := &t.attrs[e.attr]
			out = append(out, t.raw[a.nameStart:a.nameEnd]...)
			out = append(out, `="`...)
			out = appendEscaped(out, a.newVal)
			out = append(out, '"')
		case e.seq == tailSeq:
			for _, c := range t.raw[e.start:e.end] {
				if c != '/' {
					out = append(out, c)
				}
			}
		default:
			out = append(out, ' ')
			out = append(out, e.name...)
			out = append(out, `="`...)
			out = appendEscaped(out, e.val)
			out = append(out, '"')
		}
		pos = e.end
	}
	return append(out, t.raw[pos:]...)
}

// unquotedEndsAt reports whether a kept unquoted value ends at pos.
func (t *rawTag) unquotedEndsAt(pos int) bool {
	for _, a := range t.attrs {
		if a.end == pos && a.hasValue && !a.open && !a.removed && !a.replaced && a.valEnd == a.end && a.valEnd > a.valStart {
			return true
		}
	}
	return false
}

// appendEscaped appends v escaped for a double-quoted attribute, as
// escapeAttr.
func appendEscaped(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		case '\r':
			dst = append(dst, "&#13;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// escapeAttr escapes a value for a double-quoted attribute.
func escapeAttr(v string) string {
	if !strings.ContainsAny(v, "&\"\r") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 16)
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\r':
			b.WriteString("&#13;") // a raw CR would read as a line feed
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}
