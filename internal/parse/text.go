package parse

import (
	"bytes"
	"strings"

	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/json"
)

// gofeed hands on plain-text bodies (JSON Feed's content_text and summary,
// Atom's type="text" content) as they are, and everything downstream reads
// a body as HTML: "1 < 2 <b>" would open a tag, and line breaks would
// vanish. These translators turn such text into the HTML that shows it.

type jsonTextTranslator struct{ gofeed.DefaultJSONTranslator }

func (t *jsonTextTranslator) Translate(v any) (*gofeed.Feed, error) {
	f, err := t.DefaultJSONTranslator.Translate(v)
	jf, ok := v.(*json.Feed)
	if err != nil || !ok || f == nil || len(f.Items) != len(jf.Items) {
		return f, err
	}
	for i, ji := range jf.Items {
		if f.Items[i] == nil || ji == nil {
			continue
		}
		if ji.ContentHTML == "" && ji.ContentText != "" {
			f.Items[i].Content = textHTML(ji.ContentText)
		}
		if ji.Summary != "" {
			f.Items[i].Description = textHTML(ji.Summary)
		}
		// An item's "image" is its main image; as an image enclosure
		// it becomes the headimg of a body that shows none.
		if img := strings.TrimSpace(ji.Image); img != "" {
			f.Items[i].Enclosures = append(f.Items[i].Enclosures, &gofeed.Enclosure{URL: img, Type: "image"})
		}
	}
	return f, nil
}

type atomTextTranslator struct{ gofeed.DefaultAtomTranslator }

func (t *atomTextTranslator) Translate(v any) (*gofeed.Feed, error) {
	f, err := t.DefaultAtomTranslator.Translate(v)
	af, ok := v.(*atom.Feed)
	if err != nil || !ok || f == nil || len(f.Items) != len(af.Entries) {
		return f, err
	}
	for i, e := range af.Entries {
		if f.Items[i] == nil || e == nil || e.Content == nil || e.Content.Src != "" {
			continue
		}
		// Many feeds put escaped HTML in a <content> without a type,
		// whose default would be text: that is HTML when it looks like it.
		f.Items[i].Content = bodyHTML(e.Content.Value, atomKind(e.Content.Type, kindGuess))
	}
	return f, nil
}

// textHTML is the HTML that displays plain text s: markup characters
// escaped, line breaks kept.
func textHTML(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString("<br>\n")
		}
		b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(line))
	}
	return b.String()
}

// textKind is how a feed's text construct reads: as plain text, as HTML,
// or, where the format does not say (RSS), as HTML when it looks like it.
type textKind int

const (
	kindText textKind = iota
	kindHTML
	kindGuess
)

// atomKind is the kind of an Atom text construct of type typ: text by
// default (RFC 4287), HTML for html and xhtml, and Atom 0.3's MIME types.
// An absent type is a guess (content and summary: many feeds leave out
// type="html"); title passes kindText for it.
func atomKind(typ string, absent textKind) textKind {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case t == "":
		return absent
	case t == "text" || t == "text/plain":
		return kindText
	case t == "html" || t == "xhtml" || strings.Contains(t, "html"):
		return kindHTML
	}
	return absent
}

// kindOf settles a guess for s.
func kindOf(k textKind, s string) textKind {
	if k == kindGuess {
		if looksLikeHTML(s) {
			return kindHTML
		}
		return kindText
	}
	return k
}

// titleText is a title as a reader sees it: the visible text of an HTML
// title (tags stripped, references decoded), a plain one as it is. A
// title without markup or references keeps its bytes either way.
func titleText(s string, k textKind) string {
	if kindOf(k, s) != kindHTML || !strings.ContainsAny(s, "<&") {
		return s
	}
	return strings.TrimSpace(visibleText(s))
}

// visibleText is Text for a short fragment such as a title: tags go,
// references are decoded. It spares the tokenizer's 4 KiB buffer per
// title where the markup is plain (tags of a letter-started name, closed,
// without quotes), and leaves the rest (script, comments, quoted or cut
// tags) to Text.
func visibleText(s string) string {
	if strings.ContainsAny(s, "\r\x00") {
		return Text(s) // the tokenizer normalises these
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		name := 1
		if len(rest) > 1 && rest[1] == '/' {
			name = 2
		}
		if len(rest) <= name || !isASCIILetter(rest[name]) {
			if name == 1 && len(rest) > 1 && rest[1] != '!' && rest[1] != '?' && rest[1] != '/' {
				b.WriteByte('<') // "<" before a space or digit is text
				rest = rest[1:]
				continue
			}
			return Text(s)
		}
		end := strings.IndexAny(rest[1:], "<>\"'")
		if end < 0 || rest[1+end] != '>' {
			return Text(s)
		}
		if n := strings.ToLower(rest[name : 1+end]); strings.HasPrefix(n, "script") || strings.HasPrefix(n, "style") || strings.HasPrefix(n, "textarea") || strings.HasPrefix(n, "title") || strings.HasPrefix(n, "xmp") || strings.HasPrefix(n, "plaintext") || strings.HasPrefix(n, "noembed") || strings.HasPrefix(n, "noframes") || strings.HasPrefix(n, "iframe") {
			return Text(s) // raw text elements
		}
		rest = rest[2+end:]
	}
	return html.UnescapeString(b.String())
}

func isASCIILetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// bodyHTML is a body as HTML: plain text escaped, HTML as it is.
func bodyHTML(s string, k textKind) string {
	if kindOf(k, s) == kindText && s != "" {
		return textHTML(s)
	}
	return s
}

