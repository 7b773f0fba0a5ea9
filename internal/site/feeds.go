package site

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// feedFormat is one of the feeds every list with feeds has.
type feedFormat struct {
	name   string
	render func(b *builder, l *list, items []*item, reuse map[*item]string) ([]byte, error)
	// split cuts a feed of this format into its entries; key is what
	// starts the part of an entry that names its post (see entryKey).
	split func(data string) ([]string, bool)
	key   string
}

var feedFormats = []feedFormat{
	{"feed.xml", (*builder).rss, splitRSS, "<link>"},
	{"atom.xml", (*builder).atom, splitAtom, `<link href="`},
	{"feed.json", (*builder).jsonFeed, splitJSONFeed, `,"url":`},
}

// entryKey is how an item's entry in format f starts naming its post: the
// first link of an RSS item, of an Atom entry, the url of a JSON Feed
// item, each followed by a delimiter.
func (b *builder) entryKey(f feedFormat, it *item) string {
	var w strings.Builder
	w.WriteString(f.key)
	switch f.name {
	case "feed.xml":
		escapeXML(&w, b.abs(it.rel))
		w.WriteString("</link>")
	case "atom.xml":
		escapeXML(&w, b.abs(it.rel))
		w.WriteByte('"')
	default:
		jsonString(&w, b.abs(it.rel))
		w.WriteByte(',')
	}
	return w.String()
}

// reusableEntries finds, in the feed at rel as the last build wrote it,
// the entries of items whose post pages did not change since (same
// fingerprint, so the same item, body and settings): an entry is a
// function of exactly those. It returns nil when the feed cannot be read
// or cut into entries.
func (b *builder) reusableEntries(rel string, f feedFormat, items []*item) map[*item]string {
	data, err := b.out.read(rel)
	if err != nil || len(data) == 0 {
		return nil
	}
	// The page read is never changed afterwards (a fresh buffer from the
	// disk, or a Memory page, which writes replace and never modify): the
	// entries are slices of it rather than of a copy. A new item makes a
	// build read hundreds of feeds of about 60 KB each.
	entries, ok := f.split(unsafe.String(unsafe.SliceData(data), len(data)))
	if !ok || len(entries) == 0 {
		return nil
	}
	keyAt := make([]int, len(entries))
	for i, e := range entries {
		keyAt[i] = strings.Index(e, f.key)
	}
	var out map[*item]string
	for _, it := range items {
		if fp, ok := b.old[it.rel]; !ok || fp != it.fp {
			continue
		}
		key := b.entryKey(f, it)
		for i, e := range entries {
			if keyAt[i] >= 0 && strings.HasPrefix(e[keyAt[i]:], key) {
				if out == nil {
					out = map[*item]string{}
				}
				out[it] = e
				break
			}
		}
	}
	return out
}

// splitRSS cuts an RSS feed as rss writes it into its items: each starts
// a line with "<item>" and the last is followed by the closing tags.
// Bodies are CDATA sections, whose lines may start with anything (a body
// can hold "\n<item>…" naming another post); everything else is
// escaped, so only a line start outside CDATA starts an item.
func splitRSS(data string) ([]string, bool) {
	return splitXMLFeed(data, "\n<item>", "</item>", "\n</channel></rss>\n")
}

// splitAtom is splitRSS for Atom entries.
func splitAtom(data string) ([]string, bool) {
	return splitXMLFeed(data, "\n<entry>", "</entry>", "\n</feed>\n")
}

