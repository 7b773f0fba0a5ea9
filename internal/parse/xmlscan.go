package parse

import (
	"bytes"
	"strings"
	"time"
)

// scanner reads the tokens of a well-formed XML document straight from
// its bytes, for readRSS. It accepts a strict subset of XML: any token
// encoding/xml might read differently, or refuse, makes it stop (its
// methods return false), and readRSS hands the document to gofeed.
type scanner struct {
	doc  []byte
	pos  int
	ns   map[string]string // the root element's namespace prefixes
	keys map[string]string // what gofeed names each prefix's elements (extKey)
	loc  *time.Location    // the zone of zoneless dates
	// published are the items' pubDates as Date read them (rss).
	published []time.Time
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
	tokCDATA
	tokComment
)

// token is one token of the document: doc[start:end]. A start tag has
// its name, its raw attributes (checked, between the name and the end of
// the tag) and whether it is empty (<x/>); an end tag its name.
type token struct {
	kind       tokKind
	name       []byte
	attrs      []byte
	empty      bool
	start, end int
}

// next reads the next token; false for what the scanner is not sure of.
func (s *scanner) next() (token, bool) {
	doc, i := s.doc, s.pos
	if i >= len(doc) {
		return token{kind: tokEOF, start: i, end: i}, true
	}
	if doc[i] != '<' {
		end := len(doc)
		if k := bytes.IndexByte(doc[i:], '<'); k >= 0 {
			end = i + k
		}
		// encoding/xml refuses "]]>" outside a CDATA section.
		if bytes.Contains(doc[i:end], cdataClose) {
			return token{}, false
		}
		s.pos = end
		return token{kind: tokText, start: i, end: end}, true
	}
	rest := doc[i:]
	switch {
	case bytes.HasPrefix(rest, cdataOpen):
		k := bytes.Index(rest[len(cdataOpen):], cdataClose)
		if k < 0 {
			return token{}, false
		}
		s.pos = i + len(cdataOpen) + k + len(cdataClose)
		return token{kind: tokCDATA, start: i, end: s.pos}, true
	case bytes.HasPrefix(rest, commentOpen):
		k := bytes.Index(rest[len(commentOpen):], commentClose)
		// encoding/xml refuses "--" inside a comment, and "--->".
		if k < 0 {
			return token{}, false
		}
		if body := rest[len(commentOpen) : len(commentOpen)+k]; bytes.Contains(body, []byte("--")) || bytes.HasSuffix(body, []byte("-")) {
			return token{}, false
		}
		s.pos = i + len(commentOpen) + k + len(commentClose)
		return token{kind: tokComment, start: i, end: s.pos}, true
	case len(rest) > 1 && rest[1] == '/':
		n := scanName(doc, i+2)
		if n < 0 {
			return token{}, false
		}
		e := n
		for e < len(doc) && isSpace(doc[e]) {
			e++
		}
		if e >= len(doc) || doc[e] != '>' {
			return token{}, false
		}
		s.pos = e + 1
		return token{kind: tokEnd, name: doc[i+2 : n], start: i, end: s.pos}, true
	}
	return s.startTag()
}

// startTag reads the start tag at s.pos.
func (s *scanner) startTag() (token, bool) {
	doc, i := s.doc, s.pos
	n := scanName(doc, i+1)
	if n < 0 {
		return token{}, false
	}
	t := token{kind: tokStart, name: doc[i+1 : n], start: i}
	k := n
	for {
		ws := k
		for k < len(doc) && isSpace(doc[k]) {
			k++
		}
		if k >= len(doc) {
			return token{}, false
		}
		switch doc[k] {
		case '>':
			t.attrs = doc[n:k]
			s.pos = k + 1
			t.end = s.pos
			return t, true
		case '/':
			if k+1 >= len(doc) || doc[k+1] != '>' {
				return token{}, false
			}
			t.attrs, t.empty = doc[n:k], true
			s.pos = k + 2
			t.end = s.pos
			return t, true
		}
		// An attribute: white space before it, name="value".
		if k == ws {
			return token{}, false
		}
		if k = scanName(doc, k); k < 0 {
			return token{}, false
		}
		for k < len(doc) && isSpace(doc[k]) {
			k++
		}
		if k >= len(doc) || doc[k] != '=' {
			return token{}, false
		}
		k++
		for k < len(doc) && isSpace(doc[k]) {
			k++
		}
		if k >= len(doc) || (doc[k] != '"' && doc[k] != '\'') {
			return token{}, false
		}
		q := bytes.IndexByte(doc[k+1:], doc[k])
		if q < 0 || bytes.IndexByte(doc[k+1:k+1+q], '<') >= 0 {
			return token{}, false
		}
		k += q + 2
	}
}

