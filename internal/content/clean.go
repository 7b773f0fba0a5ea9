package content

import (
	"bytes"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/html"
)

// cleaner is one pass over one body. Cleaners are reused (newCleaner,
// release): a new one for each body cost a dozen allocations, a tenth of
// its cleaning.
type cleaner struct {
	opts  Options
	style Style
	link  string
	// base is the base of relative URLs (baseURL of link), once based
	// says it is read: most bodies have none, and reading it was a
	// fortieth of their cleaning.
	base  *url.URL
	based bool

	z tokens
	w writer
	// eager: the writer writes every kept token at once (tests).
	eager bool

	pre     int  // open <pre> and <listing> elements
	sawLazy bool // a lazy image was fixed: <noscript> copies are redundant
	image   string
	// imageLater: the first image's tag spans lines, which the writer may
	// change; Image is read from the output instead.
	imageLater bool
	tag        rawTag // reused for each start tag
	scratch    []byte // reused for each rewritten tag
	// open are the container elements open at this point, innermost last.
	open []string
}

// cleaners holds the cleaners that are not in use.
var cleaners sync.Pool // *cleaner

// newCleaner returns a cleaner for one body, with the memory of one used
// before.
func newCleaner(opts Options, style Style, link string, eager bool) *cleaner {
	c, _ := cleaners.Get().(*cleaner)
	if c == nil {
		c = &cleaner{}
	}
	*c = cleaner{opts: opts, style: style, link: link, eager: eager,
		tag:     rawTag{attrs: c.tag.attrs, edits: c.tag.edits, sorted: c.tag.sorted},
		scratch: c.scratch, open: c.open[:0]}
	return c
}

// maxKept bounds the memory a released cleaner keeps, in attributes of
// one tag and bytes of one rewritten tag: a hostile tag can have tens of
// thousands.
const maxKept = 256

// release gives c back for another body. Nothing it keeps points into
// the body, which would keep the body too.
func (c *cleaner) release() {
	keep := func(n int) bool { return n <= maxKept }
	attrs, edits, sorted, scratch, open := c.tag.attrs, c.tag.edits, c.tag.sorted, c.scratch, c.open
	clear(attrs[:cap(attrs)])
	clear(edits[:cap(edits)])
	clear(sorted[:cap(sorted)])
	clear(open[:cap(open)])
	*c = cleaner{}
	if keep(cap(attrs)) && keep(cap(edits)) && keep(cap(sorted)) && keep(cap(open)) && keep(cap(scratch)/16) {
		c.tag = rawTag{attrs: attrs[:0], edits: edits[:0], sorted: sorted[:0]}
		c.scratch, c.open = scratch[:0], open[:0]
	}
	cleaners.Put(c)
}

// isContainer reports the elements whose stray end tag would close the
// post's own <div> or the page's, and whose missing end tag would swallow
// the page after the post. The cleaner keeps them balanced.
func isContainer(name string) bool {
	switch name {
	case "div", "section", "article", "main", "aside", "header", "footer",
		"nav", "table", "ul", "ol", "dl", "blockquote", "figure",
		"details", "center":
		return true
	}
	return false
}

// closeContainer records the end tag of container n and reports whether
// it closes an open one. An end tag with no open element of its name goes,
// as does one that a browser ignores because an open table stands between.
func (c *cleaner) closeContainer(n string) bool {
	for i := len(c.open) - 1; i >= 0; i-- {
		switch c.open[i] {
		case n:
			c.open = c.open[:i]
			return true
		case "table":
			return false
		}
	}
	return false
}

// tagName returns the lower-cased name of the tag in raw ("<name" or
// "</name"), as the tokenizer reads it, without allocating for the names
// the cleaner looks at.
func tagName(raw []byte) string {
	i := 1
	if len(raw) > 1 && raw[1] == '/' {
		i = 2
	}
	j := i
	for j < len(raw) && !isSpace(raw[j]) && raw[j] != '/' && raw[j] != '>' {
		j++
	}
	var buf [16]byte
	if j-i > len(buf) {
		return strings.ToLower(string(raw[i:j]))
	}
	n := copy(buf[:], raw[i:j])
	for k := 0; k < n; k++ {
		if c := buf[k]; 'A' <= c && c <= 'Z' {
			buf[k] = c + 'a' - 'A'
		}
	}
	if name := commonTag(buf[:n]); name != "" {
		return name
	}
	if name, ok := knownTags[string(buf[:n])]; ok {
		return name
	}
	return string(buf[:n])
}

