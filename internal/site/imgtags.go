package site

import (
	"strings"

	"golang.org/x/net/html"
)

// A tagSpan is where one tag is in a body: body[start:end].
type tagSpan struct{ start, end int }

// imgTags appends to spans where the <img> start tags of s are, as
// x/net/html's tokenizer reads s: tags only, never "<img" inside an
// attribute value, a comment, a bogus comment or raw text. It is the
// tokenizer's state machine for the boundaries of tokens, step by step
// (Next, readTag, readComment, readRawOrRCDATA), without the tokenizer's
// copies of every attribute name, which made a whole body's tokenizing
// several times slower than the rest of siteBody. It gives up (ok false)
// on a <script> start tag, whose escaping states it does not follow.
// FuzzImgTags compares it with the tokenizer.
func imgTags(s string, spans []tagSpan) (_ []tagSpan, ok bool) {
	n := len(s)
	for i := 0; i < n; {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 || i+j+1 >= n {
			break // text to the end
		}
		p := i + j
		switch c := s[p+1]; {
		case isLetter(c):
			nameEnd, end := readTag(s, p+1)
			if end < 0 {
				return spans, true // the body ends inside the tag: no more tokens
			}
			name := s[p+1 : nameEnd]
			if lowerIs(name, "img") {
				spans = append(spans, tagSpan{p, end})
			}
			i = end
			if raw := rawTextElement(name); raw != "" {
				switch raw {
				case "script":
					return spans, false
				case "plaintext":
					return spans, true
				}
				k := rawTextEnd(s, end, raw)
				if k < 0 {
					return spans, true
				}
				i = k
			}
		case c == '/':
			if p+2 >= n {
				return spans, true
			}
			switch c := s[p+2]; {
			case c == '>':
				i = p + 3 // "</>"
			case isLetter(c):
				_, end := readTag(s, p+2)
				if end < 0 {
					return spans, true
				}
				i = end
			default: // a bogus comment up to ">"
				i = closeAngle(s, p+2)
			}
		case c == '!':
			if strings.HasPrefix(s[p+2:], "--") {
				i = commentEnd(s, p+4)
			} else {
				// A doctype or a bogus comment: both end at the first
				// ">" after "<!" (or at the end of the body).
				i = closeAngle(s, p+2)
			}
		case c == '?':
			i = closeAngle(s, p+2)
		default:
			i = p + 1 // a "<" of the text
		}
	}
	return spans, true
}

// lowerIs reports whether s is lower, a lower-case ASCII name, in any
// ASCII letter case (as the tokenizer compares names: strings.EqualFold
// would also take "ſtyle" for "style").
func lowerIs(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }

// closeAngle returns the index after the first ">" from i, or len(s).
func closeAngle(s string, i int) int {
	if k := strings.IndexByte(s[i:], '>'); k >= 0 {
		return i + k + 1
	}
	return len(s)
}

// readTag reads a tag whose name starts at i (after "<" or "</") as the
// tokenizer's readTag does, and returns where its name ends and the index
// after its ">", or -1 when the body ends first.
func readTag(s string, i int) (nameEnd, end int) {
	n := len(s)
	// readTagName
	k := i + 1
	for ; k < n; k++ {
		if c := s[k]; isSpace(c) || c == '/' || c == '>' {
			break
		}
	}
	if k >= n {
		return k, -1
	}
	nameEnd = k
	if isSpace(s[k]) {
		k++
	}
	k = skipSpaces(s, k)
	for {
		if k >= n {
			return nameEnd, -1
		}
		if s[k] == '>' {
			return nameEnd, k + 1
		}
		// readTagAttrKey: an "=" is part of the name as its first byte.
		ks := k
		for ; k < n; k++ {
			c := s[k]
			if c == '=' && k == ks {
				continue
			}
			if c == '=' || isSpace(c) || c == '/' || c == '>' {
				break
			}
		}
		if k >= n {
			return nameEnd, -1
		}
		// readTagAttrVal
		k = skipSpaces(s, k)
		if k >= n {
			return nameEnd, -1
		}
		switch s[k] {
		case '/':
			k++
		case '=':
			k = skipSpaces(s, k+1)
			if k >= n {
				return nameEnd, -1
			}
			switch q := s[k]; q {
			case '>':
			case '\'', '"':
				e := strings.IndexByte(s[k+1:], q)
				if e < 0 {
					return nameEnd, -1
				}
				k += 1 + e + 1
			default:
				for k++; k < n && !isSpace(s[k]) && s[k] != '>'; k++ {
				}
				if k >= n {
					return nameEnd, -1
				}
				if s[k] != '>' {
					k++ // the space after the value is read with it
				}
			}
		}
		k = skipSpaces(s, k)
	}
}

func skipSpaces(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// rawTextElement returns the lower-cased name of an element whose text
// the tokenizer reads raw (up to its end tag), or "".
func rawTextElement(name string) string {
	if len(name) < 3 || len(name) > 9 {
		return ""
	}
	for _, r := range [...]string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"} {
		if lowerIs(name, r) {
			return r
		}
	}
	return ""
}

// rawTextEnd returns where the end tag of raw-text element name starts
// after i ("</name" followed by a space, "/" or ">", in any case), or -1.
func rawTextEnd(s string, i int, name string) int {
	for {
		k := strings.Index(s[i:], "</")
		if k < 0 {
			return -1
		}
		k += i
		e := k + 2 + len(name)
		if e < len(s) && lowerIs(s[k+2:e], name) {
			if c := s[e]; isSpace(c) || c == '/' || c == '>' {
				return k
			}
		}
		i = k + 2
	}
}

// commentEnd returns the index after a comment whose text starts at i
// (after "<!--"), as the tokenizer's readComment ends it: at "-->" or
// "--!>", at once for "<!-->" and "<!--->", else at the end of s.
func commentEnd(s string, i int) int {
	dashes := 0
	beginning := true
	for i < len(s) {
		c := s[i]
		i++
		switch c {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				return i
			}
		case '!':
			if dashes >= 2 {
				if i >= len(s) {
					return i
				}
				c = s[i]
				i++
				if c == '>' {
					return i
				}
				if c == '-' {
					dashes = 1
					beginning = false
					continue
				}
			}
		}
		dashes = 0
		beginning = false
	}
	return len(s)
}

// tokenImgTags is imgTags by x/net/html's tokenizer: the reference, and
// the reading of bodies imgTags gives up on.
func tokenImgTags(s string, spans []tagSpan) []tagSpan {
	z := html.NewTokenizer(strings.NewReader(s))
	pos := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return spans
		}
		raw := z.Raw()
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && isImgTag(raw) {
			spans = append(spans, tagSpan{pos, pos + len(raw)})
		}
		pos += len(raw)
	}
}