func splitXMLFeed(data, start, end, tail string) ([]string, bool) {
	if !strings.HasSuffix(data, tail) {
		return nil, false
	}
	data = data[:len(data)-len(tail)]
	i := indexOutsideCDATA(data, start)
	if i < 0 {
		return nil, true
	}
	var out []string
	for i >= 0 {
		rest := data[i+1:]
		j := indexOutsideCDATA(rest, start)
		e := rest
		if j >= 0 {
			e = rest[:j]
		}
		if !strings.HasSuffix(e, end) {
			return nil, false
		}
		out = append(out, e)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return out, true
}

// indexOutsideCDATA is strings.Index(s, sep) for a sep outside CDATA
// sections; -1 when none is, or a section is not closed.
func indexOutsideCDATA(s, sep string) int {
	const open, end = "<![CDATA[", "]]>"
	i := 0                     // s[:i] is read: no sep outside CDATA there
	j := strings.Index(s, sep) // the first sep at or after i
	for j >= 0 {
		c := strings.Index(s[i:j], open)
		if c < 0 {
			return j
		}
		i += c + len(open)
		e := strings.Index(s[i:], end)
		if e < 0 {
			return -1
		}
		i += e + len(end)
		if j < i {
			k := strings.Index(s[i:], sep)
			if k < 0 {
				return -1
			}
			j = i + k
		}
	}
	return -1
}

// splitJSONFeed cuts a JSON Feed as jsonFeed writes it into its items:
// one a line (strings escape their newlines), after a first line that
// opens the items array, separated by commas and closed by "]}".
func splitJSONFeed(data string) ([]string, bool) {
	lines := strings.Split(data, "\n")
	if len(lines) < 3 || lines[len(lines)-1] != "" || !strings.HasSuffix(lines[0], `"items":[`) {
		return nil, false
	}
	items := lines[1 : len(lines)-1]
	out := make([]string, 0, len(items))
	for i, l := range items {
		suffix := ","
		if i == len(items)-1 {
			suffix = "]}"
		}
		e, ok := strings.CutSuffix(l, suffix)
		if !ok || !strings.HasPrefix(e, "{") || !strings.HasSuffix(e, "}") {
			return nil, false
		}
		out = append(out, e)
	}
	return out, true
}

const generator = "feedmill"

// feedTitle names a list's feeds.
func (b *builder) feedTitle(l *list) string {
	switch l.kind {
	case "home":
		return b.cfg.Title
	case "channel":
		s := l.sources[0]
		return s.name + " · " + s.channel + " - " + b.cfg.Title
	}
	return l.title + " - " + b.cfg.Title
}

// updated is a feed's date: its newest item's, never the build's time, so
// that a feed whose items did not change keeps its bytes.
func updated(items []*item) time.Time {
	if len(items) == 0 {
		return time.Unix(0, 0).UTC()
	}
	return items[0].date
}

func (b *builder) categories(it *item) []string {
	return []string{it.src.group, it.src.name, it.src.channel}
}

// An item appears in up to four feeds (home, group, source, channel) of
// three formats each, so its entry in each format is marshalled once, by
// feedFragments, and the feeds are put together from the fragments.

// feedFragments writes the item's RSS item, Atom entry and JSON Feed
// item from its cleaned body. They are written by hand with escapeXML and
// jsonString (see escape.go); the feed tests read every format back with
// encoding/xml and encoding/json.
func (b *builder) feedFragments(it *item, body string) {
	desc := body + b.originalNote(it)
	title := displayTitle(it.Title)
	url := b.abs(it.rel)
	guid := b.guid(it)
	cats := b.categories(it)
	source := it.src.name + " · " + it.src.channel
	link := safeLink(it.Link)
	date := it.date.Format(time.RFC3339)

	var w strings.Builder
	w.Grow(len(desc) + 32)
	cdataXML(&w, desc)
	escDesc := w.String()

	w = strings.Builder{}
	w.Grow(1024)
	w.WriteString("<item>")
	xmlElement(&w, "title", title)
	xmlElement(&w, "link", url)
	w.WriteString(`<guid isPermaLink="` + strconv.FormatBool(b.origin != "") + `">`)
	escapeXML(&w, guid)
	w.WriteString("</guid>")
	xmlElement(&w, "pubDate", it.date.Format(time.RFC1123Z))
	for _, c := range cats {
		xmlElement(&w, "category", c)
	}
	w.WriteString(`<source url="`)
	escapeXML(&w, b.abs(it.src.channelList.dir+"feed.xml"))
	w.WriteString(`">`)
	escapeXML(&w, source)
	w.WriteString("</source>")
	w.WriteString("<description>")
	it.rss = feedEntry{head: w.String(), body: escDesc, tail: "</description></item>"}

	w = strings.Builder{}
	w.Grow(1024)
	w.WriteString("<entry>")
	xmlElement(&w, "title", title)
	xmlElement(&w, "id", guid)
	w.WriteString(`<link href="`)
	escapeXML(&w, url)
	w.WriteString(`" rel="alternate" type="text/html"></link>`)
	if link != "" {
		w.WriteString(`<link href="`)
		escapeXML(&w, link)
		w.WriteString(`" rel="via"></link>`)
	}
	xmlElement(&w, "published", date)
	xmlElement(&w, "updated", date)
	w.WriteString("<author>")
	xmlElement(&w, "name", it.src.name)
	w.WriteString("</author>")
	for _, c := range cats {
		w.WriteString(`<category term="`)
		escapeXML(&w, c)
		w.WriteString(`"></category>`)
	}
	w.WriteString(`<content type="html">`)
	it.atom = feedEntry{head: w.String(), body: escDesc, tail: "</content></entry>"}

	w = strings.Builder{}
	w.Grow(len(body) + len(body)/8 + 1024)
	w.WriteByte('{')
	jsonField(&w, "id", guid, true)
	jsonField(&w, "url", url, false)
	if link != "" {
		jsonField(&w, "external_url", link, false)
	}
	jsonField(&w, "title", title, false)
	jsonField(&w, "content_html", body, false)
	if it.excerpt != "" {
		jsonField(&w, "summary", it.excerpt, false)
	}
	if img := b.imageURL(it.image); img != "" {
		jsonField(&w, "image", img, false)
	}
	jsonField(&w, "date_published", date, false)
	w.WriteString(`,"authors":[{`)
	jsonField(&w, "name", it.src.name, true)
	w.WriteString(`}],"tags":[`)
	for i, c := range cats {
		if i > 0 {
			w.WriteByte(',')
		}
		jsonString(&w, c)
	}
	w.WriteString("]}")
	it.json = feedEntry{head: w.String()}
}

// feedEntry is an item's entry in a feed, in three parts written one
// after the other. The RSS item and the Atom entry share the body, the
// post escaped as XML: a first build holds the entries of thousands of
// items until their feeds are written, and a copy of each body per format
// was most of that memory.
type feedEntry struct{ head, body, tail string }

func (e feedEntry) len() int { return len(e.head) + len(e.body) + len(e.tail) }

func (e feedEntry) writeTo(w *bytes.Buffer) {
	w.WriteString(e.head)
	w.WriteString(e.body)
	w.WriteString(e.tail)
}

// element writes <name>text</name>, the text escaped.
func element(w *bytes.Buffer, name, text string) {
	w.WriteString("<" + name + ">" + xmlText(text) + "</" + name + ">")
}

// entryOf is an item's entry in a feed: reused, else rendered.
func entryOf(it *item, reuse map[*item]string, rendered feedEntry) feedEntry {
	if e, ok := reuse[it]; ok {
		return feedEntry{head: e}
	}
	return rendered
}

func (b *builder) rss(l *list, items []*item, reuse map[*item]string) ([]byte, error) {
	w := b.buffer(feedSize(items, reuse, func(it *item) feedEntry { return it.rss }))
	title := b.feedTitle(l)
	desc := b.cfg.Description
	if desc == "" {
		desc = title
	}
	w.WriteString(xml.Header)
	w.WriteString(`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>`)
	element(w, "title", title)
	element(w, "link", b.abs(l.dir+"index.html"))
	element(w, "description", desc)
	w.WriteString(`<atom:link href="` + xmlAttrEscape(b.abs(l.dir+"feed.xml")) + `" rel="self" type="application/rss+xml"></atom:link>`)
	element(w, "language", "zh-CN")
	element(w, "generator", generator)
	if len(items) > 0 {
		element(w, "lastBuildDate", updated(items).Format(time.RFC1123Z))
	}
	for _, it := range items {
		w.WriteString("\n")
		entryOf(it, reuse, it.rss).writeTo(w)
	}
	w.WriteString("\n</channel></rss>\n")
	return w.Bytes(), nil
}

// guid identifies a post in feeds: its URL when the site has a base URL,
// else a URN of its slug.
func (b *builder) guid(it *item) string {
	if b.origin != "" {
		return b.abs(it.rel)
	}
	return "urn:feedmill:" + it.Slug
}

// originalNote links a feed entry's body to the original article.
func (b *builder) originalNote(it *item) string {
	if l := safeLink(it.Link); l != "" {
		return `<p><a href="` + xmlAttrEscape(l) + `">阅读原文</a></p>`
	}
	return ""
}

func xmlAttrEscape(s string) string { return xmlText(s) }

func (b *builder) atom(l *list, items []*item, reuse map[*item]string) ([]byte, error) {
	w := b.buffer(feedSize(items, reuse, func(it *item) feedEntry { return it.atom }))
	w.WriteString(xml.Header)
	w.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom">`)
	element(w, "title", b.feedTitle(l))
	element(w, "id", b.feedID(l))
	element(w, "updated", updated(items).Format(time.RFC3339))
	w.WriteString(`<link href="` + xmlAttrEscape(b.abs(l.dir+"atom.xml")) + `" rel="self" type="application/atom+xml"></link>`)
	w.WriteString(`<link href="` + xmlAttrEscape(b.abs(l.dir+"index.html")) + `" rel="alternate" type="text/html"></link>`)
	element(w, "generator", generator)
	for _, it := range items {
		w.WriteString("\n")
		entryOf(it, reuse, it.atom).writeTo(w)
	}
	w.WriteString("\n</feed>\n")
	return w.Bytes(), nil
}

// feedID is an Atom feed's permanent ID.
func (b *builder) feedID(l *list) string {
	if b.origin != "" {
		return b.abs(l.dir + "index.html")
	}
	return "urn:feedmill:" + url.PathEscape(strings.TrimSuffix(l.dir, "/"))
}

func marshalXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func (b *builder) jsonFeed(l *list, items []*item, reuse map[*item]string) ([]byte, error) {
	var head strings.Builder
	head.WriteByte('{')
	jsonField(&head, "version", "https://jsonfeed.org/version/1.1", true)
	jsonField(&head, "title", b.feedTitle(l), false)
	jsonField(&head, "home_page_url", b.abs(l.dir+"index.html"), false)
	jsonField(&head, "feed_url", b.abs(l.dir+"feed.json"), false)
	if b.cfg.Description != "" {
		jsonField(&head, "description", b.cfg.Description, false)
	}
	jsonField(&head, "language", "zh-CN", false)
	w := b.buffer(head.Len() + feedSize(items, reuse, func(it *item) feedEntry { return it.json }))
	w.WriteString(head.String())
	w.WriteString(`,"items":[`)
	for i, it := range items {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n")
		entryOf(it, reuse, it.json).writeTo(w)
	}
	w.WriteString("]}\n")
	return w.Bytes(), nil
}

// feedSize is about the size of a feed of the given entries, so that its
// buffer is allocated once: a feed is some 60 KB, and growing it by
// doubling copied most of it several times.
func feedSize(items []*item, reuse map[*item]string, rendered func(*item) feedEntry) int {
	n := 2048
	for _, it := range items {
		n += entryOf(it, reuse, rendered(it)).len() + 2
	}
	return n
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
