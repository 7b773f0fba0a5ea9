package parse

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mmcdole/gofeed"
)

// recoverFeed reads a document gofeed failed to read, keeping every
// complete item it can: without the characters XML forbids (a stray &#0;
// stops encoding/xml wherever it is), then, if that is not enough,
// through repairXML. It returns nil and gofeed's first error when nothing
// can be read, else the feed, the document it was read from and that
// error, which says what was wrong.
func recoverFeed(p *gofeed.Parser, data []byte) (*gofeed.Feed, []byte, error) {
	f, err := p.Parse(bytes.NewReader(data))
	if err == nil {
		return f, data, nil
	}
	first := err
	if clean, n := dropBadChars(data); n > 0 {
		data = clean
		if f, err = p.Parse(bytes.NewReader(data)); err == nil {
			return f, data, first
		}
	}
	fixed, ok := repairXML(data)
	if !ok {
		return nil, nil, first
	}
	if f, _ = p.Parse(bytes.NewReader(fixed)); f == nil {
		return nil, nil, first
	}
	return f, fixed, first
}

// repairXML rewrites a broken XML feed into a well-formed one keeping every
// complete item, for the documents gofeed gives up on: a stray "<" in text
// and a document cut short (a dropped connection, a full disk on the
// server). Characters XML forbids are dropped before (dropBadChars); other
// damage (unknown entities, mismatched tags) gofeed already reads past.
// It returns false when nothing worth re-parsing is left.
//
// It re-writes the document token by token through encoding/xml in its
// lenient mode and, at the first error it cannot read past, cuts back to
// the end of the last complete item or entry and closes the elements open
// there, so a half-received item is dropped rather than published cut off.
func repairXML(data []byte) ([]byte, bool) {
	out, ok, _ := repairTags(data)
	return out, ok
}

// repairTags is repairXML that also counts the mismatched tags it
// repaired: end tags that matched no open element or closed others
// with theirs, and items or entries begun inside another one, which it
// closes first. 0 for a document whose tags all match.
func repairTags(data []byte) ([]byte, bool, int) {
	fixes := 0
	d := xml.NewDecoder(bytes.NewReader(escapeStrayLT(data)))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	// Charsets are fetch's business: by now the bytes are UTF-8 whatever
	// the declaration says.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	var out bytes.Buffer
	var stack []string
	safeLen, safeDepth := -1, 0
	var safeStack []string
	for {
		tok, err := d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) == 0 {
				return out.Bytes(), true, fixes
			}
			fixes++ // cut short, or past repair
			if safeLen < 0 {
				return nil, false, fixes
			}
			out.Truncate(safeLen)
			for i := safeDepth - 1; i >= 0; i-- {
				out.WriteString("</" + safeStack[i] + ">")
			}
			return out.Bytes(), true, fixes
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := qname(t.Name)
			if isItem(t.Name.Local) {
				// Items do not nest: one begun inside another (whose end
				// tag is missing) ends the open one first.
				for i := len(stack) - 1; i >= 0; i-- {
					if !isItem(localOf(stack[i])) {
						continue
					}
					for j := len(stack) - 1; j >= i; j-- {
						out.WriteString("</" + stack[j] + ">")
					}
					stack = stack[:i]
					fixes++
					safeLen, safeDepth = out.Len(), len(stack)
					safeStack = append(safeStack[:0], stack...)
					break
				}
			}
			out.WriteString("<" + name)
			for _, a := range t.Attr {
				out.WriteString(" " + qname(a.Name) + `="`)
				xml.EscapeText(&out, []byte(a.Value))
				out.WriteString(`"`)
			}
			out.WriteString(">")
			stack = append(stack, name)
		case xml.EndElement:
			name := qname(t.Name)
			// Close what is open down to the matching element; an end tag
			// that matches nothing is dropped.
			matched := false
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] != name {
					continue
				}
				if i != len(stack)-1 {
					fixes++
				}
				for j := len(stack) - 1; j >= i; j-- {
					out.WriteString("</" + stack[j] + ">")
				}
				stack = stack[:i]
				matched = true
				break
			}
			if !matched {
				fixes++
			}
			if isItem(t.Name.Local) {
				safeLen, safeDepth = out.Len(), len(stack)
				safeStack = append(safeStack[:0], stack...)
			}
		case xml.CharData:
			// Outside the root element only white space is allowed, and
			// an XML declaration after it is an error: dropped, so that a
			// document is read the same whatever precedes its root.
			if len(stack) > 0 {
				xml.EscapeText(&out, t)
			}
		case xml.Comment:
			// dropped: nothing reads them
		case xml.ProcInst:
			if t.Target == "xml" && out.Len() == 0 {
				out.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
			}
		case xml.Directive:
			// DOCTYPEs are dropped: their entities are resolved as HTML's
		}
	}
}

