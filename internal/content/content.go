// Package content prepares an item's HTML for publishing. Its edits are
// minimal: every byte that needs no change stays as the feed gave it, and
// a changed tag keeps the bytes of every attribute that needs none.
//
// What it changes, and why:
//   - Nothing in a body runs script on our pages: <script>, event
//     handlers, script URLs (also hidden by references, case or white
//     space), HTML in data: URLs, srcdoc, <object>, <embed>, <base>,
//     <meta http-equiv>, form actions and script in CSS go. Markup that
//     HTML and SVG/MathML would read differently (raw text, CDATA) is
//     rewritten so that both readings agree.
//   - Images display: lazy images get their real URL, relative URLs
//     become absolute against the item link, every <img> is fetched
//     without a Referer, and an image proxy can serve plain-http images.
//   - The body renders in Hexo's Markdown as in a browser: no blank line
//     ends the HTML block early.
//   - <style> elements follow the Style policy.
//   - Nothing leaves the body's place on the page: CSS (inline or in
//     <style>) loses positions other than static and relative (fixed,
//     sticky and absolute cover the page around the body) and z-index
//     values above 10.
//   - Enclosures the body does not show are added to it.
//
// Process is idempotent: processing its own output changes nothing.
package content

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/feed"
)

// Options are the settings of the content stage. ImageProxy and Style are
// per source; BaseURL and Enclosures are per item (refresh sets them).
type Options struct {
	// ImageProxy, when set, is put before every plain-http image URL:
	// src="http://a/b.jpg" becomes src="<ImageProxy>http://a/b.jpg".
	ImageProxy string
	// Style is what <style> elements do; "" means StyleScope.
	Style Style
	// BaseURL is the item's xml:base, resolved against the item link; it
	// is the base of relative URLs when set.
	BaseURL string
	// Enclosures are the item's media (podcast audio, video, images); the
	// ones the body lacks are added at its top.
	Enclosures []feed.Enclosure
}

// Version numbers what Process makes of a body. It goes up with every
// change to Process's output for some input, so that a body prepared by
// an older feedmill and kept (the store keeps the bodies the refresh
// prepared, for the site) is not taken for this one's.
// TestVersionFollowsOutput fails when the golden outputs change and it
// does not.
const Version = 6

// Key names what Process's output depends on besides the item (its body,
// link and enclosures): Version and the options that are not per item.
// Bodies prepared with equal keys from the same item are equal.
func (o Options) Key() string {
	k := keyOf{o.ImageProxy, o.Style, o.BaseURL}
	if o.BaseURL != "" {
		return k.hash() // per item: not worth keeping
	}
	if v, ok := keys.Load(k); ok {
		return v.(string)
	}
	v, _ := keys.LoadOrStore(k, k.hash())
	return v.(string)
}

// keys holds the keys made so far: Key runs for every post a refresh
// writes, and a sha256 each time was a hundredth of a first refresh's CPU.
// A run has a few sets of options, one per source at most, besides an
// item's own BaseURL.
var keys sync.Map // keyOf → string

type keyOf struct {
	imageProxy string
	style      Style
	baseURL    string
}

func (o keyOf) hash() string {
	h := sha256.New()
	for _, s := range []string{strconv.Itoa(Version), o.imageProxy, string(o.style.orDefault()), o.baseURL} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Result is a prepared body.
type Result struct {
	HTML string
	// Image is the src of the body's first <img> after the edits, "" when
	// it has none. It is the post's headimg.
	Image string
}

// Process prepares body, an item's HTML; link is the item's URL, against
// which relative URLs resolve.
func Process(body, link string, opts Options) Result {
	return process(body, link, opts, false)
}

// process is Process; eager has the writer write every kept token at
// once, the reference for the tests.
func process(body, link string, opts Options, eager bool) Result {
	c := newCleaner(opts, opts.Style.orDefault(), link, eager)
	defer c.release()
	out := c.run(body)
	image := c.image
	if len(opts.Enclosures) == 0 {
		return Result{HTML: out, Image: image}
	}
	if media := enclosureHTML(out, image != "", c.baseURL(), opts.Enclosures); media != "" {
		m := newCleaner(opts, c.style, link, eager)
		defer m.release()
		m.base, m.based = c.base, true
		out = m.run(media) + out
		if m.image != "" {
			image = m.image
		}
	}
	return Result{HTML: out, Image: image}
}

var urlBreaks = strings.NewReplacer("\t", "", "\n", "", "\r", "")

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
				// Browsers drop tabs and line breaks from URLs; so does
				// the headimg, which must stay on its front matter line.
				if src := strings.TrimSpace(urlBreaks.Replace(string(v))); string(k) == "src" && src != "" {
					return src
				}
			}
		}
	}
}
