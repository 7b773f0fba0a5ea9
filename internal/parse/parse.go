// Package parse turns fetched bytes into feed items. gofeed does the
// reading of RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.x and stays
// inside this package; what leaves it is feed.Item.
package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/charset"
	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
)

// ErrNotFeed is returned for content that is no feed at all.
var ErrNotFeed = errors.New("not a feed")

// ErrEmpty is returned for an empty response.
var ErrEmpty = errors.New("empty response")

// Feed is what a parsed document yields.
type Feed struct {
	Title string
	Link  string
	Items []feed.Item
	// TTL is RSS <ttl>, and UpdatePeriod sy:updatePeriod over
	// sy:updateFrequency: how often the publisher says it is worth
	// fetching the feed. 0 when the feed does not say.
	TTL, UpdatePeriod time.Duration
	// Recovered is the syntax error of a broken document whose complete
	// items were kept anyway; nil for a sound one.
	Recovered error
	// Lost counts the items of a broken document that could not be kept
	// (cut off, or half received); Recovered says why. 0 when none was.
	Lost int
}

// Parse reads a feed document of bytes in any charset (a file, a test):
// it reads them as charset.ToUTF8 does first. base is the URL it was
// fetched from, for relative links; loc is the zone of dates written
// without one.
func Parse(data []byte, base string, loc *time.Location) (*Feed, error) {
	return parse(data, base, loc, true)
}

// ParseUTF8 is Parse of a document fetch has read in its charset already
// (fetch.Response.Doc): its bytes are not checked again.
func ParseUTF8(doc charset.UTF8, base string, loc *time.Location) (*Feed, error) {
	return parseUTF8(doc, base, loc, true)
}

// parse is Parse, with readRSS first when stream is set (the differential
// tests compare both ways).
func parse(data []byte, base string, loc *time.Location, stream bool) (*Feed, error) {
	doc, _ := charset.ToUTF8(data, "")
	return parseUTF8(doc, base, loc, stream)
}

func parseUTF8(utf charset.UTF8, base string, loc *time.Location, stream bool) (*Feed, error) {
	trimmed := bytes.TrimSpace(utf.Bytes())
	if len(trimmed) == 0 {
		return nil, ErrEmpty
	}
	if stream {
		// readRSS reads no document with the side facts sideFacts
		// finds (an xml:base, a body or created element): they would
		// be empty.
		s := scanner{doc: trimmed, loc: loc}
		if f, ttl, ok := s.rss(); ok {
			return build(f, ttl, nil, s.published, nil, 0, base, loc), nil
		}
	}
	p := gofeed.NewParser()
	var ttl string
	// Without gofeed's scan of every item's HTML for a first <img>: an
	// item's Image is one the feed names outside the body (the content
	// stage finds the body's own), and the scan was a twentieth of a
	// refresh's CPU.
	p.RSSTranslator = &ttlTranslator{DefaultRSSTranslator: gofeed.DefaultRSSTranslator{DisableContentImageScan: true}, ttl: &ttl}
	p.JSONTranslator = &jsonTextTranslator{}
	p.AtomTranslator = &atomTextTranslator{}
	// Entities a DOCTYPE declares (see expandEntities); the check reads
	// the prolog alone.
	if expanded, ok := expandEntities(trimmed); ok {
		trimmed = expanded
	}
	doc := utcOffsets(trimmed)
	f, err := p.Parse(bytes.NewReader(doc))
	var recovered error
	lost := 0
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		// gofeed looks for the root element in the first 4 KiB only: a
		// long prolog (comments, instructions, a DOCTYPE) hides it.
		if r := rootStart(trimmed); r > 0 {
			trimmed = append([]byte(xmlDeclaration+"\n"), trimmed[r:]...)
			doc = utcOffsets(trimmed)
			f, err = p.Parse(bytes.NewReader(doc))
		}
	}
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			if isHTMLPage(trimmed) {
				return nil, fmt.Errorf("%w: the document is an HTML page", ErrNotFeed)
			}
			return nil, fmt.Errorf("%w: neither RSS, Atom nor JSON Feed", ErrNotFeed)
		}
		if f, doc, err = recoverFeed(p, trimmed); f == nil {
			return nil, fmt.Errorf("parse feed: %w", err)
		}
		recovered = err
		lost = max(0, countItems(trimmed)-len(f.Items))
	} else if f.FeedType != "json" && mayHideItems(doc, len(f.Items)) {
		f, doc, recovered, lost = keepHiddenItems(p, f, doc)
	}
	if f.FeedType == "json" && !isJSONFeed(trimmed) {
		// gofeed takes any JSON object for a JSON Feed: an API's answer
		// or an error object would be a feed of no items, and the source
		// would look fine.
		return nil, fmt.Errorf("%w: a JSON document with neither a JSON Feed version nor items", ErrNotFeed)
	}
	return build(f, ttl, sideFacts(doc, f), nil, recovered, lost, base, loc), nil
}

