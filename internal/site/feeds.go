package site

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strings"
	"time"
)

// feedFormat is one of the feeds every list with feeds has.
type feedFormat struct {
	name   string
	render func(b *builder, l *list, items []*item) ([]byte, error)
}

var feedFormats = []feedFormat{
	{"feed.xml", (*builder).rss},
	{"atom.xml", (*builder).atom},
	{"feed.json", (*builder).jsonFeed},
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

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Self          atomLink  `xml:"atom:link"`
	Language      string    `xml:"language"`
	Generator     string    `xml:"generator"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	GUID        rssGUID   `xml:"guid"`
	PubDate     string    `xml:"pubDate"`
	Categories  []string  `xml:"category"`
	Source      rssSource `xml:"source"`
	Description string    `xml:"description"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Value string `xml:",chardata"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

func (b *builder) rss(l *list, items []*item) ([]byte, error) {
	doc := rssDoc{Version: "2.0", AtomNS: "http://www.w3.org/2005/Atom", Channel: rssChannel{
		Title: b.feedTitle(l), Link: b.abs(l.dir + "index.html"), Description: b.cfg.Description,
		Self:     atomLink{Href: b.abs(l.dir + "feed.xml"), Rel: "self", Type: "application/rss+xml"},
		Language: "zh-CN", Generator: generator,
	}}
	if doc.Channel.Description == "" {
		doc.Channel.Description = doc.Channel.Title
	}
	if len(items) > 0 {
		doc.Channel.LastBuildDate = updated(items).Format(time.RFC1123Z)
	}
	for _, it := range items {
		doc.Channel.Items = append(doc.Channel.Items, rssItem{
			Title: displayTitle(it.Title), Link: b.abs(it.rel),
			GUID:        rssGUID{IsPermaLink: b.origin != "", Value: b.guid(it)},
			PubDate:     it.date.Format(time.RFC1123Z),
			Categories:  b.categories(it),
			Source:      rssSource{URL: b.abs(it.src.channelList.dir + "feed.xml"), Value: it.src.name + " · " + it.src.channel},
			Description: it.body + b.originalNote(it),
		})
	}
	return marshalXML(doc)
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

func xmlAttrEscape(s string) string {
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	return strings.ReplaceAll(buf.String(), `"`, "&#34;")
}

type atomDoc struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title     string      `xml:"title"`
	ID        string      `xml:"id"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomEntry struct {
	Title      string         `xml:"title"`
	ID         string         `xml:"id"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Author     atomPerson     `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Content    atomText       `xml:"content"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

func (b *builder) atom(l *list, items []*item) ([]byte, error) {
	doc := atomDoc{
		Title: b.feedTitle(l), ID: b.feedID(l), Updated: updated(items).Format(time.RFC3339), Generator: generator,
		Links: []atomLink{{Href: b.abs(l.dir + "atom.xml"), Rel: "self", Type: "application/atom+xml"}, {Href: b.abs(l.dir + "index.html"), Rel: "alternate", Type: "text/html"}},
	}
	for _, it := range items {
		e := atomEntry{
			Title: displayTitle(it.Title), ID: b.guid(it),
			Links:     []atomLink{{Href: b.abs(it.rel), Rel: "alternate", Type: "text/html"}},
			Published: it.date.Format(time.RFC3339), Updated: it.date.Format(time.RFC3339),
			Author:  atomPerson{Name: it.src.name},
			Content: atomText{Type: "html", Value: it.body + b.originalNote(it)},
		}
		if l := safeLink(it.Link); l != "" {
			e.Links = append(e.Links, atomLink{Href: l, Rel: "via"})
		}
		for _, c := range b.categories(it) {
			e.Categories = append(e.Categories, atomCategory{Term: c})
		}
		doc.Entries = append(doc.Entries, e)
	}
	return marshalXML(doc)
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

type jsonFeedDoc struct {
	Version     string         `json:"version"`
	Title       string         `json:"title"`
	HomePageURL string         `json:"home_page_url"`
	FeedURL     string         `json:"feed_url"`
	Description string         `json:"description,omitempty"`
	Language    string         `json:"language"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonFeedItem struct {
	ID            string           `json:"id"`
	URL           string           `json:"url"`
	ExternalURL   string           `json:"external_url,omitempty"`
	Title         string           `json:"title"`
	ContentHTML   string           `json:"content_html"`
	Summary       string           `json:"summary,omitempty"`
	Image         string           `json:"image,omitempty"`
	DatePublished string           `json:"date_published"`
	Authors       []jsonFeedAuthor `json:"authors"`
	Tags          []string         `json:"tags"`
}

type jsonFeedAuthor struct {
	Name string `json:"name"`
}

func (b *builder) jsonFeed(l *list, items []*item) ([]byte, error) {
	doc := jsonFeedDoc{
		Version: "https://jsonfeed.org/version/1.1", Title: b.feedTitle(l),
		HomePageURL: b.abs(l.dir + "index.html"), FeedURL: b.abs(l.dir + "feed.json"),
		Description: b.cfg.Description, Language: "zh-CN", Items: []jsonFeedItem{},
	}
	for _, it := range items {
		doc.Items = append(doc.Items, jsonFeedItem{
			ID: b.guid(it), URL: b.abs(it.rel), ExternalURL: safeLink(it.Link), Title: displayTitle(it.Title),
			ContentHTML: it.body, Summary: it.excerpt, Image: b.imageURL(it.image),
			DatePublished: it.date.Format(time.RFC3339),
			Authors:       []jsonFeedAuthor{{Name: it.src.name}}, Tags: b.categories(it),
		})
	}
	return marshalJSON(doc)
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
