// Package content prepares an item's HTML for publishing. Its edits are
// minimal: every byte that needs no change stays as the feed gave it.
package content

import (
	"strings"

	"golang.org/x/net/html"
)

// Options are the per-source settings of the content stage.
type Options struct{}

// Result is a prepared body.
type Result struct {
	HTML string
	// Image is the src of the body's first <img>, "" when it has none.
	Image string
}

// Process prepares body, an item's HTML; link is the item's URL, against
// which relative URLs resolve.
func Process(body, link string, opts Options) Result {
	return Result{HTML: body, Image: FirstImage(body)}
}

// FirstImage returns the src of the first <img> of an HTML fragment.
func FirstImage(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "img" {
				continue
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "src" && strings.TrimSpace(string(v)) != "" {
					return strings.TrimSpace(string(v))
				}
			}
		}
	}
}
