package content

import (
	"net/url"
	"path"
	"strings"
)

// squeeze lower-cases s and drops every byte up to and including space.
// Browsers strip leading C0 controls and spaces from a URL and tab and
// newline anywhere in it; dropping all of them, and NUL, finds the
// scheme under any such disguise ("java\tscript:", "&#14;javascript:").
func squeeze(s string, limit int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < limit; i++ {
		c := s[i]
		if c <= ' ' {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// scriptSchemes are URL schemes that run script when a link is followed
// or a frame loads them.
var scriptSchemes = []string{"javascript:", "vbscript:", "livescript:", "mocha:"}

// hasPrefixSqueezed reports whether v, squeezed, starts with prefix
// (lower-case ASCII), without building the squeezed string.
func hasPrefixSqueezed(v, prefix string) bool {
	j := 0
	for i := 0; i < len(v) && j < len(prefix); i++ {
		c := v[i]
		if c <= ' ' {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
		j++
	}
	return j == len(prefix)
}

// scriptURL reports whether v, a decoded attribute value, would run as
// script if a browser used it as a URL.
func scriptURL(v string) bool {
	for _, p := range scriptSchemes {
		if hasPrefixSqueezed(v, p) {
			return true
		}
	}
	return false
}

// containsScriptURL reports whether a script scheme appears anywhere in v
// (lists of URLs: srcset, SVG animation values).
func containsScriptURL(v string) bool {
	s := squeeze(v, len(v))
	for _, p := range scriptSchemes {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// dataMIME returns the media type of a data: URL, and false for other URLs.
func dataMIME(v string) (string, bool) {
	if !hasPrefixSqueezed(v, "data:") {
		return "", false
	}
	s := squeeze(v, 64)
	rest := strings.TrimPrefix(s, "data:")
	if i := strings.IndexAny(rest, ";,"); i >= 0 {
		rest = rest[:i]
	}
	return rest, true
}

// dataAllowed reports whether a data: URL of type mime may stay in
// attribute name of element tag. Images and media never run script; an
// SVG document does when it is framed or navigated to, so SVG stays only
// where it is shown as an image.
func dataAllowed(tag, name, mime string) bool {
	switch {
	case mime == "image/svg+xml":
		switch tag {
		case "img", "source", "picture":
			return name == "src" || name == "srcset"
		case "video":
			return name == "poster"
		case "image":
			return name == "href" || name == "xlink:href"
		}
		return false
	case strings.HasPrefix(mime, "image/"), strings.HasPrefix(mime, "audio/"), strings.HasPrefix(mime, "video/"):
		return true
	}
	return false
}

// urlAttr reports the attributes whose values browsers load or follow as
// URLs.
func urlAttr(name string) bool {
	switch name {
	case "href", "src", "xlink:href", "action", "formaction", "data",
		"poster", "background", "lowsrc", "dynsrc", "srcset", "codebase",
		"cite", "longdesc", "usemap", "profile", "ping", "manifest",
		"icon", "archive", "classid", "code", "xml:base", "imagesrcset":
		return true
	}
	return false
}

// hasScheme reports whether s starts with a URL scheme ("http:", "mailto:").
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// trimSpace is strings.Trim(s, " \t\n\r\f"), without building the set
// of those bytes for each call.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// baseURL returns the URL relative references resolve against: the item
// link, or xml:base resolved against it. Only http(s) bases count.
func baseURL(link, xmlBase string) *url.URL {
	u, err := url.Parse(trimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		u = nil
	}
	if xmlBase = trimSpace(xmlBase); xmlBase != "" {
		b, err := url.Parse(xmlBase)
		if err == nil {
			if u != nil {
				b = u.ResolveReference(b)
			}
			if (b.Scheme == "http" || b.Scheme == "https") && b.Host != "" {
				u = b
			}
		}
	}
	return u
}

// absolute makes a relative reference absolute against base. It keeps the
// reference's own text where it can ("//host/a" and "/a" only gain a
// prefix) and leaves absolute URLs, fragments and placeholders alone.
//
// A fragment ("#note1") stays in links, where it points into the post
// itself; as a src it names the item's page like any relative URL.
func absolute(v string, base *url.URL, link bool) (string, bool) {
	t := trimSpace(v)
	if base == nil || t == "" || (link && t[0] == '#') || hasScheme(t) || isNothing(t) {
		return v, false
	}
	switch {
	case strings.HasPrefix(t, "//"):
		return base.Scheme + ":" + t, true
	case t[0] == '/' && !strings.HasPrefix(t, "/\\"):
		return base.Scheme + "://" + base.Host + t, true
	}
	r, err := url.Parse(t)
	if err != nil {
		return v, false
	}
	return base.ResolveReference(r).String(), true
}

// isNothing reports values that scripts write into src when they have
// no URL.
func isNothing(t string) bool {
	switch strings.ToLower(t) {
	case "undefined", "null", "none", "about:blank":
		return true
	}
	return false
}

// srcsetURLs returns the [start, end) offsets of each candidate URL of a
// srcset value, following the HTML standard's parsing algorithm.
func srcsetURLs(s string) [][2]int {
	var out [][2]int
	i := 0
	for {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return out
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		end := i
		if s[end-1] == ',' {
			for end > start && s[end-1] == ',' {
				end--
			}
			if end > start {
				out = append(out, [2]int{start, end})
			}
			continue
		}
		out = append(out, [2]int{start, end})
		// Descriptors run to the next comma outside parentheses.
		depth := 0
		for i < len(s) {
			c := s[i]
			if c == '(' {
				depth++
			} else if c == ')' && depth > 0 {
				depth--
			} else if c == ',' && depth == 0 {
				i++
				break
			}
			i++
		}
	}
}

// mapSrcset applies f to each URL of a srcset and keeps every other byte.
func mapSrcset(s string, f func(string) string) string {
	spans := srcsetURLs(s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		b.WriteString(s[pos:sp[0]])
		b.WriteString(f(s[sp[0]:sp[1]]))
		pos = sp[1]
	}
	b.WriteString(s[pos:])
	return b.String()
}

// firstSrcsetURL returns the first candidate URL of a srcset.
func firstSrcsetURL(s string) string {
	spans := srcsetURLs(s)
	if len(spans) == 0 {
		return ""
	}
	return s[spans[0][0]:spans[0][1]]
}

// placeholder reports whether src is a stand-in that lazy-loading script
// replaces: empty, "undefined", a data: URI (a 1×1 GIF or an SVG box), or
// an image whose file name says loading, blank, spacer, pixel, ...
func placeholder(src string) bool {
	t := trimSpace(src)
	if t == "" || t == "#" || isNothing(t) {
		return true
	}
	if _, ok := dataMIME(t); ok {
		return true
	}
	p := t
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	name := strings.ToLower(path.Base(p))
	for _, w := range []string{"loading", "lazy", "placeholder", "blank.", "spacer", "pixel.", "transparent", "grey.", "gray.", "1x1", "empty.", "load.gif", "default.gif", "zhanwei"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}