// commonTag interns the names of most tags of news bodies, without the
// hashing of a map lookup.
func commonTag(b []byte) string {
	switch string(b) {
	case "p":
		return "p"
	case "a":
		return "a"
	case "img":
		return "img"
	case "br":
		return "br"
	case "span":
		return "span"
	case "div":
		return "div"
	case "strong":
		return "strong"
	case "b":
		return "b"
	case "em":
		return "em"
	case "i":
		return "i"
	case "li":
		return "li"
	case "code":
		return "code"
	case "section":
		return "section"
	case "figure":
		return "figure"
	case "td":
		return "td"
	case "tr":
		return "tr"
	}
	return ""
}

// knownTags interns tag names.
var knownTags = func() map[string]string {
	m := map[string]string{}
	for _, n := range strings.Fields(`a abbr address applet area article aside audio b base bdi bdo blockquote body br button canvas caption center cite code col colgroup dd del details dfn div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html i iframe image img input ins kbd label legend li link listing main map mark marquee math meta nav noembed noframes noscript object ol optgroup option p param picture plaintext pre q rp rt ruby s samp script section select small source span strike strong style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp animate set animatemotion animatecolor animatetransform`) {
		m[n] = n
	}
	return m
}()

// lazySrc are the attributes lazy-loading scripts copy into src, best first.
var lazySrc = []string{"data-src", "data-original", "data-original-src", "data-actualsrc", "data-lazy-src", "data-lazyload", "data-lazy", "data-echo"}

// lazySrcset are the attributes they copy into srcset.
var lazySrcset = []string{"data-srcset", "data-lazy-srcset", "data-original-srcset"}

// dropsEndTag reports the elements whose end tags go too: their start
// tags are dropped (<object>'s fallback content stays) or the whole
// element is.
func dropsEndTag(name string) bool {
	switch name {
	case "object", "applet", "embed", "param", "base",
		"html", "head", "body", "plaintext",
		"noscript", "noembed", "noframes", "script":
		return true
	}
	return false
}

// animations are SVG elements that can set another attribute's value.
var animations = map[string]bool{"animate": true, "set": true, "animatemotion": true, "animatecolor": true, "animatetransform": true}

// isAnimation is animations[name], without hashing name for every
// attribute.
func isAnimation(name string) bool {
	switch name {
	case "animate", "set", "animatemotion", "animatecolor", "animatetransform":
		return true
	}
	return false
}

func (c *cleaner) next() html.TokenType {
	return c.z.Next()
}

