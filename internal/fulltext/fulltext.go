// Package fulltext replaces the summary a feed gives for an item with the
// article on the item's page. The page is fetched by the caller's fetcher
// (so it arrives as UTF-8 through the same charset step as feeds), and the
// article is picked by a CSS selector when the source names one, else by
// readability (codeberg.org/readeck/go-readability, a port of Firefox's
// Reader View). Cleaning is not done here: the content stage cleans every
// item's HTML when its post is written.
package fulltext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"sync"
	"unicode"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/parse"
)

// Errors of a page whose article cannot be had; the item keeps its summary.
var (
	ErrNoLink    = errors.New("the item has no link")
	ErrNotHTML   = errors.New("the page is not HTML")
	ErrNoArticle = errors.New("readability found no article on the page")
	ErrNoMatch   = errors.New("content_selector matches nothing on the page")
)

// Fetcher gets a document as UTF-8; *fetch.Client is one.
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string, v fetch.Validators) (*fetch.Response, error)
}

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
// has more text than the content the feed gave. It never fails: a page
// that cannot be had leaves its item as it was and is listed in the
// report. When ctx ends, the pages not yet fetched are left alone.
func Fill(ctx context.Context, f Fetcher, items []*feed.Item, selector string, workers int) Report {
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
func article(ctx context.Context, f Fetcher, link, selector string) (string, error) {
	resp, err := f.Fetch(ctx, link, fetch.Validators{})
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if resp.NotModified {
		return "", errors.New("fetch: the server answered 304 to an unconditional request")
	}
	if ct := resp.ContentType; ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt != "text/html" && mt != "application/xhtml+xml" && !strings.HasPrefix(mt, "text/") {
			return "", fmt.Errorf("%w (%s)", ErrNotHTML, mt)
		}
	}
	pageURL := resp.URL
	if pageURL == "" {
		pageURL = link
	}
	return Extract(resp.Body, pageURL, selector)
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
