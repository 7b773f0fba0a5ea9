package site

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/content"
)

// excerptRunes is how much of a post's text lists and the search index
// carry.
const excerptRunes = 120

// siteBody prepares a cleaned body for the site's pages: every <img> is
// lazy-loaded and sends no referrer (hotlink-protected images display),
// and with the builtin proxy its http(s) sources go through it. Only
// <img> tags that need a change are rewritten; every other byte stays.
//
// Tags are found as the tokenizer finds them (imgTags), never by
// searching the text: "<img" inside an attribute value, a comment or raw
// text is no tag, and rewriting it there as one would turn text into
// markup (`<p title="<img onerror=x>">` into a <p> with an onerror
// handler). A body without "<img" anywhere has no <img> and is not read.
func (b *builder) siteBody(body string) string {
	if indexImg(body) < 0 {
		return body
	}
	var buf [16]tagSpan
	tags, ok := imgTags(body, buf[:0])
	if !ok {
		tags = tokenImgTags(body, buf[:0])
	}
	var out strings.Builder
	done := 0 // body[:done] is in out (or unchanged so far)
	for _, t := range tags {
		tag := body[t.start:t.end]
		attrs, selfClosing, ok := scanImg(tag)
		if !ok {
			attrs, selfClosing, ok = tokenizeImg(tag)
			if !ok {
				continue // cannot happen: the tokenizer read it as an <img>
			}
		}
		newTag, changed := b.imgTag(tag, attrs, selfClosing)
		if !changed {
			continue
		}
		if out.Len() == 0 {
			out.Grow(len(body) + 256)
		}
		out.WriteString(body[done:t.start])
		out.WriteString(newTag)
		done = t.end
	}
	if done == 0 {
		return body
	}
	out.WriteString(body[done:])
	return out.String()
}

// tokenizeImg reads tag, one whole start tag, with the tokenizer, which
// lower-cases names, keeps the first of duplicates and decodes values; ok
// is false unless it is an <img>.
func tokenizeImg(tag string) (attrs []html.Attribute, selfClosing, ok bool) {
	z := html.NewTokenizer(strings.NewReader(tag))
	tt := z.Next()
	if tt != html.StartTagToken && tt != html.SelfClosingTagToken || len(z.Raw()) != len(tag) || !isImgTag(z.Raw()) {
		return nil, false, false
	}
	_, more := z.TagName()
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		attrs = append(attrs, html.Attribute{Key: string(k), Val: string(v)})
	}
	return attrs, tt == html.SelfClosingTagToken, true
}

// isImgTag reports whether a start tag's raw bytes name an <img>.
func isImgTag(raw []byte) bool {
	if len(raw) < 5 || raw[0] != '<' || !lowerIs(string(raw[1:4]), "img") {
		return false
	}
	switch raw[4] {
	case ' ', '\t', '\n', '\r', '\f', '/', '>':
		return true
	}
	return false
}

// indexImg returns the index of the first "<img" that could open a tag
// (any letter case, followed by a space, "/" or ">"), or -1: without one,
// a body has no <img>.
func indexImg(s string) int {
	for k := 0; ; {
		i := strings.IndexByte(s[k:], '<')
		if i < 0 {
			return -1
		}
		i += k
		if i+5 <= len(s) && lowerIs(s[i+1:i+4], "img") {
			switch s[i+4] {
			case ' ', '\t', '\n', '\r', '\f', '/', '>':
				return i
			}
		}
		k = i + 1
	}
}

