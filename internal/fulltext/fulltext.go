// Package fulltext replaces the summary a feed gives for an item with the
// article on the item's page. The page is fetched by the item-link client
// of the caller's fetch.Client (so it arrives as UTF-8 through the same
// charset step as feeds, but only from the public internet), and the
// article is picked by a CSS selector when the source names one, else by
// readability (codeberg.org/readeck/go-readability, a port of Firefox's
// Reader View). Cleaning is not done here: the content stage cleans every
// item's HTML when its post is written.
//
// An item's link is text from the feed, untrusted even when the operator
// chose the source: a page is fetched only over http(s), never from a
// non-public address (see fetch.Client.ItemLinks), and used only when it
// is an HTML or XHTML document by its Content-Type and by its bytes.
package fulltext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"unicode"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/parse"
)

// Errors of a page whose article cannot be had; the item keeps its summary.
var (
	ErrNoLink    = errors.New("the item has no link")
	ErrNotHTML   = errors.New("the page is not an HTML document")
	ErrNoArticle = errors.New("readability found no article on the page")
	ErrNoMatch   = errors.New("content_selector matches nothing on the page")
)

// htmlTypes are the Content-Types of the pages full text reads.
var htmlTypes = []string{"text/html", "application/xhtml+xml"}

// Extract returns the article of page, an HTML document in UTF-8 fetched
// from pageURL: the elements selector matches, one after the other, or,
// with selector "", what readability takes for the article. Links and
// images in it are absolute.
func Extract(page []byte, pageURL, selector string) (string, error) {
	if selector != "" {
		out, err := parse.Select(page, pageURL, selector)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(out) == "" {
			return "", ErrNoMatch
		}
		return out, nil
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return "", fmt.Errorf("parse page: %w", err)
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", fmt.Errorf("page URL: %w", err)
	}
	article, err := readability.FromDocument(doc, u)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoArticle, err)
	}
	if article.Node == nil {
		return "", ErrNoArticle
	}
	// The article's own wrapper (<div id="readability-page-1">) says
	// nothing; its children are the article.
	var b strings.Builder
	for c := article.Node.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "", fmt.Errorf("render article: %w", err)
		}
	}
	out := b.String()
	if textLen(out) == 0 {
		return "", ErrNoArticle
	}
	return out, nil
}

// Failure is a page whose article could not be had.
type Failure struct {
	Link string
	Err  error
}

func (f Failure) Error() string { return f.Link + ": " + f.Err.Error() }

// Report is what Fill did.
type Report struct {
	// Replaced counts items whose content is now their page's article.
	Replaced int
	// Kept counts items whose article was no longer than their summary,
	// which they keep: the extraction missed, or the feed was full already.
	Kept int
	// Failed lists the pages that could not be fetched or read; those
	// items keep their summary.
	Failed []Failure
}

// Fill fetches the page of each item, at most workers at a time, and
// replaces the item's content with the page's article when the article
// has more text than the content the feed gave. Pages are fetched with
// c.ItemLinks(), whichever client c is. It never fails: a page that
// cannot be had leaves its item as it was and is listed in the report.
// When ctx ends, the pages not yet fetched are left alone.
func Fill(ctx context.Context, c *fetch.Client, items []*feed.Item, selector string, workers int) Report {
	f := c.ItemLinks()
	type outcome struct {
		content string
		err     error
	}
	results := make([]outcome, len(items))
	sem := make(chan struct{}, max(1, workers))
	var wg sync.WaitGroup
	for i, it := range items {
		if ctx.Err() != nil {
			results[i].err = ctx.Err()
			continue
		}
		if strings.TrimSpace(it.Link) == "" {
			results[i].err = ErrNoLink
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i].content, results[i].err = article(ctx, f, it.Link, selector)
		}()
	}
	wg.Wait()
	var rep Report
	for i, r := range results {
		switch {
		case r.err != nil:
			rep.Failed = append(rep.Failed, Failure{Link: items[i].Link, Err: r.err})
		case textLen(r.content) <= textLen(items[i].Content):
			rep.Kept++
		default:
			items[i].Content = r.content
			rep.Replaced++
		}
	}
	return rep
}

// article fetches one page and extracts its article.
func article(ctx context.Context, f *fetch.Client, link, selector string) (string, error) {
	resp, err := f.Do(ctx, fetch.Request{
		URL:     link,
		Headers: map[string]string{"Accept": "text/html, application/xhtml+xml;q=0.9"},
		Types:   htmlTypes,
	})
	if errors.Is(err, fetch.ErrContentType) {
		return "", fmt.Errorf("%w (%v)", ErrNotHTML, err)
	}
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if resp.NotModified {
		return "", errors.New("fetch: the server answered 304 to an unconditional request")
	}
	if !isHTMLDocument(resp.Body) {
		return "", fmt.Errorf("%w (served as %s, but its bytes are not HTML)", ErrNotHTML, resp.ContentType)
	}
	pageURL := resp.URL
	if pageURL == "" {
		pageURL = link
	}
	return Extract(resp.Body, pageURL, selector)
}

// isHTMLDocument reports whether page, in UTF-8, starts as an HTML or
// XHTML document does: after a byte order mark, white space, an XML
// declaration and comments, a doctype html or the start tag of an HTML
// element. A text file, JSON, an image or a PDF served as text/html
// does not.
func isHTMLDocument(page []byte) bool {
	p := bytes.TrimPrefix(page, []byte("\uFEFF"))
	for {
		p = bytes.TrimLeft(p, " \t\r\n\f")
		var end []byte
		switch {
		case bytes.HasPrefix(p, []byte("<?xml")):
			end = []byte("?>")
		case bytes.HasPrefix(p, []byte("<!--")):
			end = []byte("-->")
		}
		if end == nil {
			break
		}
		i := bytes.Index(p, end)
		if i < 0 {
			return false
		}
		p = p[i+len(end):]
	}
	const doctype = "<!doctype html"
	if len(p) >= len(doctype) && strings.EqualFold(string(p[:len(doctype)]), doctype) {
		return true
	}
	if len(p) < 2 || p[0] != '<' {
		return false
	}
	n := 1
	for n < len(p) && n < 16 && (p[n] >= 'a' && p[n] <= 'z' || p[n] >= 'A' && p[n] <= 'Z' || n > 1 && p[n] >= '0' && p[n] <= '9') {
		n++
	}
	if n == 1 || n == len(p) || !(p[n] == '>' || p[n] == '/' || p[n] == ' ' || p[n] == '\t' || p[n] == '\r' || p[n] == '\n' || p[n] == '\f') {
		return false
	}
	return atom.Lookup(bytes.ToLower(p[1:n])) != 0
}

// textLen counts the letters and digits of an HTML fragment's text, the
// measure of how much article it holds.
func textLen(fragment string) int {
	n := 0
	for _, r := range parse.Text(fragment) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
