package fetch

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// feedTypes are the link types autodiscovery accepts, best first.
var feedTypes = []string{
	"application/rss+xml",
	"application/atom+xml",
	"application/feed+json",
	"application/json", // JSON Feed pages sometimes say just this
}

// Discover returns the feed URLs an HTML page announces with
// <link rel="alternate" type="application/rss+xml|atom+xml|feed+json"
// href="...">, resolved against base, RSS first, then Atom, then JSON
// Feed, each in page order. It reads only the head: feeds are announced
// there, and a page body can be large.
func Discover(page []byte, base string) []string {
	b, _ := url.Parse(base)
	found := map[string][]string{}
	seen := map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ordered(found)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Body {
				return ordered(found)
			}
			if a != atom.Link || !hasAttr {
				continue
			}
			var rel, typ, href string
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "rel":
					rel = strings.ToLower(string(v))
				case "type":
					typ = strings.ToLower(strings.TrimSpace(string(v)))
				case "href":
					href = strings.TrimSpace(string(v))
				}
			}
			if href == "" || !hasToken(rel, "alternate") {
				continue
			}
			typ, _, _ = strings.Cut(typ, ";")
			if !isFeedType(typ) {
				continue
			}
			u, err := url.Parse(href)
			if err != nil {
				continue
			}
			if b != nil {
				u = b.ResolveReference(u)
			}
			if u.Scheme != "http" && u.Scheme != "https" {
				continue
			}
			s := u.String()
			if !seen[s] {
				seen[s] = true
				found[typ] = append(found[typ], s)
			}
		}
	}
}

func isFeedType(t string) bool {
	for _, f := range feedTypes {
		if t == f {
			return true
		}
	}
	return false
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if f == tok {
			return true
		}
	}
	return false
}

func ordered(found map[string][]string) []string {
	var out []string
	for _, t := range feedTypes {
		out = append(out, found[t]...)
	}
	return out
}
