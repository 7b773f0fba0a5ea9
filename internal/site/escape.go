package site

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Feeds carry every post's whole body, escaped, in up to twelve files,
// so escaping is on the hot path of a build. These escapers copy runs of
// plain bytes at once instead of going rune by rune through reflection.

// xmlEscapeTable marks the ASCII bytes escapeXML must change.
var xmlEscapeTable = func() (t [128]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t' && c != '\n'
	}
	for _, c := range `&<>"'` + "\x7f" {
		t[c] = true
	}
	return t
}()

// escapeXML appends s as XML character data or attribute value: markup
// characters become entities, a carriage return a character reference,
// and what XML 1.0 cannot hold at all (control characters, U+FFFE, U+FFFF,
// invalid UTF-8) becomes U+FFFD, as encoding/xml.EscapeText does.
func escapeXML(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !xmlEscapeTable[c] {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '&':
				b.WriteString("&amp;")
			case '<':
				b.WriteString("&lt;")
			case '>':
				b.WriteString("&gt;")
			case '"':
				b.WriteString("&#34;")
			case '\'':
				b.WriteString("&#39;")
			case '\r':
				b.WriteString("&#xD;")
			case 0x7f:
				b.WriteByte(0x7f) // allowed in XML 1.0
			default:
				b.WriteString("\uFFFD")
			}
			i++
			start = i
			continue
		}
		if plain3(s, i) {
			i += 3
			continue
		}
		size, bad := xmlRune(s, i)
		if bad {
			b.WriteString(s[start:i])
			b.WriteString("\uFFFD")
			start = i + size
		}
		i += size
	}
	b.WriteString(s[start:])
}

// cdataTable marks the ASCII bytes cdataXML must look at.
var cdataTable = func() (t [128]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t' && c != '\n'
	}
	t[']'] = true
	return t
}()

// cdataXML appends s as XML character data in CDATA sections, as feeds
// usually carry HTML: the markup stays as it is, which makes a feed's
// bodies smaller than escapeXML's entities and cheaper to write. "]]>"
// is split across two sections, a carriage return (which XML reads as a
// line feed) goes between sections as a character reference, and what
// XML 1.0 cannot hold becomes U+FFFD, as with escapeXML.
func cdataXML(b *strings.Builder, s string) {
	b.WriteString("<![CDATA[")
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !cdataTable[c] {
				i++
				continue
			}
			switch {
			case c == ']':
				if !strings.HasPrefix(s[i:], "]]>") {
					i++
					continue
				}
				// "]]" ends this section; the ">" opens the next.
				b.WriteString(s[start : i+2])
				b.WriteString("]]><![CDATA[")
				i += 2
			case c == '\r':
				b.WriteString(s[start:i])
				b.WriteString("]]>&#xD;<![CDATA[")
				i++
			default:
				b.WriteString(s[start:i])
				b.WriteString("\uFFFD")
				i++
			}
			start = i
			continue
		}
		if plain3(s, i) {
			i += 3
			continue
		}
		size, bad := xmlRune(s, i)
		if bad {
			b.WriteString(s[start:i])
			b.WriteString("\uFFFD")
			start = i + size
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteString("]]>")
}

// xmlRune returns the size of the character at s[i], which is not
// ASCII, and whether XML 1.0 cannot hold it (invalid UTF-8, U+FFFE,
// U+FFFF).
func xmlRune(s string, i int) (size int, bad bool) {
	r, size := utf8.DecodeRuneInString(s[i:])
	return size, (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF
}

// plain3 reports whether s[i:] starts with a valid three-byte UTF-8
// sequence whose lead byte is E1 to EC: U+1000 to U+CFFF, where most
// Chinese text lies. No such character is a surrogate, U+FFFE or U+FFFF,
// so the escapers copy them as they are (jsonString still looks for
// U+2028 and U+2029) without decoding them one by one, which took most of
// their time on Chinese bodies.
func plain3(s string, i int) bool {
	return i+2 < len(s) && s[i]-0xE1 <= 0xEC-0xE1 && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80
}

// xmlText returns s escaped for XML.
func xmlText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	escapeXML(&b, s)
	return b.String()
}

// xmlElement appends <name>text</name>.
func xmlElement(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	escapeXML(b, text)
	b.WriteString("</" + name + ">")
}

// jsonString appends s as a JSON string. HTML characters stay as they
// are (the feed is not embedded in a page); control characters, U+2028,
// U+2029 and invalid UTF-8 are escaped or replaced, so that every
// JavaScript parser takes the result.
func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&0xf])
			}
			i++
			start = i
			continue
		}
		if plain3(s, i) && (c != 0xE2 || s[i+1] != 0x80 || s[i+2]&^1 != 0xA8) {
			i += 3 // not U+2028 or U+2029
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			b.WriteString(s[start:i])
			b.WriteString(`\u202` + strconv.Itoa(int(r-'\u2020')))
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// jsonField appends "name":"value", with a comma before it unless first.
func jsonField(b *strings.Builder, name, value string, first bool) {
	if !first {
		b.WriteByte(',')
	}
	b.WriteString(`"` + name + `":`)
	jsonString(b, value)
}
