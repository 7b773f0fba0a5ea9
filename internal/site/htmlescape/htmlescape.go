// Package htmlescape escapes strings as html/template escapes them in
// the contexts of feedmill's built-in templates: text, quoted attribute
// values, <title>, and URLs in href and src. html/template calls its
// escapers through reflection for every action, most of the time of a
// page; the site's page writers call these instead, which must give
// html/template's bytes exactly. The fuzz tests run both on the same
// input. (They sit in a package of their own so that the fuzzer's binary
// leaves out the site's tests and the SQLite driver they link: its
// coverage counters made each run fifteen times slower.)
//
// Only plain strings are escaped here. html/template writes a
// template.HTML in text as it is, which the page writers do themselves,
// but strips its tags in an attribute value and leaves its entities
// alone there: none of the built-in templates puts one in an attribute,
// so that case is not implemented.
package htmlescape

import (
	"bytes"
	"strings"
)

// htmlEscapes is html/template's htmlReplacementTable: what the bytes it
// replaces become in text, in a quoted attribute value and in an RCDATA
// element such as <title>.
var htmlEscapes = [256]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// Text appends the string s as html/template escapes a string (not
// a template.HTML) in text (htmlEscaper), in a quoted attribute value
// (attrEscaper) and in <title> (rcdataEscaper): all three use the same
// table for plain strings. The table holds ASCII bytes alone and every
// other rune, invalid UTF-8 included, goes through unchanged, so bytes
// are looked at one by one without decoding runes: a byte below 0x80 is
// never part of a multi-byte sequence.
func Text(w *bytes.Buffer, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		repl := htmlEscapes[s[i]]
		if repl == "" {
			continue
		}
		w.WriteString(s[start:i])
		w.WriteString(repl)
		start = i + 1
	}
	w.WriteString(s[start:])
}

// URL byte classes for URLAttr.
const (
	urlEncode  = iota // percent-encoded
	urlKeep           // left as it is
	urlEntity         // kept by urlNormalizer, then escaped by attrEscaper
	urlPercent        // kept when it starts a valid escape
)

// urlClasses sorts the bytes as html/template's urlNormalizer and then
// attrEscaper treat them: RFC 3986 unreserved and reserved characters are
// kept, of which attrEscaper then escapes '&' and '+'; everything else,
// quotes, spaces, controls and every byte of a non-ASCII rune, is
// percent-encoded.
var urlClasses = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = urlKeep
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = urlKeep, urlKeep
	}
	for _, c := range "-._~!#$*,/:;=?@[]" {
		t[c] = urlKeep
	}
	t['&'], t['+'] = urlEntity, urlEntity
	t['%'] = urlPercent
	return t
}()

// URLAttr appends the string s as html/template escapes it in a
// quoted URL attribute (href, src): urlFilter replaces a URL of any
// scheme but http, https and mailto by "#ZgotmplZ", urlNormalizer
// percent-encodes what is not allowed in a URL, keeping valid escapes,
// and attrEscaper escapes what remains of HTML's specials.
func URLAttr(w *bytes.Buffer, s string) {
	if !safeURLScheme(s) {
		w.WriteString("#ZgotmplZ")
		return
	}
	const hex = "0123456789abcdef" // urlNormalizer writes %02x
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch urlClasses[c] {
		case urlKeep:
			continue
		case urlPercent:
			if i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
				continue
			}
		}
		w.WriteString(s[start:i])
		switch c {
		case '&':
			w.WriteString("&amp;")
		case '+':
			w.WriteString("&#43;")
		default:
			w.Write([]byte{'%', hex[c>>4], hex[c&0xf]})
		}
		start = i + 1
	}
	w.WriteString(s[start:])
}

// safeURLScheme is html/template's isSafeURL: true for a relative URL
// and for one whose scheme is http, https or mailto in any case. The
// case is folded as Unicode folds it, as html/template does ("httpſ" is
// https to it).
func safeURLScheme(s string) bool {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
