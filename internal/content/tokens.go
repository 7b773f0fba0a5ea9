package content

import (
	"bytes"
	"strings"
	unsafeconv "unsafe" // the package's tests have a func unsafe

	"golang.org/x/net/html"
)

// tokens reads a body's tokens exactly as x/net/html's Tokenizer does (the
// same token types, the same raw bytes), only faster on what news bodies
// are made of: text, and start and end tags that leave the tokenizer in
// its data state. The Tokenizer reads byte by byte through a buffered
// reader and copies every attribute's name; here text is found with
// bytes.IndexByte and tags are scanned in place. That was half of the
// cleaning's time.
//
// Every other token (a comment, a doctype, "</>", a raw-text element such
// as <script>, <style> or <textarea> with its text, a tag that the body
// cuts off) is read by an html.Tokenizer started at that token, and the
// fast lane takes over again once the Tokenizer is back in its data state
// with nothing pending. What the Tokenizer keeps between two such tokens
// is only its place in the input (its raw bytes partition the input), so
// one started there reads exactly what a single Tokenizer over the whole
// body would. The security-relevant readings (raw text, script data,
// comments) are thus always the Tokenizer's own. FuzzTokens holds the two
// to each other.
type tokens struct {
	body string
	buf  []byte // body's bytes, not a copy: never written to
	// buf[start:pos] is the current token, in the fast lane: offsets,
	// not a slice, since storing a pointer for every token cost a write
	// barrier each time while the collector ran.
	start, pos int
	// rawTag is the raw-text element (other than <script>) whose text
	// the fast lane reads next, lower-cased.
	rawTag string

	// z reads from buf[base:] when not nil; used is how much of it its
	// tokens took so far.
	z          *html.Tokenizer
	base, used int
	// rawNext: z's last token started a raw-text element, so its next
	// token is raw text, which z reads.
	rawNext bool
	done    bool // an error token was returned: the input is over

	handOvers int // how often a Tokenizer took over (for tests)
}

func newTokens(body string) *tokens {
	t := &tokens{}
	t.reset(body)
	return t
}

// reset has t read body from its start.
func (t *tokens) reset(body string) {
	*t = tokens{body: body, buf: unsafeconv.Slice(unsafeconv.StringData(body), len(body))}
}

// Next reads the next token, as html.Tokenizer.Next.
func (t *tokens) Next() html.TokenType {
	if t.done {
		return html.ErrorToken
	}
	if t.z != nil {
		if t.rawNext {
			return t.delegated()
		}
		t.pos, t.z = t.base+t.used, nil
	}
	b, start := t.buf, t.pos
	t.start = start
	if start >= len(b) {
		t.done = true
		return html.ErrorToken
	}
	if t.rawTag != "" {
		// readRawOrRCDATA: the text runs to the element's end tag, or
		// to the end of the body.
		end := len(b)
		if t.rawTag != "plaintext" {
			end = rawTextEnd(b, start, t.rawTag)
		}
		t.rawTag = ""
		if end > start {
			t.pos = end
			return html.TextToken
		}
	}
	// Text runs up to a "<" that starts a tag, a comment or a doctype; a
	// "<" followed by anything else, or by nothing, is text.
	i := start
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 || i+j+1 >= len(b) {
			i = len(b)
			break
		}
		i += j
		if c := b[i+1]; isLetter(c) || c == '/' || c == '!' || c == '?' {
			break
		}
		i++
	}
	if i > start {
		t.pos = i
		return html.TextToken
	}
	switch c := b[start+1]; {
	case isLetter(c):
		end, nameEnd, selfClosing := scanTagBytes(b, start+1, true)
		if end < 0 {
			return t.handOver(start)
		}
		if name := b[start+1 : nameEnd]; rawTextElement(name) {
			if asciiEqualFold(name, "script") {
				// Script data has escapes of its own: the Tokenizer reads it.
				return t.handOver(start)
			}
			t.rawTag = strings.ToLower(string(name))
		}
		t.pos = end
		if selfClosing {
			return html.SelfClosingTagToken
		}
		return html.StartTagToken
	case c == '/' && start+2 < len(b) && isLetter(b[start+2]):
		end, _, _ := scanTagBytes(b, start+2, false)
		if end < 0 {
			return t.handOver(start)
		}
		t.pos = end
		return html.EndTagToken
	case c == '!' && start+3 < len(b) && b[start+2] == '-' && b[start+3] == '-':
		if end := commentEnd(b, start+4); end > 0 {
			t.pos = end
			return html.CommentToken
		}
	}
	return t.handOver(start)
}