// build makes the Feed of a document read as f, with the facts of its
// items gofeed does not keep (nil when there are none) and the dates of
// their pubDates readRSS read already (nil when it did not read them).
func build(f *gofeed.Feed, ttl string, facts []itemFacts, published []time.Time, recovered error, lost int, base string, loc *time.Location) *Feed {
	out := &Feed{Title: titleText(f.Title, kindGuess), Link: f.Link, TTL: minutes(ttl), UpdatePeriod: updatePeriod(f.Extensions), Recovered: recovered, Lost: lost}
	if len(f.Items) > 0 {
		out.Items = make([]feed.Item, 0, len(f.Items)) // nil for none, as before
	}
	feedBase := base // a feed without a link of its own resolves against its URL
	if strings.TrimSpace(f.Link) != "" {
		feedBase = resolve(base, f.Link)
	}
	res := newResolver(feedBase) // the base is parsed once, not for every link
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		var fx *itemFacts
		if facts != nil {
			fx = &facts[i]
		}
		var pub time.Time
		if published != nil {
			pub = published[i]
		}
		out.Items = append(out.Items, item(it, f.FeedType, fx, pub, res, loc))
		rebase(&out.Items[len(out.Items)-1], f.FeedType, fx, base, feedBase)
	}
	return out
}

// rebase makes the relative URLs of an item's body absolute where their
// base is not the item link, against which the content stage resolves
// them: an RSS xml:base (on the channel, the item or the element of the
// body; gofeed honours Atom's itself), resolved from the document's URL,
// or, for an item without a link, the feed's link or else the URL the
// document was fetched from.
func rebase(it *feed.Item, feedType string, fx *itemFacts, docURL, feedBase string) {
	b := ""
	if fx != nil && feedType == "rss" {
		elem := fx.content.base
		for _, e := range []string{fx.body.base, fx.description.base} {
			if elem == "" {
				elem = e
			}
		}
		if fx.outerBase != "" || fx.base != "" || elem != "" {
			b = chainBase(docURL, fx.outerBase, fx.base, elem)
		}
	}
	if b == "" && it.Link == "" {
		b = feedBase
	}
	if b != "" && it.Content != "" {
		it.Content = content.Rebase(it.Content, b)
	}
}

// sideFacts scans the document for what gofeed's items lose (see
// scanItems): always for Atom, whose titles and summaries need their
// type; for RSS only when the document has an xml:base or a body element
// at all. nil when not scanned, or when the scan does not find gofeed's
// items one for one.
func sideFacts(doc []byte, f *gofeed.Feed) []itemFacts {
	var facts []itemFacts
	switch f.FeedType {
	case "atom":
		facts = scanItems(doc, "entry")
	case "rss":
		if bytes.Contains(doc, []byte("xml:base")) || bytes.Contains(doc, []byte("<body")) || bytes.Contains(doc, []byte(":body")) {
			facts = scanItems(doc, "item")
		}
	}
	if len(facts) != len(f.Items) {
		return nil
	}
	return facts
}

// isJSONFeed reports whether a JSON object is a JSON Feed: it names the
// JSON Feed version, or at least has items.
func isJSONFeed(b []byte) bool {
	var head struct {
		Version string          `json:"version"`
		Items   json.RawMessage `json:"items"`
	}
	if json.Unmarshal(b, &head) != nil {
		return true // gofeed read it; its reading stands
	}
	return strings.Contains(head.Version, "jsonfeed.org/version/") || len(head.Items) > 0
}

func isHTMLPage(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.Contains(head, "<html")
}

// item makes the feed.Item of it. published is Date's reading of
// it.Published when readRSS made it (the zero time otherwise).
func item(it *gofeed.Item, feedType string, fx *itemFacts, published time.Time, base resolver, loc *time.Location) feed.Item {
	out := feed.Item{
		GUID:       strings.TrimSpace(it.GUID),
		Title:      itemTitle(it, feedType, fx),
		Content:    itemBody(it, feedType, fx),
		Categories: it.Categories,
	}
	link := strings.TrimSpace(it.Link)
	if link == "" && len(it.Links) > 0 {
		link = strings.TrimSpace(it.Links[0])
	}
	if link != "" {
		out.Link = base.resolve(link)
	}
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		out.Author = it.Authors[0].Name
	} else if it.Author != nil {
		out.Author = it.Author.Name
	}
	if it.Image != nil {
		out.Image = it.Image.URL
	}
	if out.Image == "" {
		out.Image = base.resolve(mediaThumbnail(it.Extensions))
	}
	for _, e := range it.Enclosures {
		if e != nil && e.URL != "" {
			out.Enclosures = append(out.Enclosures, feed.Enclosure{URL: base.resolve(e.URL), Type: e.Type, Length: e.Length})
		}
	}
	out.Enclosures = appendMedia(out.Enclosures, it.Extensions, base)
	if published.IsZero() {
		out.Published = itemDate(it, fx, loc)
	} else {
		out.Published = published.UTC() // as itemDate would read it, once more
	}
	if strings.TrimSpace(out.Title) == "" {
		out.Title = fallbackTitle(out)
	}
	return out
}

