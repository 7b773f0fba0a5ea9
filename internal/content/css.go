package content

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Style says what <style> elements in a body do to the page.
type Style string

// The style policies. The old system kept <style> elements, and a feed's
// CSS then restyled the whole site page ("body{...}", "p{...}").
const (
	// StyleScope wraps the CSS in "@scope{...}", which limits it to the
	// element holding the <style> (in a post, the body's <div>). Browsers
	// without @scope ignore the rules, as StyleDrop would. The default.
	StyleScope Style = "scope"
	// StyleKeep keeps <style> elements as the feed gave them, like the
	// old system.
	StyleKeep Style = "keep"
	// StyleDrop removes <style> elements and stylesheet <link>s.
	StyleDrop Style = "drop"
)

// Styles lists the valid policies.
var Styles = []Style{StyleScope, StyleKeep, StyleDrop}

// orDefault maps "" (and any unknown value) to StyleScope.
func (s Style) orDefault() Style {
	switch s {
	case StyleKeep, StyleDrop:
		return s
	}
	return StyleScope
}

// cssText decodes CSS escapes and drops comments, white space and
// controls, lower-cased, so that "expr/**/ession" and "\65 xpression"
// read "expression".
//
// With strings set, "/*" inside a quoted string starts no comment, as in
// CSS; without, it does, as some old parsers had it. Checks read both.
func cssText(b []byte, s string, strings_ bool) []byte {
	var quote byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case strings_ && quote == 0 && (c == '"' || c == '\''):
			quote = c
			b = append(b, c)
			i++
		case quote != 0 && c == quote:
			quote = 0
			b = append(b, c)
			i++
		case quote == 0 && c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return b
			}
			i += end + 4
		case c == '\\':
			i++
			if i >= len(s) {
				continue
			}
			j := i
			for j < len(s) && j < i+6 && isHex(s[j]) {
				j++
			}
			if j > i {
				n, _ := strconv.ParseUint(s[i:j], 16, 32)
				r := rune(n)
				if r == 0 || !utf8.ValidRune(r) {
					r = utf8.RuneError
				}
				b = appendLower(b, r)
				if j < len(s) && isSpace(s[j]) {
					j++
				}
				i = j
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != '\n' && r != '\r' && r != '\f' {
				b = appendLower(b, r)
			}
			i += size
		case c <= ' ':
			i++
		case c < utf8.RuneSelf:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b = appendLower(b, r)
			i += size
		}
	}
	return b
}

func appendLower(b []byte, r rune) []byte {
	if r <= ' ' {
		return b
	}
	if 'A' <= r && r <= 'Z' {
		r += 'a' - 'A'
	}
	return utf8.AppendRune(b, r)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// cssThreats are what makes CSS run script in some browser: IE's
// expression() and behaviors, Firefox's XBL bindings, script URLs.
var cssThreats = []string{"expression(", "javascript:", "vbscript:", "livescript:", "-moz-binding", "behavior:", "behaviour:"}

// dangerousCSS reports whether CSS text can run script.
func dangerousCSS(s string) bool {
	var arr [512]byte
	for _, strs := range []bool{true, false} {
		t := cssText(arr[:0], s, strs)
		for _, p := range cssThreats {
			if bytes.Contains(t, []byte(p)) {
				return true
			}
		}
	}
	return false
}

// balanced reports whether CSS text has matching braces outside strings,
// comments, escapes and url(), and no unterminated string or comment: only
// then can it be wrapped in a block that it cannot close early.
func balanced(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				end := strings.Index(s[i+2:], "*/")
				if end < 0 {
					return false
				}
				i += end + 3
			}
		case '"', '\'':
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' {
					j++
				} else if s[j] == '\n' || s[j] == '\r' || s[j] == '\f' {
					return false
				}
			}
			if j >= len(s) {
				return false
			}
			i = j
		case '\\':
			i++
		case '(':
			// url( without quotes is one token that may hold braces.
			if i >= 3 && strings.EqualFold(s[i-3:i], "url") && (i == 3 || !identByte(s[i-4])) {
				j := skipSpace([]byte(s), i+1) // small; url() is rare
				if j < len(s) && (s[j] == '"' || s[j] == '\'') {
					continue
				}
				end := strings.IndexByte(s[i:], ')')
				if end < 0 || strings.ContainsAny(s[i:i+end], "{}\"'\\") {
					return false
				}
				i += end
			}
		case '{':
			depth++
		case '}':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

