package parse

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// dropBadChars removes what XML forbids anywhere in a document and
// encoding/xml stops at: character references to characters outside
// XML's range (&#0;, &#xFFFE;, surrogates), and raw C0 controls and
// U+FFFE/U+FFFF. CDATA sections keep their text; a reference there is
// not one. It returns data itself and 0 when there is nothing to drop.
//
// It runs only after a document failed to parse: a sound one never pays
// for it.
func dropBadChars(data []byte) ([]byte, int) {
	var out []byte
	last, dropped := 0, 0
	drop := func(from, to int) {
		if out == nil {
			out = make([]byte, 0, len(data))
		}
		out = append(out, data[last:from]...)
		last = to
		dropped++
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '<' && bytes.HasPrefix(data[i:], cdataOpen):
			end := skipPast(data, i+len(cdataOpen), cdataClose)
			// A CDATA section may hold raw controls too; those go, its
			// references stay text.
			for j := i; j < end; j++ {
				if b := data[j]; b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
					drop(j, j+1)
				}
			}
			i = end
		case c == '&' && i+2 < len(data) && data[i+1] == '#':
			n, ok := charRef(data[i:])
			if n > 0 && !ok {
				drop(i, i+n)
			}
			i += max(n, 1)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			drop(i, i+1)
			i++
		case c == 0xEF && i+2 < len(data) && data[i+1] == 0xBF && (data[i+2] == 0xBE || data[i+2] == 0xBF):
			drop(i, i+3) // U+FFFE, U+FFFF
			i += 3
		default:
			i++
		}
	}
	if out == nil {
		return data, 0
	}
	return append(out, data[last:]...), dropped
}

// charRef reads the character reference b starts with ("&#38;",
// "&#x26;"): its length, 0 when b starts with none, and whether the
// character it names is one XML allows.
func charRef(b []byte) (int, bool) {
	end := bytes.IndexByte(b[:min(len(b), 16)], ';')
	if end < 3 {
		return 0, false
	}
	digits, base := b[2:end], 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || len(digits) == 0 {
		return 0, false
	}
	return end + 1, xmlChar(rune(n))
}

// xmlChar reports whether XML 1.0 allows r in a document (its Char
// production).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= utf8.MaxRune)
}

// countItems counts the start tags of items and entries in a document,
// outside CDATA sections and comments: how many a whole reading would
// have given.
func countItems(data []byte) int {
	n := 0
	for i := nextTag(data, 0); i >= 0; i = nextTag(data, i+1) {
		name := data[i+1:]
		if k := bytes.IndexAny(name[:min(len(name), 32)], " \t\r\n/>"); k >= 0 {
			name = name[:k]
			if c := bytes.IndexByte(name, ':'); c >= 0 {
				name = name[c+1:]
			}
			if string(name) == "item" || string(name) == "entry" {
				n++
			}
		}
	}
	return n
}

// nextTag returns the index of the first "<" at or after i that starts a
// tag, past CDATA sections, comments, processing instructions and
// declarations; -1 when there is none.
func nextTag(data []byte, i int) int {
	for i < len(data) {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, cdataOpen):
			i = skipPast(data, i+len(cdataOpen), cdataClose)
		case bytes.HasPrefix(rest, commentOpen):
			i = skipPast(data, i+len(commentOpen), commentClose)
		case len(rest) > 1 && (rest[1] == '?' || rest[1] == '!'):
			i = skipPast(data, i+2, []byte(">"))
		default:
			return i
		}
	}
	return -1
}