func isItem(local string) bool {
	l := strings.ToLower(local)
	return l == "item" || l == "entry"
}

// localOf is a qualified name without its prefix.
func localOf(name string) string {
	if k := strings.LastIndexByte(name, ':'); k >= 0 {
		return name[k+1:]
	}
	return name
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// escapeStrayLT escapes each "<" that cannot start markup, and each "]]>"
// outside CDATA (the end of a CDATA section that was already closed,
// which encoding/xml refuses even when lenient), leaving CDATA sections
// and comments as they are.
func escapeStrayLT(data []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(data) + 64)
	for i := 0; i < len(data); {
		lt := bytes.IndexByte(data[i:], '<')
		if lt < 0 {
			writeOutsideCDATA(&out, data[i:])
			break
		}
		writeOutsideCDATA(&out, data[i:i+lt])
		i += lt
		if n := verbatim(data[i:]); n > 0 {
			out.Write(data[i : i+n])
			i += n
			continue
		}
		if i+1 < len(data) && startsMarkup(data[i+1]) {
			out.WriteByte('<')
		} else {
			out.WriteString("&lt;")
		}
		i++
	}
	return out.Bytes()
}

// writeOutsideCDATA writes text from outside CDATA sections and comments
// with its "]]>" escaped.
func writeOutsideCDATA(out *bytes.Buffer, b []byte) {
	for {
		k := bytes.Index(b, cdataClose)
		if k < 0 {
			out.Write(b)
			return
		}
		out.Write(b[:k+2])
		out.WriteString("&gt;")
		b = b[k+3:]
	}
}

// verbatim returns the length of the CDATA section or comment b starts
// with, 0 when it starts with neither.
func verbatim(b []byte) int {
	for _, sec := range [][2]string{{"<![CDATA[", "]]>"}, {"<!--", "-->"}} {
		if bytes.HasPrefix(b, []byte(sec[0])) {
			end := bytes.Index(b, []byte(sec[1]))
			if end < 0 {
				return len(b)
			}
			return end + len(sec[1])
		}
	}
	return 0
}

func startsMarkup(c byte) bool {
	return c == '/' || c == '!' || c == '?' || c == '_' || c == ':' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

// mayHideItems reports, cheaply, whether doc may have more items or
// entries than the n gofeed read: counting "<item", "<entry" (and, when
// those are fewer than n, their prefixed forms) over-counts (<items>, text
// in CDATA), never under-counts the tags countItems finds, so a sound
// document costs two byte counts and no scan.
func mayHideItems(doc []byte, n int) bool {
	c := bytes.Count(doc, []byte("<item")) + bytes.Count(doc, []byte("<entry"))
	if c >= n {
		return c > n
	}
	// gofeed read items these do not count: the document's are prefixed.
	return bytes.Count(doc, []byte(":item"))+bytes.Count(doc, []byte(":entry")) > n-c
}

// keepHiddenItems handles a document gofeed read without error but with
// fewer items than it has: an end tag that matches no open element (a
// "]]>" inside CDATA, as badly generated feeds write it, leaves "</b>"
// or "</script>" in the open) makes gofeed close the item, the channel
// or the feed early, and every later item is dropped without a word.
// When the document is not sound (its tags do not match, or it holds
// characters XML forbids, or it is cut short), it is read again as
// dropBadChars and repairXML rewrite it (repairXML drops such end tags
// and closes an item left open before the next begins), and the reading
// that keeps more items wins; what is still missing is counted as lost.
// A sound document (its extra <item>s are some extension's) keeps
// gofeed's reading.
func keepHiddenItems(p *gofeed.Parser, f *gofeed.Feed, doc []byte) (*gofeed.Feed, []byte, error, int) {
	begun := countItems(doc)
	if begun <= len(f.Items) {
		return f, doc, nil, 0
	}
	clean, dropped := dropBadChars(doc)
	fixed, ok, fixes := repairTags(clean)
	if ok && fixes == 0 && dropped == 0 {
		return f, doc, nil, 0
	}
	why := "its tags do not match"
	if fixes == 0 {
		why = "it holds characters XML forbids"
	}
	recovered := fmt.Errorf("%d of %d items were hidden: %s", begun-len(f.Items), begun, why)
	if ok {
		if g, err := p.Parse(bytes.NewReader(fixed)); err == nil && g != nil && len(g.Items) > len(f.Items) {
			f, doc = g, fixed
		}
	}
	return f, doc, recovered, max(0, begun-len(f.Items))
}
