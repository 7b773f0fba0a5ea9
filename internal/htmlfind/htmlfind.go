// Package htmlfind finds elements and text in a parsed HTML page: what the
// tests of the real site generators (internal/hexotest, internal/gentest)
// read in the pages those generators made.
package htmlfind

import (
	"strings"

	"golang.org/x/net/html"
)

// All returns the nodes of n (itself included) for which match is true,
// in document order.
func All(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Class matches the elements that have class among their classes.
func Class(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return false
		}
		for _, a := range n.Attr {
			if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
				return true
			}
		}
		return false
	}
}

// Element matches the elements named tag.
func Element(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == tag }
}

// Text is the text a reader sees in n: entities decoded, tags dropped.
func Text(n *html.Node) string {
	var b strings.Builder
	for _, t := range All(n, func(n *html.Node) bool { return n.Type == html.TextNode }) {
		b.WriteString(t.Data)
	}
	return b.String()
}
