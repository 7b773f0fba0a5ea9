// Package opml writes the sources as an OPML 2.0 subscription list,
// group → source → channel outlines, for feed readers and for
// feedmill export --opml. Credentials never leave: URLs lose their user
// info and key-like query parameters.
package opml

import (
	"encoding/xml"
	"net/url"
	"strings"
)

// Doc is an OPML document.
type Doc struct {
	XMLName xml.Name  `xml:"opml"`
	Version string    `xml:"version,attr"`
	Title   string    `xml:"head>title"`
	Body    []Outline `xml:"body>outline"`
}

// Outline is an OPML outline: a folder (no XMLURL) or a feed.
type Outline struct {
	Text     string    `xml:"text,attr"`
	Title    string    `xml:"title,attr,omitempty"`
	Type     string    `xml:"type,attr,omitempty"`
	XMLURL   string    `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string    `xml:"htmlUrl,attr,omitempty"`
	Children []Outline `xml:"outline"`
}

// Feed is one feed of the list.
type Feed struct {
	Group, Source, Channel string
	// URL is the feed's URL; it is made public with PublicURL, and a
	// feed with no public URL is left out.
	URL string
}

// Build returns the document listing feeds under group and source
// outlines, in the order the feeds come.
func Build(title string, feeds []Feed) Doc {
	doc := Doc{Version: "2.0", Title: title}
	groups := map[string]int{}
	sources := map[[2]string]int{}
	for _, f := range feeds {
		u := PublicURL(f.URL)
		if u == "" {
			continue
		}
		gi, ok := groups[f.Group]
		if !ok {
			doc.Body = append(doc.Body, Outline{Text: f.Group, Title: f.Group})
			gi = len(doc.Body) - 1
			groups[f.Group] = gi
		}
		g := &doc.Body[gi]
		si, ok := sources[[2]string{f.Group, f.Source}]
		if !ok {
			g.Children = append(g.Children, Outline{Text: f.Source, Title: f.Source})
			si = len(g.Children) - 1
			sources[[2]string{f.Group, f.Source}] = si
		}
		g.Children[si].Children = append(g.Children[si].Children, Outline{Text: f.Channel, Title: f.Source + " · " + f.Channel, Type: "rss", XMLURL: u})
	}
	return doc
}

// Marshal returns the document as indented XML with its declaration.
func (d Doc) Marshal() ([]byte, error) {
	out, err := xml.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// secretParams are query parameters that carry credentials on feed URLs.
var secretParams = []string{"key", "token", "access_key", "accesskey", "apikey", "api_key", "secret", "password", "auth", "code", "sign", "signature"}

// PublicURL returns a source URL fit to publish, or "" for one that is
// not on the web: no user info, no key-like query parameters (an RSSHub
// access key must not be published).
func PublicURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for _, s := range secretParams {
				if strings.EqualFold(k, s) {
					q.Del(k)
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