// scanImg is the tokenizer's reading of an <img> start tag (the raw bytes
// of one the tokenizer found), by hand and without copying the values:
// the tokenizer's own reading allocates every name and value. It follows
// readTag and readStartTag of x/net/html step by step (lower-cased
// names, the first of duplicate names, the self-closing check) and gives
// up (ok false) on what it does not handle: entities, NUL and carriage
// returns, which the tokenizer rewrites, and a tag that ends inside a
// value. FuzzScanImg compares the two.
func scanImg(tag string) (attrs []html.Attribute, selfClosing, ok bool) {
	n := len(tag)
	if n < 5 || tag[n-1] != '>' || strings.ContainsAny(tag, "&\x00\r") {
		return nil, false, false
	}
	i := 4
	if isSpace(tag[i]) {
		i++
	}
	skip := func() {
		for i < n && isSpace(tag[i]) {
			i++
		}
	}
	skip()
	lastEnd := -1 // end of the last kept attribute's value
	closed := false
	for i < n {
		if tag[i] == '>' {
			i++
			closed = true
			break
		}
		ks := i
		for i < n {
			c := tag[i]
			if c == '=' && i == ks {
				i++
				continue
			}
			if isSpace(c) || c == '/' || c == '>' || c == '=' {
				break
			}
			i++
		}
		ke := i
		vs, ve := i, i
		skip()
		if i < n {
			switch tag[i] {
			case '/':
				i++
			case '=':
				i++
				skip()
				if i >= n {
					break
				}
				switch q := tag[i]; q {
				case '>':
				case '\'', '"':
					i++
					vs = i
					k := strings.IndexByte(tag[i:], q)
					if k < 0 {
						return nil, false, false // the tag ends inside the value
					}
					ve = i + k
					i = ve + 1
				default:
					vs = i
					for i < n && !isSpace(tag[i]) && tag[i] != '>' {
						i++
					}
					ve = i
				}
			}
		}
		if ks != ke {
			key := lowerASCII(tag[ks:ke])
			if !slices.ContainsFunc(attrs, func(a html.Attribute) bool { return a.Key == key }) {
				attrs = append(attrs, html.Attribute{Key: key, Val: tag[vs:ve]})
				lastEnd = ve
			}
		}
		skip()
	}
	if !closed || i != n {
		return nil, false, false
	}
	selfClosing = tag[n-2] == '/' && (len(attrs) == 0 || n-2 != lastEnd-1)
	return attrs, selfClosing, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

// lowerASCII lower-cases A to Z only, as the tokenizer does names.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// imgTag returns the <img> tag orig (its attributes read as attrs) with
// the site's attributes, and whether it differs from orig. Attributes it
// only adds go right after "<img", and the rest of the tag keeps its
// bytes; a tag whose values change is written anew.
func (b *builder) imgTag(orig string, attrs []html.Attribute, selfClosing bool) (string, bool) {
	changed := false
	var lazy, policy bool
	for i, a := range attrs {
		switch a.Key {
		case "loading":
			lazy = true
		case "referrerpolicy":
			policy = true
		case "src":
			if p := b.imageURL(strings.TrimSpace(a.Val)); p != a.Val {
				attrs[i].Val, changed = p, true
			}
		case "srcset":
			if p := b.srcset(a.Val); p != a.Val {
				attrs[i].Val, changed = p, true
			}
		}
	}
	if !changed {
		if lazy && policy {
			return "", false
		}
		add := "<img"
		if !lazy {
			add += ` loading="lazy"`
		}
		if !policy {
			add += ` referrerpolicy="no-referrer"`
		}
		return add + orig[len("<img"):], true
	}
	if !lazy {
		attrs = append(attrs, html.Attribute{Key: "loading", Val: "lazy"})
	}
	if !policy {
		attrs = append(attrs, html.Attribute{Key: "referrerpolicy", Val: "no-referrer"})
	}
	var s strings.Builder
	s.WriteString("<img")
	for _, a := range attrs {
		s.WriteString(" " + a.Key + `="` + html.EscapeString(a.Val) + `"`)
	}
	if selfClosing {
		s.WriteString(" /")
	}
	s.WriteString(">")
	return s.String(), true
}

// imageURL is the URL a page uses for an image: through the builtin proxy
// when it is on and the image is on the web, else as it is.
func (b *builder) imageURL(u string) string {
	if b.cfg.ImageProxy == nil || u == "" {
		return u
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return u
	}
	return b.cfg.ImageProxy.URL(b.cfg.ImagePath(), u)
}

// srcset proxies each candidate of a srcset attribute.
func (b *builder) srcset(v string) string {
	if b.cfg.ImageProxy == nil {
		return v
	}
	parts := strings.Split(v, ",")
	for i, p := range parts {
		f := strings.Fields(p)
		if len(f) == 0 {
			continue
		}
		f[0] = b.imageURL(f[0])
		parts[i] = strings.Join(f, " ")
	}
	return strings.Join(parts, ", ")
}

// excerpt returns the start of an HTML fragment's text, whitespace
// collapsed, at most excerptRunes runes (with an ellipsis when cut).
func excerpt(fragment string) string {
	var out strings.Builder
	out.Grow(excerptRunes * 3)
	n := 0
	space := false
	z := html.NewTokenizer(strings.NewReader(fragment))
	skip := 0 // inside <script>, <style>, ...
	for n < excerptRunes {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.Clone(strings.TrimSpace(out.String()))
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "noscript", "template", "textarea", "title":
				skip++
			case "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "figcaption":
				space = true
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "noscript", "template", "textarea", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "figcaption":
				space = true
			}
		case html.SelfClosingTagToken:
			name, _ := z.TagName()
			if string(name) == "br" {
				space = true
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			for _, r := range string(z.Text()) {
				if unicode.IsSpace(r) || r == '\u00a0' || r == '\u3000' {
					space = true
					continue
				}
				if r == utf8.RuneError || unicode.IsControl(r) {
					continue
				}
				if space && out.Len() > 0 {
					out.WriteByte(' ')
					n++
				}
				space = false
				out.WriteRune(r)
				n++
				if n >= excerptRunes {
					out.WriteString("…")
					break
				}
			}
		}
	}
	// A copy of exactly its size: the builder's spare capacity would
	// otherwise stay allocated for every post of the site.
	return strings.Clone(strings.TrimSpace(out.String()))
}