// run cleans one body.
func (c *cleaner) run(body string) string {
	c.z.reset(body)
	c.w = writer{in: body, blank: true, eager: c.eager}
	for {
		tt := c.next()
		switch tt {
		case html.ErrorToken:
			// The tokenizer stops before a tag cut off by the end of the
			// body. A browser reading the body alone drops it; in a post it
			// would swallow the page after the body ("</div>"). It goes.
			// Containers left open are closed for the same reason.
			for i := len(c.open) - 1; i >= 0; i-- {
				c.w.writeString("</"+c.open[i]+">", false)
			}
			out := c.w.text(body)
			if c.imageLater {
				c.image = FirstImage(out)
			}
			return out
		case html.TextToken:
			c.text(c.z.Raw())
		case html.CommentToken:
			c.comment(c.z.Raw())
		case html.DoctypeToken:
			raw := c.z.Raw()
			c.keep(false)
			if raw[len(raw)-1] != '>' {
				c.w.writeString(">", false)
			}
		case html.EndTagToken:
			switch n := tagName(c.z.Raw()); {
			case dropsEndTag(n):
			case n == "pre" || n == "listing":
				if c.pre > 0 {
					c.pre--
				}
				c.keep(false)
			case isContainer(n):
				if c.closeContainer(n) {
					c.keep(false)
				}
			default:
				c.keep(false)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			// "<div/>" opens a div in HTML, so it counts as open too.
			n := tagName(c.z.Raw())
			if isContainer(n) {
				c.open = append(c.open, n)
			}
			c.startTag(n, tt == html.SelfClosingTagToken)
		}
	}
}

// keep writes the current token as it is.
func (c *cleaner) keep(pre bool) {
	from, to := c.z.Span()
	c.w.keep(from, to, pre)
}

// text writes a text token. A "<" that ends it (alone, or as "</" at the
// end of the body) is text only because of what follows: the "<" of a
// tag, or nothing. When that tag goes, or the page follows the post, it
// would start a tag made of the text after it ("<<noscript>img src=x
// onerror=…>" would leave an <img>), so it is written "&lt;", which
// reads the same.
func (c *cleaner) text(raw []byte) {
	n := len(raw)
	k := -1
	switch {
	case n >= 1 && raw[n-1] == '<':
		k = n - 1
	case n >= 2 && raw[n-2] == '<' && raw[n-1] == '/':
		k = n - 2
	}
	from, to := c.z.Span()
	if k < 0 {
		c.w.keep(from, to, c.pre > 0)
		return
	}
	c.w.keep(from, from+k, c.pre > 0)
	c.w.writeString("&lt;", c.pre > 0)
	c.w.keep(from+k+1, to, c.pre > 0)
}

// comment keeps a comment, closing it if the body ends inside it. A
// "<![CDATA[" section is a comment up to the first ">" in HTML but runs to
// "]]>" inside SVG and MathML; the two readings would see different tags,
// so it goes.
func (c *cleaner) comment(raw []byte) {
	if len(raw) >= 9 && strings.EqualFold(string(raw[:9]), "<![cdata[") {
		return
	}
	c.keep(false)
	if bytes.HasPrefix(raw, []byte("<!--")) {
		// Closed or cut off as the tokenizer read it: "<!--!>" and
		// "<!---!>" end in "--!>" and are still open.
		if commentEnd(raw, len("<!--")) != len(raw) {
			c.w.writeString("-->", false)
		}
	} else if raw[len(raw)-1] != '>' {
		c.w.writeString(">", false)
	}
}

// plainTags need no look at their attributes when they have none.
func plainTag(name string) bool {
	switch name {
	case "p", "br", "strong", "b", "em", "i", "span", "div", "td", "tr", "th", "table", "tbody", "thead", "li", "ul", "ol",
		"h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "figcaption", "u", "sub", "sup", "hr", "section", "article", "small", "font", "center", "a", "code":
		return true
	}
	return false
}

// startTag writes the current token, a start tag named name.
func (c *cleaner) startTag(name string, selfClosing bool) {
	raw := c.z.Raw()
	if plainTag(name) && !hasAttrs(raw) {
		c.keep(false)
		return
	}
	switch name {
	case "script", "noembed", "noframes":
		// Their text is never shown (noembed and noframes are raw text
		// that browsers hide): the element goes whole.
		c.skipRaw()
		return
	case "noscript":
		// Browsers with script read a <noscript> as raw text, those
		// without as markup; the two readings would differ. The tags go:
		// after a fixed lazy image its content is the same image again and
		// goes too, otherwise it is read, and cleaned, as markup.
		if c.sawLazy {
			c.skipRaw()
		} else {
			c.z.NextIsNotRawText()
		}
		return
	case "plaintext":
		// Everything after it would be text, the page after the body too.
		if c.next() == html.TextToken {
			t := strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(string(c.z.Raw()))
			c.w.writeString(t, c.pre > 0)
		}
		return
	case "style":
		c.styleElement(raw, selfClosing)
		return
	case "object", "applet", "embed", "param", "base", "html", "head", "body":
		return
	case "meta":
		t := scanTag(raw, selfClosing)
		if t.first("http-equiv") != nil {
			return
		}
	case "link":
		if c.style != StyleKeep {
			t := scanTag(raw, selfClosing)
			if rel := t.first("rel"); rel != nil && strings.Contains(strings.ToLower(rel.val), "stylesheet") {
				return
			}
		}
	case "pre", "listing":
		c.pre++
	}
	t := scanTagInto(&c.tag, raw, c.z.RawString(), selfClosing)
	c.attributes(name, t)
	switch name {
	case "textarea", "title", "xmp", "iframe":
		// Raw text. Its "<" become "&lt;" so that it reads the same as
		// markup (inside SVG or MathML it is): in <textarea> and <title>
		// that is the same text; <iframe> text is never shown. A "/>" that
		// would close it inside SVG goes for the same reason.
		c.w.write(t.bytes(true), false)
		c.rawText(name, func(s string) string { return strings.ReplaceAll(s, "<", "&lt;") }, name == "textarea")
		return
	}
	if t.changed() {
		c.scratch = t.appendTo(c.scratch[:0], false)
		c.w.write(c.scratch, false)
	} else {
		c.keep(false)
	}
}

// hasAttrs reports whether a start tag has anything after its name.
func hasAttrs(raw []byte) bool {
	i := 1
	for i < len(raw) && !isSpace(raw[i]) && raw[i] != '/' && raw[i] != '>' {
		i++
	}
	for ; i < len(raw); i++ {
		if c := raw[i]; !isSpace(c) && c != '/' && c != '>' {
			return true
		}
	}
	return false
}

// skipRaw drops a raw-text element: its text and its end tag.
func (c *cleaner) skipRaw() {
	tt := c.next()
	if tt == html.TextToken {
		tt = c.next()
	}
	if tt == html.ErrorToken {
		return
	}
	if tt != html.EndTagToken {
		// The element was empty and what follows is ordinary markup.
		c.reprocess(tt)
	}
}

// reprocess handles a token that skipRaw or rawText read too far.
func (c *cleaner) reprocess(tt html.TokenType) {
	switch tt {
	case html.TextToken:
		c.text(c.z.Raw())
	case html.CommentToken:
		c.comment(c.z.Raw())
	case html.DoctypeToken:
		c.keep(false)
	case html.StartTagToken, html.SelfClosingTagToken:
		c.startTag(tagName(c.z.Raw()), tt == html.SelfClosingTagToken)
	case html.EndTagToken:
		c.keep(false)
	}
}

// rawText copies a kept raw-text element's text through fix and its end
// tag, adding the end tag when the body ends first.
func (c *cleaner) rawText(name string, fix func(string) string, pre bool) {
	tt := c.next()
	if tt == html.TextToken {
		c.w.writeString(fix(string(c.z.Raw())), pre)
		tt = c.next()
	}
	switch tt {
	case html.EndTagToken:
		c.keep(false)
	case html.ErrorToken:
		// The end tag is added before anything the tokenizer left.
		c.w.writeString("</"+name+">", false)
	default:
		c.w.writeString("</"+name+">", false)
		c.reprocess(tt)
	}
}

// styleElement applies the style policy to a <style> element.
func (c *cleaner) styleElement(raw []byte, selfClosing bool) {
	if c.style == StyleDrop {
		c.skipRaw()
		return
	}
	raw = bytes.Clone(raw) // the tokenizer reuses its buffer
	tt := c.next()
	text := ""
	if tt == html.TextToken {
		text = string(c.z.Raw())
		tt = c.next()
	}
	var end []byte
	switch tt {
	case html.EndTagToken:
		end = bytes.Clone(c.z.Raw())
	case html.ErrorToken:
		end = []byte("</style>")
	default:
		end = []byte("</style>")
		defer c.reprocess(tt)
	}
	// Entities are decoded too: inside SVG the text is markup.
	if dangerousCSS(text) || dangerousCSS(html.UnescapeString(text)) {
		return
	}
	text = styleContent(text)
	text, _ = confinePositions(text)
	if _, changed := confinePositions(html.UnescapeString(text)); changed {
		// Inside SVG the text is markup, its references decoded, and the
		// positioning that this reading hides would apply there.
		return
	}
	if c.style == StyleScope && !scoped(text) {
		if !balanced(text) {
			return // it could close the scope and restyle the page
		}
		text = scopeOpen + text + "}"
	}
	t := scanTag(raw, selfClosing)
	c.attributes("style", t)
	c.w.write(t.bytes(true), false)
	c.w.writeString(text, false)
	c.w.write(end, false)
}

// attributes cleans a start tag's attributes and, for images and media,
// applies the display fixes.
func (c *cleaner) attributes(tag string, t *rawTag) {
	for i := range t.attrs {
		a := &t.attrs[i]
		if unsafeAttr(tag, a) || topLayerAttr(a.lname) {
			t.remove(a)
		}
	}
	switch tag {
	case "img", "iframe", "video", "audio", "source":
		c.lazy(tag, t)
	}
	for i := range t.attrs {
		a := &t.attrs[i]
		if a.removed {
			continue
		}
		cur := current(a)
		switch a.lname {
		case "style":
			if v, changed := confinePositions(cur); changed {
				t.set(a, v)
			}
		case "src", "href", "poster":
			if v, ok := c.absolute(cur, a.lname == "href"); ok && v != cur {
				t.set(a, v)
			}
		case "srcset", "data-srcset", "data-lazy-srcset", "data-original-srcset":
			v := mapSrcset(cur, func(u string) string {
				v, _ := c.absolute(u, false)
				return v
			})
			if v != cur {
				t.set(a, v)
			}
		default:
			if tag == "img" && strings.HasPrefix(a.lname, "data-") && isLazySrc(a.lname) {
				if v, ok := c.absolute(cur, false); ok && v != cur {
					t.set(a, v)
				}
			}
		}
	}
	if tag == "dialog" {
		c.dialogInPlace(t)
	}
	if tag != "img" {
		if t.newSrc != "" {
			t.appendAttr("src", t.newSrc)
		}
		if t.newSrcset != "" {
			t.appendAttr("srcset", t.newSrcset)
		}
		return
	}
	src := t.first("src")
	v := t.newSrc
	if src != nil {
		v = current(src)
	}
	if c.opts.ImageProxy != "" && len(v) >= 7 && strings.EqualFold(v[:7], "http://") && !strings.HasPrefix(v, c.opts.ImageProxy) {
		v = c.opts.ImageProxy + v
		if src != nil {
			t.set(src, v)
		}
	}
	if src == nil && t.newSrc != "" {
		t.appendAttr("src", v)
	}
	if t.newSrcset != "" {
		t.appendAttr("srcset", t.newSrcset)
	}
	if c.image == "" && (src != nil || t.newSrc != "") && !c.imageLater {
		// A copy: v may be a piece of the body, which the image, kept
		// with the prepared body until the batch is flushed, would pin.
		c.image = strings.Clone(strings.TrimSpace(urlBreaks.Replace(v)))
		c.imageLater = bytes.ContainsAny(t.raw, "\n\r")
	}
	// Every image is fetched without a Referer, which hotlink protection
	// on Chinese news sites refuses.
	if rp := t.first("referrerpolicy"); rp == nil {
		t.appendAttr("referrerpolicy", "no-referrer")
	} else {
		if rp.val != "no-referrer" {
			t.set(rp, "no-referrer")
		}
		for i := range t.attrs {
			if a := &t.attrs[i]; a != rp && a.lname == "referrerpolicy" {
				t.remove(a)
			}
		}
	}
}

// baseURL returns the base of relative URLs.
func (c *cleaner) baseURL() *url.URL {
	if !c.based {
		c.base, c.based = baseURL(c.link, c.opts.BaseURL), true
	}
	return c.base
}

// absolute is absolute against the base, which it reads only for a
// relative reference.
func (c *cleaner) absolute(v string, link bool) (string, bool) {
	if t := trimSpace(v); t == "" || (link && t[0] == '#') || hasScheme(t) || isNothing(t) {
		return v, false
	}
	return absolute(v, c.baseURL(), link)
}

// current is an attribute's value after the edits so far.
func current(a *attr) string {
	if a.replaced {
		return a.newVal
	}
	return a.val
}

func isLazySrc(name string) bool {
	for _, n := range lazySrc {
		if n == name {
			return true
		}
	}
	return false
}

// lazy gives lazy-loaded images and frames the URL their script would
// have put in src and srcset.
func (c *cleaner) lazy(tag string, t *rawTag) {
	// The placeholder test is for the src being replaced: a real URL may
	// well have "lazy" or "loading" in its file name (lazy-river.jpg).
	// A lazy attribute that looks like a placeholder is passed over only
	// for another that does not.
	real, fallback := "", ""
	if !t.hasData() {
		return // every lazy attribute is a data-* one
	}
	for _, n := range lazySrc {
		a := t.first(n)
		if a == nil || scriptURL(a.val) {
			continue
		}
		v := trimSpace(a.val)
		if !placeholder(v) {
			real = v
			break
		}
		if _, data := dataMIME(v); fallback == "" && !data && v != "#" && !isNothing(v) {
			fallback = v
		}
	}
	if real == "" {
		real = fallback
	}
	lazySet := ""
	for _, n := range lazySrcset {
		if a := t.first(n); a != nil && trimSpace(a.val) != "" && !containsScriptURL(a.val) {
			lazySet = a.val
			break
		}
	}
	if real == "" && lazySet != "" && tag == "img" {
		real = firstSrcsetURL(lazySet)
	}
	fixed := false
	if real != "" && tag != "source" {
		src := t.first("src")
		switch {
		case src == nil:
			v, _ := c.absolute(real, false)
			t.newSrc = v
			fixed = true
		case placeholder(src.val) && trimSpace(src.val) != real:
			t.set(src, real)
			fixed = true
		}
	}
	if lazySet != "" && (tag == "img" || tag == "source") {
		set := t.first("srcset")
		switch {
		case set == nil:
			t.newSrcset = mapSrcset(lazySet, func(u string) string {
				v, _ := c.absolute(u, false)
				return v
			})
			fixed = true
		case placeholder(firstSrcsetURL(set.val)) && set.val != lazySet:
			t.set(set, lazySet)
			fixed = true
		}
	}
	if fixed && tag == "img" {
		c.sawLazy = true
	}
}

// topLayerAttr reports the attributes that let a click, without script,
// lift an element of the body over the whole page: a popover is shown in
// the top layer (position: fixed, above everything), and a command button
// can open a dialog as a modal one there. Without them a popover element
// is shown in place and a dialog stays where it is.
func topLayerAttr(name string) bool {
	switch name {
	case "popover", "popovertarget", "popovertargetaction", "command", "commandfor", "interestfor":
		return true
	}
	return false
}

// dialogInPlace keeps an open <dialog> in the body: browsers give a
// non-modal dialog position: absolute, which places it against the page
// when nothing around the body is positioned (as in a Hexo theme). An
// inline position:static comes first, so the dialog's own relative
// position, if it has one, still applies.
func (c *cleaner) dialogInPlace(t *rawTag) {
	const static = "position:static"
	if a := t.first("style"); a != nil {
		if v := current(a); !strings.HasPrefix(v, static) {
			t.set(a, static+";"+v)
		}
		return
	}
	t.appendAttr("style", static)
}

// unsafeAttr reports attributes that can run script or reach outside the
// post: event handlers, script URLs, HTML documents in data: URLs,
// srcdoc, form actions, CSS with expression() or script URLs, and SVG
// animations that would set any of those.
func unsafeAttr(tag string, a *attr) bool {
	name := a.lname
	if strings.HasPrefix(name, "on") {
		return true
	}
	switch name {
	case "srcdoc", "action", "formaction":
		return true
	}
	animation := isAnimation(tag)
	vals := [2]string{a.val, a.val}
	if !a.plain && strings.Contains(a.raw, "&") {
		// Decoded as outside an attribute too, which decodes more: any
		// reading that shows a script URL is enough.
		vals[1] = html.UnescapeString(a.raw)
	}
	for i, v := range vals {
		if i > 0 && v == vals[0] {
			break // the same reading again: the checks below cost a tenth of cleaning
		}
		if scriptURL(v) {
			return true
		}
		if urlAttr(name) || animation {
			if mime, ok := dataMIME(v); ok && !dataAllowed(tag, name, mime) {
				return true
			}
		}
		switch {
		case name == "style":
			if dangerousCSS(v) {
				return true
			}
		case strings.HasSuffix(name, "srcset"):
			if containsScriptURL(v) {
				return true
			}
		case animation:
			switch name {
			case "values", "to", "from", "by":
				if containsScriptURL(v) || strings.Contains(squeeze(v, len(v)), "data:") {
					return true
				}
			case "attributename":
				n := strings.ToLower(trimSpace(v))
				if strings.HasPrefix(n, "on") || strings.HasSuffix(n, "href") {
					return true
				}
			}
		}
	}
	return false
}