// scanName returns the end of the XML name at i: ASCII letters, digits,
// '_', '-', '.' and at most one ':' inside; -1 when there is none.
func scanName(doc []byte, i int) int {
	if i >= len(doc) || !(isASCIILetter(doc[i]) || doc[i] == '_') {
		return -1
	}
	colon := -1
	k := i + 1
	for ; k < len(doc); k++ {
		c := doc[k]
		if c == ':' {
			if colon >= 0 {
				return -1
			}
			colon = k
			continue
		}
		if !(isASCIILetter(c) || isDigit(c) || c == '_' || c == '-' || c == '.') {
			break
		}
	}
	if colon == k-1 {
		return -1
	}
	return k
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// prolog reads the document up to its root element's start tag: an XML
// declaration of version 1.0 in UTF-8, white space, comments and
// processing instructions; no DOCTYPE.
func (s *scanner) prolog() (token, bool) {
	doc := s.doc
	if bytes.HasPrefix(doc, []byte("<?xml")) && len(doc) > 5 && isSpace(doc[5]) {
		end := bytes.Index(doc, []byte("?>"))
		if end < 0 || !declaration(doc[5:end]) {
			return token{}, false
		}
		s.pos = end + 2
	}
	for {
		for s.pos < len(doc) && isSpace(doc[s.pos]) {
			s.pos++
		}
		rest := doc[s.pos:]
		switch {
		case bytes.HasPrefix(rest, commentOpen):
			if t, ok := s.next(); !ok || t.kind != tokComment {
				return token{}, false
			}
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest, []byte("?>"))
			n := scanName(doc, s.pos+2)
			if end < 0 || n < 0 || strings.EqualFold(string(doc[s.pos+2:n]), "xml") {
				return token{}, false
			}
			s.pos += end + 2
		case len(rest) > 1 && rest[0] == '<' && rest[1] != '!' && rest[1] != '/':
			return s.startTag()
		default:
			return token{}, false
		}
	}
}

// declaration reports whether the pseudo-attributes of an XML
// declaration are ones gofeed reads as the scanner does: version 1.0
// and the encoding UTF-8, or none said.
func declaration(b []byte) bool {
	attrs := append([]byte(" "), bytes.TrimRight(b, " \t\r\n")...)
	t := scanner{doc: append(append([]byte("<x"), attrs...), '>')}
	if tag, ok := t.startTag(); !ok || tag.end != len(t.doc) || tag.empty {
		return false
	}
	return eachAttr(attrs, func(name, value []byte) bool {
		switch string(name) {
		case "version":
			return string(value) == "1.0"
		case "encoding":
			return strings.EqualFold(string(value), "utf-8")
		case "standalone":
			return true
		}
		return false
	})
}

// text reads the content of the element whose start tag is t, up to its
// end tag, as gofeed reads a text element (elementText): text and CDATA
// sections only.
func (s *scanner) text(t token) (string, bool) {
	raw, ok := s.content(t)
	if !ok {
		return "", false
	}
	return elementText(raw), true
}

// charText reads the content of the element whose start tag is t as
// gofeed reads an extension's value: the character data encoding/xml
// decodes, trimmed. A carriage return (encoding/xml rewrites line ends)
// or a reference other than XML's makes it return false.
func (s *scanner) charText(t token) (string, bool) {
	raw, ok := s.content(t)
	if !ok || bytes.IndexByte(raw, '\r') >= 0 {
		return "", false
	}
	var b strings.Builder
	for len(raw) > 0 {
		k := bytes.Index(raw, cdataOpen)
		if k < 0 {
			k = len(raw)
		}
		v, ok := decodeAttr(raw[:k])
		if !ok {
			return "", false
		}
		b.WriteString(v)
		if k == len(raw) {
			break
		}
		raw = raw[k+len(cdataOpen):]
		e := bytes.Index(raw, cdataClose) // content checked it is there
		b.Write(raw[:e])
		raw = raw[e+len(cdataClose):]
	}
	return strings.TrimSpace(b.String()), true
}

// content reads the raw content of the element whose start tag is t, up
// to its end tag: text and CDATA sections only.
func (s *scanner) content(t token) ([]byte, bool) {
	if t.empty {
		return nil, true
	}
	doc, start := s.doc, s.pos
	for {
		k := bytes.IndexByte(doc[s.pos:], '<')
		if k < 0 {
			return nil, false
		}
		if bytes.Contains(doc[s.pos:s.pos+k], cdataClose) {
			return nil, false
		}
		s.pos += k
		rest := doc[s.pos:]
		if bytes.HasPrefix(rest, cdataOpen) {
			e := bytes.Index(rest[len(cdataOpen):], cdataClose)
			if e < 0 {
				return nil, false
			}
			s.pos += len(cdataOpen) + e + len(cdataClose)
			continue
		}
		end := s.pos
		e, ok := s.next()
		if !ok || e.kind != tokEnd || !bytes.Equal(e.name, t.name) {
			return nil, false
		}
		return doc[start:end], true
	}
}

// skip reads past the element whose start tag is t, checking that what
// it holds is well-formed.
func (s *scanner) skip(t token) bool {
	if t.empty {
		return true
	}
	open := [][]byte{t.name}
	for len(open) > 0 {
		e, ok := s.next()
		if !ok {
			return false
		}
		switch e.kind {
		case tokEOF:
			return false
		case tokStart:
			if !e.empty {
				open = append(open, e.name)
			}
		case tokEnd:
			if !bytes.Equal(e.name, open[len(open)-1]) {
				return false
			}
			open = open[:len(open)-1]
		}
	}
	return true
}