// rawTextEnd follows readRawOrRCDATA: the text of raw-text element tag
// (lower-cased) that starts at b[i] ends at the first "</tag" in either
// case of each letter followed by white space, "/" or ">", else at the
// end of b.
func rawTextEnd(b []byte, i int, tag string) int {
	for {
		j := bytes.Index(b[i:], []byte("</"))
		if j < 0 {
			return len(b)
		}
		i += j
		k := i + 2 + len(tag)
		if k >= len(b) {
			return len(b)
		}
		match := true
		for n := range len(tag) {
			if c := b[i+2+n]; c != tag[n] && c != tag[n]-('a'-'A') {
				match = false
				break
			}
		}
		if match {
			switch b[k] {
			case ' ', '\n', '\r', '\t', '\f', '/', '>':
				return i
			}
		}
		i += 2
	}
}

// commentEnd follows readComment over a comment whose "<!--" ends at
// b[i]: it returns the end of the comment ("-->", "--!>", or the ">" of
// "<!-->" and "<!--->"), or -1 when the body ends first.
func commentEnd(b []byte, i int) int {
	dashes, beginning := 0, true
	for i < len(b) {
		c := b[i]
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
				if i >= len(b) {
					return -1
				}
				c = b[i]
				i++
				if c == '>' {
					return i
				}
				if c == '-' {
					dashes, beginning = 1, false
					continue
				}
			}
		}
		dashes, beginning = 0, false
	}
	return -1
}

// handOver has an html.Tokenizer read the token at start.
func (t *tokens) handOver(start int) html.TokenType {
	t.z = html.NewTokenizer(bytes.NewReader(t.buf[start:]))
	t.base, t.used = start, 0
	t.handOvers++
	return t.delegated()
}

// delegated reads the next token with z.
func (t *tokens) delegated() html.TokenType {
	tt := t.z.Next()
	raw := t.z.Raw()
	t.used += len(raw)
	t.rawNext = false
	switch tt {
	case html.ErrorToken:
		t.done = true
	case html.StartTagToken, html.SelfClosingTagToken:
		j := 1
		for j < len(raw) && !isSpace(raw[j]) && raw[j] != '/' && raw[j] != '>' {
			j++
		}
		t.rawNext = rawTextElement(raw[1:j])
	}
	return tt
}

// Raw returns the current token's bytes, as html.Tokenizer.Raw. The
// caller must not change them.
func (t *tokens) Raw() []byte {
	if t.z != nil {
		return t.z.Raw()
	}
	return t.buf[t.start:t.pos:t.pos] // no room: an append copies, never writes into the body
}

// Span returns where the current token's bytes are in the body: Raw is
// body[start:end].
func (t *tokens) Span() (start, end int) {
	if t.z != nil {
		end = t.base + t.used
		return end - len(t.z.Raw()), end
	}
	return t.start, t.pos
}

// RawString returns the current token's bytes as a string, which the
// fast lane takes from the body without a copy.
func (t *tokens) RawString() string {
	if t.z != nil {
		return string(t.z.Raw())
	}
	return t.body[t.start:t.pos]
}

