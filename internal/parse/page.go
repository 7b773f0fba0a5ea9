package parse

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/charset"
	"github.com/feedmill/feedmill/internal/feed"
)

// ErrNoItems is returned when a page's item selector matches nothing: the
// page changed its layout, or the selector is wrong.
var ErrNoItems = errors.New("the item selector matches nothing on the page")

// SelectorError is a CSS selector that does not compile.
type SelectorError struct {
	Selector string
	Err      error
}

func (e *SelectorError) Error() string {
	return fmt.Sprintf("%q is not a CSS selector: %v", e.Selector, e.Err)
}

func (e *SelectorError) Unwrap() error { return e.Err }

// selector is a compiled CSS selector with an optional attribute to read.
type selector struct {
	css  cascadia.Selector
	attr string
}

// CheckSelector reports whether s is a CSS selector that Select and
// ParsePage accept. With attr set, s may end in "@name", naming the
// attribute to read.
func CheckSelector(s string, attr bool) error {
	_, err := compile(s, attr)
	return err
}

func compile(s string, attr bool) (selector, error) {
	var out selector
	if attr {
		// "@" appears nowhere in CSS selector syntax outside strings, so
		// the last one starts the attribute name.
		if i := strings.LastIndexByte(s, '@'); i >= 0 && !strings.ContainsAny(s[i:], `"']`) {
			out.attr = strings.TrimSpace(s[i+1:])
			s = s[:i]
			if out.attr == "" {
				return out, &SelectorError{Selector: s + "@", Err: errors.New("no attribute name after @")}
			}
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if out.attr != "" {
			return out, nil // "@href": the attribute of the item element itself
		}
		return out, &SelectorError{Selector: s, Err: errors.New("empty")}
	}
	css, err := cascadia.Compile(s)
	if err != nil {
		return out, &SelectorError{Selector: s, Err: err}
	}
	out.css = css
	return out, nil
}

// first returns the first element in (or at) sel that the selector
// matches; with no CSS part, sel itself.
func (s selector) first(sel *goquery.Selection) *goquery.Selection {
	if s.css == nil {
		return sel
	}
	if m := sel.FilterMatcher(s.css); m.Length() > 0 {
		return m.First()
	}
	return sel.FindMatcher(s.css).First()
}

// ParsePage reads the items of a web page that has no feed, as RSSHub
// routes do, but configured: sel.Item selects each item's element, and
// the other selectors select inside it. base is the page's URL, which
// links and images resolve against (or against the page's <base href>);
// loc is the zone of dates written without one. Items with neither a
// title nor a link (header rows, advertisements) are skipped, and an item
// whose link came before on the page is dropped. The page's bytes may be
// in any charset, as for Parse.
func ParsePage(data []byte, base string, sel feed.Selectors, loc *time.Location) (*Feed, error) {
	doc, _ := charset.ToUTF8(data, "")
	return ParsePageUTF8(doc, base, sel, loc)
}

// ParsePageUTF8 is ParsePage of a page fetch has read in its charset
// already (fetch.Response.Doc): its bytes are not checked again.
func ParsePageUTF8(page charset.UTF8, base string, sel feed.Selectors, loc *time.Location) (*Feed, error) {
	data := page.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	item, err := compile(sel.Item, false)
	if err != nil {
		return nil, fmt.Errorf("item selector: %w", err)
	}
	title, err := compile(sel.Title, true)
	if err != nil {
		return nil, fmt.Errorf("title selector: %w", err)
	}
	var link, date, content selector
	if sel.Link != "" {
		if link, err = compile(sel.Link, true); err != nil {
			return nil, fmt.Errorf("link selector: %w", err)
		}
	}
	if sel.Date != "" {
		if date, err = compile(sel.Date, true); err != nil {
			return nil, fmt.Errorf("date selector: %w", err)
		}
	}
	if sel.Content != "" {
		if content, err = compile(sel.Content, false); err != nil {
			return nil, fmt.Errorf("content selector: %w", err)
		}
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse page: %w", err)
	}
	base = documentBase(doc, base)
	out := &Feed{Title: oneLine(doc.Find("title").First().Text()), Link: base}
	matches := doc.FindMatcher(item.css)
	if matches.Length() == 0 {
		return nil, ErrNoItems
	}
	seen := map[string]bool{}
	matches.Each(func(_ int, s *goquery.Selection) {
		var it feed.Item
		titleSel := title.first(s)
		it.Title = read(titleSel, title.attr)
		if sel.Link != "" {
			it.Link = read(link.first(s), orDefault(link.attr, "href"))
		} else {
			it.Link = pageLink(titleSel, s)
		}
		if it.Link != "" {
			it.Link = resolve(base, it.Link)
		}
		if sel.Date != "" {
			it.Published = pageDate(date.first(s), date.attr, loc)
		}
		if sel.Content != "" {
			it.Content = outerHTML(s.FindMatcher(content.css), base)
		}
		if it.Title == "" && it.Link == "" {
			return
		}
		if it.Link != "" {
			if seen[it.Link] {
				return
			}
			seen[it.Link] = true
		}
		if it.Title == "" {
			it.Title = fallbackTitle(it)
		}
		out.Items = append(out.Items, it)
	})
	if len(out.Items) == 0 {
		return nil, fmt.Errorf("%w with a title or a link", ErrNoItems)
	}
	return out, nil
}

// Select returns the HTML of every element of page that selector matches,
// one after the other, with their links and images made absolute against
// base. It is "" when nothing matches.
func Select(page []byte, base, selector string) (string, error) {
	sel, err := compile(selector, false)
	if err != nil {
		return "", err
	}
	page, _ = charset.Convert(page, "")
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return "", fmt.Errorf("parse page: %w", err)
	}
	return outerHTML(doc.FindMatcher(sel.css), documentBase(doc, base)), nil
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// read returns an attribute of the selection's first element, or its
// text on one line when attr is "".
func read(s *goquery.Selection, attr string) string {
	if s.Length() == 0 {
		return ""
	}
	if attr != "" {
		v, _ := s.First().Attr(attr)
		return strings.TrimSpace(v)
	}
	return oneLine(s.First().Text())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// pageLink finds an item's link without a link selector: the title
// element's href, else that of the link around the title inside the item,
// else the first link inside the title, else the item's first link.
func pageLink(title, item *goquery.Selection) string {
	href := func(n *html.Node) string {
		for _, a := range n.Attr {
			if a.Namespace == "" && a.Key == "href" {
				return strings.TrimSpace(a.Val)
			}
		}
		return ""
	}
	if title.Length() > 0 {
		top := item.Get(0)
		for n := title.Get(0); n != nil; n = n.Parent {
			if n.Type == html.ElementNode && n.Data == "a" && href(n) != "" {
				return href(n)
			}
			if n == top {
				break
			}
		}
		if v := strings.TrimSpace(title.Find("a[href]").First().AttrOr("href", "")); v != "" {
			return v
		}
	}
	return strings.TrimSpace(item.Find("a[href]").First().AttrOr("href", ""))
}

// datePattern finds a date inside text such as "来源：新华社 2024-01-02
// 10:30", "[2024/1/2]" or "2024年1月2日 10:30".
var datePattern = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}:\d{2}(?::\d{2})?))?`)

// pageDate reads a date from the named attribute, else from the datetime
// attribute or the text; zero when none reads.
func pageDate(s *goquery.Selection, attr string, loc *time.Location) time.Time {
	if s.Length() == 0 {
		return time.Time{}
	}
	var candidates []string
	if attr != "" {
		candidates = append(candidates, read(s, attr))
	} else {
		if v, ok := s.First().Attr("datetime"); ok {
			candidates = append(candidates, v)
		}
		candidates = append(candidates, read(s, ""))
	}
	for _, c := range candidates {
		if t, ok := Date(c, loc); ok {
			return t.UTC()
		}
		if m := datePattern.FindStringSubmatch(c); m != nil {
			d := m[1] + "-" + m[2] + "-" + m[3]
			if m[4] != "" {
				d += " " + m[4]
			}
			if t, ok := Date(d, loc); ok {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// documentBase is the page's <base href>, resolved against the URL it
// came from, else that URL.
func documentBase(doc *goquery.Document, pageURL string) string {
	if v, ok := doc.Find("base[href]").First().Attr("href"); ok && strings.TrimSpace(v) != "" {
		return resolve(pageURL, v)
	}
	return pageURL
}

// urlAttrs are the attributes whose relative URLs are made absolute in
// content taken from a page: the content stage resolves them against the
// item's link, which is not the page they were written for.
var urlAttrs = []string{"href", "src", "poster"}

// outerHTML renders the selection's elements with absolute URLs.
func outerHTML(s *goquery.Selection, base string) string {
	var b strings.Builder
	for _, n := range s.Nodes {
		absolute(n, base)
		if err := html.Render(&b, n); err != nil {
			continue
		}
	}
	return b.String()
}

func absolute(n *html.Node, base string) {
	if n.Type == html.ElementNode {
		for i, a := range n.Attr {
			for _, name := range urlAttrs {
				if a.Namespace == "" && a.Key == name && strings.TrimSpace(a.Val) != "" && !strings.HasPrefix(strings.TrimSpace(a.Val), "#") {
					n.Attr[i].Val = resolve(base, a.Val)
				}
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		absolute(c, base)
	}
}