func identByte(c byte) bool {
	return c == '-' || c == '_' || c == '\\' || c >= 0x80 || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

const scopeOpen = "@scope{"

// scoped reports whether CSS is already wrapped by scopeCSS.
func scoped(s string) bool {
	inner, ok := strings.CutPrefix(s, scopeOpen)
	if !ok || !strings.HasSuffix(inner, "}") {
		return false
	}
	return balanced(inner[:len(inner)-1])
}

// styleContent makes a <style> element's text safe to read both as CSS
// (its meaning in HTML) and as markup (its meaning inside SVG or MathML):
// "<" becomes the CSS escape "\3c ", which means "<" in CSS strings, and
// the legacy "<!--" hiding, which CSS ignores, goes.
func styleContent(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	s = strings.ReplaceAll(s, "<!--", "")
	return strings.ReplaceAll(s, "<", `\3c `)
}

// maxZIndex is the highest z-index a body keeps: enough to stack its own
// figures, below what sites give their headers and menus.
const maxZIndex = 10

// confinePositions removes the declarations of CSS text (a style
// attribute's or a <style> element's) that would take an element out of
// the body onto the rest of the page: a position other than static or
// relative (fixed and sticky stay on screen whatever scrolls; absolute
// places the element against the page when nothing in the body is
// positioned, as in a Hexo theme) and a z-index above maxZIndex, which
// would lay it over the site's header. It returns s and false when
// nothing goes; the rest of s keeps its bytes.
func confinePositions(s string) (string, bool) {
	if !containsLower(s, "position") && !containsLower(s, "z-index") && strings.IndexByte(s, '\\') < 0 {
		return s, false
	}
	var out strings.Builder
	done := 0 // s[:done] is in out
	for i := 0; i < len(s); {
		// A declaration, or a rule's selector: read up to ":" or the end
		// of the part.
		start := i
		colon, c := cssScan(s, i, ":;{}")
		if c != ':' {
			i = colon + 1
			continue
		}
		end, c := cssScan(s, colon+1, ";{}")
		switch c {
		case '{':
			i = end + 1 // a selector with a pseudo-class ("a:hover{")
			continue
		case ';':
			i = end + 1
		default: // "}" or the end of s
			i = end
			if c == '}' {
				i++
			}
		}
		if keepDeclaration(s[start:colon], s[colon+1:end]) {
			continue
		}
		// The declaration goes from its first byte (after white space)
		// through its ";".
		from := start
		for from < colon && isSpace(s[from]) {
			from++
		}
		to := end
		if c == ';' {
			to++
		}
		out.WriteString(s[done:from])
		done = to
	}
	if done == 0 {
		return s, false
	}
	out.WriteString(s[done:])
	return out.String(), true
}

// keepDeclaration reports whether a declaration, its name and value as
// raw CSS, keeps its element in the body.
func keepDeclaration(name, value string) bool {
	var buf [64]byte
	n := string(cssText(buf[:0], name, true))
	if n != "position" && n != "z-index" {
		return true
	}
	v := string(cssText(buf[:0], value, true))
	v = strings.TrimSuffix(v, "!important")
	switch v {
	case "inherit", "initial", "unset":
		return true
	case "revert", "revert-layer":
		// Back to the browser's own style, which positions a <dialog>
		// (absolute) and a popover (fixed); static elsewhere.
		return n == "z-index"
	}
	if n == "position" {
		return v == "static" || v == "relative"
	}
	if v == "auto" {
		return true
	}
	z, err := strconv.Atoi(v)
	return err == nil && z <= maxZIndex
}

// cssScan returns the index of the first of stops in s from i that is
// outside strings, comments, escapes and brackets, and that byte; len(s)
// and 0 when there is none.
func cssScan(s string, i int, stops string) (int, byte) {
	depth := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			i++
			continue
		case '"', '\'':
			for i++; i < len(s) && s[i] != c && s[i] != '\n'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			continue
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				end := strings.Index(s[i+2:], "*/")
				if end < 0 {
					return len(s), 0
				}
				i += end + 3
			}
			continue
		case '(', '[':
			depth++
			continue
		case ')', ']':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 && strings.IndexByte(stops, c) >= 0 {
			return i, c
		}
	}
	return len(s), 0
}

// containsLower reports whether s contains lower, a lower-case ASCII
// word, in any letter case.
func containsLower(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := strings.IndexAny(s[i:], lower[:1]+strings.ToUpper(lower[:1]))
		if j < 0 {
			return false
		}
		i += j
		if i+len(lower) <= len(s) && strings.EqualFold(s[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}