// NextIsNotRawText is html.Tokenizer.NextIsNotRawText: after a raw-text
// element's start tag, what follows is read as markup.
func (t *tokens) NextIsNotRawText() {
	t.rawTag = ""
	if t.z != nil {
		t.z.NextIsNotRawText()
		t.rawNext = false
	}
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// rawTextElement reports the start tags after which html.Tokenizer reads
// raw text (readStartTag), in any case.
func rawTextElement(name []byte) bool {
	if len(name) < 3 || len(name) > 9 {
		return false
	}
	for _, n := range [...]string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"} {
		if len(n) == len(name) && asciiEqualFold(name, n) {
			return true
		}
	}
	return false
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// maxFastAttrs is how many attributes of one start tag the fast lane
// reads; a tag with more is left to the Tokenizer.
const maxFastAttrs = 64

// scanTagBytes follows html.Tokenizer's readTag over the tag whose name
// starts at b[i]: its name, then attribute names and values, to the ">".
// It returns the end of the tag (after the ">"), the end of its name and,
// for a start tag (start), whether the Tokenizer would call it
// self-closing. end is -1 when the body ends inside the tag, or when the
// tag has more than maxFastAttrs attributes.
func scanTagBytes(b []byte, i int, start bool) (end, nameEnd int, selfClosing bool) {
	n := len(b)
	// readTagName: the first byte is read already.
	i++
	for {
		if i >= n {
			return -1, 0, false
		}
		c := b[i]
		if c == '/' || c == '>' {
			nameEnd = i
			break
		}
		i++
		if isSpace(c) {
			nameEnd = i - 1
			break
		}
	}
	if i = skipSpace(b, i); i >= n {
		return -1, 0, false
	}
	// The attributes the Tokenizer saves: the named ones, the first of
	// each name (ASCII case folded). Only the last one's value matters,
	// for the self-closing rule.
	var keyBuf [8][2]int
	keys, lastValEnd := keyBuf[:0], 0
	for {
		if b[i] == '>' {
			i++
			break
		}
		// readTagAttrKey: an "=" is part of the name as its first byte.
		ks := i
		for {
			if i >= n {
				return -1, 0, false
			}
			c := b[i]
			i++
			if c == '=' && ks+1 == i {
				continue
			}
			if c == '=' || c == '/' || c == '>' || isSpace(c) {
				i--
				break
			}
		}
		ke := i
		// readTagAttrVal.
		ve := i
		if i = skipSpace(b, i); i >= n {
			return -1, 0, false
		}
		switch c := b[i]; {
		case c == '/':
			i++
		case c != '=':
		default:
			if i = skipSpace(b, i+1); i >= n {
				return -1, 0, false
			}
			switch q := b[i]; q {
			case '>':
			case '\'', '"':
				k := bytes.IndexByte(b[i+1:], q)
				if k < 0 {
					return -1, 0, false
				}
				ve = i + 1 + k
				i = ve + 1
			default:
				// Unquoted: to white space (read) or ">" (not).
				for i++; ; i++ {
					if i >= n {
						return -1, 0, false
					}
					if c := b[i]; c == '>' || isSpace(c) {
						ve = i
						if c != '>' {
							i++
						}
						break
					}
				}
			}
		}
		if start && ks < ke {
			// The first of each name is found by comparing with every
			// name before it: quadratic in the names of one tag, which
			// a hostile body makes many (40,000 took 20 s, the
			// Tokenizer's map 0.2 s). A tag with that many is the
			// Tokenizer's to read.
			seen := false
			for _, k := range keys {
				if asciiEqualFoldBytes(b[k[0]:k[1]], b[ks:ke]) {
					seen = true
					break
				}
			}
			if !seen {
				if len(keys) == maxFastAttrs {
					return -1, 0, false
				}
				keys = append(keys, [2]int{ks, ke})
				lastValEnd = ve
			}
		}
		if i = skipSpace(b, i); i >= n {
			return -1, 0, false
		}
	}
	selfClosing = start && b[i-2] == '/' && (len(keys) == 0 || i-2 != lastValEnd-1)
	return i, nameEnd, selfClosing
}

func asciiEqualFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		c, d := a[i], b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