// safeLink returns an item link fit for an href: http(s) only.
func safeLink(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}

// What one item may keep. A feed carries its entries' bodies, each in up
// to four lists of three formats, and a build holds the entries of every
// item on a feed until the feeds are written: a body of 14 MiB became
// 168 MiB of feeds and most of a build's memory. Feeds carry the first
// maxFeedBody bytes of a body and a link to the post, whose page has it
// all; maxBodyBytes bounds the bodies read and not yet rendered.
const (
	maxFeedBody  = 128 << 10
	maxBodyBytes = 16 << 20
)

// feedBody is the body an item's feed entries carry: body, its post's
// body, or, when that is larger than maxFeedBody, the start of the cleaned
// body (cut between tokens, its elements closed by the cleaner) and a link
// to the post.
func (b *builder) feedBody(it *item, cleaned, body string) string {
	if len(body) <= maxFeedBody {
		return body
	}
	start := content.Process(cutHTML(cleaned, maxFeedBody), it.Link, b.cfg.Content).HTML
	return b.siteBody(start) + `<p><a href="` + html.EscapeString(b.abs(it.rel)) + `">阅读全文</a></p>`
}

// cutHTML returns the start of an HTML fragment, at most limit bytes, cut
// between tokens (a long text between characters), never inside a
// raw-text element such as <style> or <textarea>.
func cutHTML(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	pos, safe := 0, 0 // s[:safe] can end the fragment
	raw := ""         // the raw-text element open
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return s[:safe]
		}
		n := len(z.Raw())
		if pos+n > limit {
			if tt == html.TextToken && raw == "" {
				// As much of the text as fits, whole characters and
				// character references.
				text := s[pos:limit]
				for len(text) > 0 && !utf8.RuneStart(s[pos+len(text)]) {
					text = text[:len(text)-1]
				}
				if amp := strings.LastIndexByte(text, '&'); amp >= 0 && !strings.Contains(text[amp:], ";") {
					text = text[:amp]
				}
				return s[:pos+len(text)]
			}
			return s[:safe]
		}
		pos += n
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if name, _ := z.TagName(); raw == "" {
				raw = rawTextElement(string(name))
			}
		case html.EndTagToken:
			raw = ""
		}
		if raw == "" {
			safe = pos
		}
	}
}