// itemDate is when an item was published: the first date of pubDate,
// Atom published or issued, dc:date, dcterms:issued, Atom 0.3 created,
// dcterms:created, then the dates of its last change (Atom updated or
// modified, dcterms:modified), as the most widely used feed parser
// prefers them. It prefers our own reading of the text, which honours
// loc for zoneless dates, and falls back to gofeed's, which knows more
// layouts.
func itemDate(it *gofeed.Item, fx *itemFacts, loc *time.Location) time.Time {
	created, published := "", it.Published
	if fx != nil {
		created = fx.created
		// gofeed gives an entry without published its updated date as
		// Published: a date of change, after created.
		if published == it.Updated {
			published = ""
		}
	}
	dcterms := it.Extensions["dcterms"]
	for _, s := range []string{published, extValue(dcterms, "issued"), created, extValue(dcterms, "created"), it.Updated, extValue(dcterms, "modified")} {
		if t, ok := Date(s, loc); ok {
			return t.UTC()
		}
	}
	for _, t := range []*time.Time{it.PublishedParsed, it.UpdatedParsed} {
		if t != nil {
			if p, ok := plausible(*t); ok {
				return p.UTC()
			}
		}
	}
	return time.Time{}
}

// fallbackTitle names an item that has no title: the start of its text,
// else its link, else "Untitled".
func fallbackTitle(it feed.Item) string {
	if text := strings.Join(strings.Fields(Text(it.Content)), " "); text != "" {
		const max = 40
		if utf8.RuneCountInString(text) > max {
			r := []rune(text)
			return string(r[:max]) + "…"
		}
		return text
	}
	if it.Link != "" {
		return it.Link
	}
	return "Untitled"
}

// Text returns the text of an HTML fragment without its tags.
func Text(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken:
			if n, _ := z.TagName(); string(n) == "script" || string(n) == "style" {
				skip++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); (string(n) == "script" || string(n) == "style") && skip > 0 {
				skip--
			}
		}
	}
}

func resolve(base, ref string) string {
	return newResolver(base).resolve(ref)
}

// resolver resolves references against one base URL; nil base: none
// (empty, unparsable or a file: URL), references stay as they are.
type resolver struct{ base *url.URL }

func newResolver(base string) resolver {
	if base == "" {
		return resolver{}
	}
	b, err := url.Parse(base)
	if err != nil || b.Scheme == "file" {
		return resolver{}
	}
	return resolver{base: b}
}

func (r resolver) resolve(ref string) string {
	ref = strings.TrimSpace(ref)
	if r.base == nil || ref == "" {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return r.base.ResolveReference(u).String()
}

// mediaThumbnail is the URL of an item's first media:thumbnail, at its
// level or in a media:group; "" when it has none.
func mediaThumbnail(exts ext.Extensions) string {
	media := exts["media"]
	if media == nil {
		return ""
	}
	thumbs := media["thumbnail"]
	for _, g := range media["group"] {
		thumbs = append(thumbs[:len(thumbs):len(thumbs)], g.Children["thumbnail"]...)
	}
	for _, th := range thumbs {
		if u := strings.TrimSpace(th.Attrs["url"]); u != "" {
			return u
		}
	}
	return ""
}

// appendMedia adds an item's Media RSS files (media:content, also inside
// media:group) to its enclosures, and media:thumbnail when no
// media:content is an image (a video's thumbnail is the image of a body
// that has none); URLs already there are skipped.
func appendMedia(encs []feed.Enclosure, exts ext.Extensions, base resolver) []feed.Enclosure {
	media := exts["media"]
	if media == nil {
		return encs
	}
	var contents, thumbs []ext.Extension
	contents = append(contents, media["content"]...)
	thumbs = append(thumbs, media["thumbnail"]...)
	for _, g := range media["group"] {
		contents = append(contents, g.Children["content"]...)
		thumbs = append(thumbs, g.Children["thumbnail"]...)
	}
	add := func(u, typ, length string) {
		if u = strings.TrimSpace(u); u == "" {
			return
		}
		u = base.resolve(u)
		for _, e := range encs {
			if e.URL == u {
				return
			}
		}
		encs = append(encs, feed.Enclosure{URL: u, Type: typ, Length: length})
	}
	image := false
	for _, c := range contents {
		typ := c.Attrs["type"]
		if typ == "" && c.Attrs["medium"] != "" {
			typ = c.Attrs["medium"] // "image", "audio", "video": a type prefix
		}
		image = image || strings.HasPrefix(strings.ToLower(typ), "image")
		add(c.Attrs["url"], typ, c.Attrs["fileSize"])
	}
	if !image {
		for _, th := range thumbs {
			add(th.Attrs["url"], "image", "")
		}
	}
	return encs
}