// looksLikeHTML guesses, as the most widely used feed parser does for
// the RSS elements whose type no one states, whether text s is HTML: it
// has an end tag or a character reference, every tag is one of HTML's
// usual elements and every named reference is one HTML knows. "1 < 2",
// "<T> in Go" and "AT&T" stay text.
func looksLikeHTML(s string) bool {
	if !strings.ContainsAny(s, "<&") {
		return false
	}
	evidence := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := i + 1
			end := j < len(s) && s[j] == '/'
			if end {
				j++
			}
			k := j
			for k < len(s) && isWordByte(s[k]) {
				k++
			}
			if k == j {
				continue
			}
			if !htmlElements[strings.ToLower(s[j:k])] {
				return false
			}
			if end && k < len(s) && s[k] == '>' {
				evidence = true
			}
		case '&':
			j := i + 1
			num := j < len(s) && s[j] == '#'
			if num {
				j++
			}
			k := j
			for k < len(s) && isWordByte(s[k]) {
				k++
			}
			if k == j || k >= len(s) || s[k] != ';' {
				continue
			}
			if !num && htmlUnescape(s[i:k+1]) == s[i:k+1] {
				return false // not a reference HTML knows
			}
			evidence = true
		}
	}
	return evidence
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// htmlElements are the elements whose tags make text look like HTML.
var htmlElements = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`a abbr acronym address area article aside audio b big blockquote br button canvas caption center cite code col colgroup command datagrid datalist dd del details dfn dialog dir div dl dt em event fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hr i img input ins kbd keygen label legend li m map menu meter multicol nav nextid noscript ol optgroup option output p pre progress q s samp section select small sound source spacer span strike strong sub sup table tbody td textarea tfoot th thead time tr tt u ul var video`) {
		m[n] = true
	}
	return m
}()

func htmlUnescape(s string) string { return html.UnescapeString(s) }

// itemTitle is an item's title as a reader sees it (see titleText): RSS
// titles are HTML when they look like it, Atom titles are what their type
// says (base64 decoded first), JSON Feed titles are text. An item without
// one takes its media:title.
func itemTitle(it *gofeed.Item, feedType string, fx *itemFacts) string {
	s, k := it.Title, kindText
	switch feedType {
	case "rss":
		k = kindGuess
	case "atom":
		k = kindGuess // the type is unknown without the scan
		if fx != nil && fx.title.found {
			k = atomKind(fx.title.typ, kindText)
			if d, ok := base64Text(fx.title); ok {
				s = d
			}
		}
	}
	if strings.TrimSpace(s) == "" {
		if m, ok := mediaText(it.Extensions, "title"); ok {
			s, k = m.Value, mediaKind(m)
		}
	}
	return titleText(s, k)
}

// itemBody is an item's HTML: its content, else its body (RSS xhtml:body,
// body, fullitem), else its summary or description, else its
// media:description; plain text made HTML wherever it comes from.
func itemBody(it *gofeed.Item, feedType string, fx *itemFacts) string {
	content, summary := it.Content, it.Description
	contentKind, summaryKind := kindHTML, kindHTML
	switch feedType {
	case "atom":
		// The translator made a type="text" content HTML already.
		summaryKind = kindGuess
		if fx != nil {
			if d, ok := base64Text(fx.content); ok {
				content, contentKind = d, atomKind(fx.content.typ, kindGuess)
			}
			if fx.summary.found {
				summaryKind = atomKind(fx.summary.typ, kindGuess)
				if d, ok := base64Text(fx.summary); ok {
					summary = d
				}
			}
		}
	case "rss":
		if strings.TrimSpace(content) == "" {
			content = rssBody(it, fx)
		}
	}
	if strings.TrimSpace(content) != "" {
		return bodyHTML(content, contentKind)
	}
	if strings.TrimSpace(summary) != "" {
		return bodyHTML(summary, summaryKind)
	}
	if m, ok := mediaText(it.Extensions, "description"); ok {
		return bodyHTML(m.Value, mediaKind(m))
	}
	return ""
}

// rssBody is an RSS item's legacy full body: xhtml:body or a bare body
// (markup, or escaped HTML), else fullitem.
func rssBody(it *gofeed.Item, fx *itemFacts) string {
	if fx != nil && fx.body.found {
		raw := bytes.TrimSpace(fx.body.raw)
		if bytes.HasPrefix(raw, cdataOpen) || !bytes.Contains(raw, []byte("<")) {
			return strings.TrimSpace(rawText(raw))
		}
		return string(raw)
	}
	if b := strings.TrimSpace(it.Custom["body"]); b != "" {
		return b
	}
	if b := extValue(it.Extensions["xhtml"], "body"); b != "" {
		return b
	}
	return strings.TrimSpace(it.Custom["fullitem"])
}

// mediaText returns the item's Media RSS element name (media:title,
// media:description), at the item's level or in its media:group.
func mediaText(exts ext.Extensions, name string) (ext.Extension, bool) {
	media := exts["media"]
	if media == nil {
		return ext.Extension{}, false
	}
	for _, e := range media[name] {
		if strings.TrimSpace(e.Value) != "" {
			return e, true
		}
	}
	for _, g := range media["group"] {
		for _, e := range g.Children[name] {
			if strings.TrimSpace(e.Value) != "" {
				return e, true
			}
		}
	}
	return ext.Extension{}, false
}

// mediaKind is the kind of a Media RSS text: type="html" or plain.
func mediaKind(e ext.Extension) textKind {
	if strings.EqualFold(strings.TrimSpace(e.Attrs["type"]), "html") {
		return kindHTML
	}
	return kindText
}

// extValue is the text of the first element name of an extension.
func extValue(elems map[string][]ext.Extension, name string) string {
	for _, e := range elems[name] {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v
		}
	}
	return ""
}
