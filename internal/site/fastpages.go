package site

import (
	"bytes"
	"strconv"

	"github.com/feedmill/feedmill/internal/site/htmlescape"
)

// The page writers below render the built-in entry.html, and layout.html
// around the built-in post.html or list.html, without html/template:
// a template's actions are reflection, calls of its escapers through
// reflect, and most of a build's time went there. They write the bytes
// html/template writes from the same data, escaping each action as its
// escaper would (package htmlescape), and are used only while those
// templates are the built-in ones (see builtinKinds). The tests of
// fastpages_test.go and fastpages_site_test.go check them against
// html/template: a change to one of those templates must be made here
// too, or they fail.

// writeEntry writes entry.html's "entry".
func writeEntry(w *bytes.Buffer, e *entry) {
	w.WriteString("<li class=\"entry\">\n")
	if e.Image != "" {
		w.WriteString(`<a class="thumb" href="`)
		htmlescape.URLAttr(w, e.Href)
		w.WriteString(`" tabindex="-1"><img src="`)
		htmlescape.URLAttr(w, e.Image)
		w.WriteString("\" alt=\"\" loading=\"lazy\" decoding=\"async\" referrerpolicy=\"no-referrer\"></a>\n")
	}
	w.WriteString("<div class=\"text\">\n<h2><a href=\"")
	htmlescape.URLAttr(w, e.Href)
	w.WriteString(`">`)
	htmlescape.Text(w, e.Title)
	w.WriteString("</a></h2>\n<p class=\"meta\"><a href=\"")
	htmlescape.URLAttr(w, e.SourceHref)
	w.WriteString(`">`)
	htmlescape.Text(w, e.Source)
	w.WriteString(`</a> · <time datetime="`)
	htmlescape.Text(w, e.ISO)
	w.WriteString(`">`)
	htmlescape.Text(w, e.Date)
	w.WriteString("</time></p>\n")
	if e.Excerpt != "" {
		w.WriteString(`<p class="excerpt">`)
		htmlescape.Text(w, e.Excerpt)
		w.WriteString("</p>\n")
	}
	w.WriteString("</div>\n</li>\n")
}

// writePage writes layout.html with the blocks of post.html (post) or of
// list.html.
func writePage(w *bytes.Buffer, d *pageData, post bool) {
	w.WriteString("<!DOCTYPE html>\n<html lang=\"")
	htmlescape.Text(w, d.Site.Lang)
	w.WriteString(`">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="script-src 'self'; object-src 'none'; base-uri 'none'">
<title>`)
	if d.Title != "" {
		htmlescape.Text(w, d.Title)
		w.WriteString(" - ")
	}
	htmlescape.Text(w, d.Site.Title)
	w.WriteString("</title>\n")
	if d.Description != "" {
		w.WriteString(`<meta name="description" content="`)
		htmlescape.Text(w, d.Description)
		w.WriteString("\">\n")
	}
	if d.Canonical != "" {
		w.WriteString(`<link rel="canonical" href="`)
		htmlescape.URLAttr(w, d.Canonical)
		w.WriteString("\">\n")
	}
	w.WriteString(string(d.Site.Head))
	if f := d.Feeds; f != nil && d.Kind != "home" {
		writeFeedLink(w, "application/rss+xml", d.Heading, f.RSS)
		writeFeedLink(w, "application/atom+xml", d.Heading, f.Atom)
		writeFeedLink(w, "application/feed+json", d.Heading, f.JSON)
	}
	if post {
		writePostHead(w, d)
	}
	w.WriteString("</head>\n<body class=\"page-")
	htmlescape.Text(w, d.Kind)
	w.WriteString("\">\n")
	w.WriteString(string(d.Site.Header))
	w.WriteString("<main class=\"wrap\">\n")
	if post {
		writePostMain(w, d)
	} else {
		writeListMain(w, d)
	}
	w.WriteString("\n</main>\n")
	w.WriteString(string(d.Site.Footer))
	w.WriteString("</body>\n</html>\n")
}

// writeFeedLink writes one of layout.html's links to a list's feeds.
func writeFeedLink(w *bytes.Buffer, typ, title, href string) {
	w.WriteString(`<link rel="alternate" type="`)
	w.WriteString(typ)
	w.WriteString(`" title="`)
	htmlescape.Text(w, title)
	w.WriteString(`" href="`)
	htmlescape.URLAttr(w, href)
	w.WriteString("\">\n")
}

// writePostHead writes post.html's "head".
func writePostHead(w *bytes.Buffer, d *pageData) {
	w.WriteString("<meta property=\"og:type\" content=\"article\">\n<meta property=\"og:title\" content=\"")
	htmlescape.Text(w, d.Post.Title)
	w.WriteString("\">\n")
	if d.Post.Image != "" {
		// content is no URL attribute to html/template: the image is
		// escaped as text.
		w.WriteString(`<meta property="og:image" content="`)
		htmlescape.Text(w, d.Post.Image)
		w.WriteString("\">\n")
	}
}

// writePostMain writes post.html's "main".
func writePostMain(w *bytes.Buffer, d *pageData) {
	p := d.Post
	w.WriteString("\n")
	w.WriteString(string(d.Nav))
	w.WriteString("\n<article class=\"article\">\n<h1>")
	htmlescape.Text(w, p.Title)
	w.WriteString("</h1>\n<p class=\"meta\">")
	htmlescape.Text(w, p.Source)
	if p.Author != "" && p.Author != p.Source {
		w.WriteString(" · ")
		htmlescape.Text(w, p.Author)
	}
	w.WriteString(` · <time datetime="`)
	htmlescape.Text(w, p.ISO)
	w.WriteString(`">`)
	htmlescape.Text(w, p.Date)
	w.WriteString("</time></p>\n")
	if p.Image != "" {
		w.WriteString(`<figure class="headimg"><img src="`)
		htmlescape.URLAttr(w, p.Image)
		w.WriteString("\" alt=\"\" loading=\"lazy\" referrerpolicy=\"no-referrer\"></figure>\n")
	}
	w.WriteString("<div class=\"content\">\n")
	w.WriteString(string(p.Body))
	w.WriteString("\n</div>\n")
	if p.Original != "" {
		w.WriteString(`<p class="original"><a href="`)
		htmlescape.URLAttr(w, p.Original)
		w.WriteString(`" rel="noopener noreferrer nofollow" target="_blank">阅读原文`)
		if p.Host != "" {
			w.WriteString("（")
			htmlescape.Text(w, p.Host)
			w.WriteString("）")
		}
		w.WriteString("</a></p>\n")
	}
	w.WriteString("</article>\n")
}

// writeListMain writes list.html's "main", of the home page and of the
// other lists.
func writeListMain(w *bytes.Buffer, d *pageData) {
	w.WriteString("\n")
	if len(d.Crumbs) > 0 {
		w.WriteString(string(d.Nav))
		w.WriteString("\n")
	}
	if d.Kind != "home" {
		w.WriteString("<h1>")
		htmlescape.Text(w, d.Heading)
		w.WriteString("</h1>\n")
	} else if d.Site.Description != "" {
		w.WriteString(`<p class="lead">`)
		htmlescape.Text(w, d.Site.Description)
		w.WriteString("</p>\n")
	}
	w.WriteString(`<p class="meta">`)
	if d.Count != 0 {
		w.WriteString("共 ")
		w.WriteString(strconv.Itoa(d.Count))
		w.WriteString(" 篇")
	}
	if d.PageNote != "" {
		w.WriteString(`<span class="range">`)
		htmlescape.Text(w, d.PageNote)
		w.WriteString("</span>")
	}
	if f := d.Feeds; f != nil {
		w.WriteString(`<span class="feeds"><a href="`)
		htmlescape.URLAttr(w, f.RSS)
		w.WriteString(`">RSS</a> <a href="`)
		htmlescape.URLAttr(w, f.Atom)
		w.WriteString(`">Atom</a> <a href="`)
		htmlescape.URLAttr(w, f.JSON)
		w.WriteString(`">JSON</a></span>`)
	}
	w.WriteString("</p>\n")
	if len(d.Children) > 0 {
		w.WriteString(`<ul class="chips">`)
		for _, c := range d.Children {
			w.WriteString(`<li><a href="`)
			htmlescape.URLAttr(w, c.Href)
			w.WriteString(`">`)
			htmlescape.Text(w, c.Label)
			w.WriteString(`<span class="n">`)
			w.WriteString(strconv.Itoa(c.Count))
			w.WriteString("</span></a></li>")
		}
		w.WriteString("</ul>\n")
	}
	w.WriteString("<ul class=\"posts\">\n")
	for _, e := range d.Entries {
		w.WriteString(string(e))
	}
	if len(d.Entries) == 0 {
		w.WriteString("<li class=\"empty\">还没有文章。</li>\n")
	}
	w.WriteString("</ul>\n")
	if d.Newer != "" || d.Older != "" {
		w.WriteString(`<nav class="pager">`)
		if d.Newer != "" {
			w.WriteString(`<a class="newer" rel="prev" href="`)
			htmlescape.URLAttr(w, d.Newer)
			w.WriteString(`">← 较新</a>`)
		}
		if d.Older != "" {
			w.WriteString(`<a class="older" rel="next" href="`)
			htmlescape.URLAttr(w, d.Older)
			w.WriteString(`">较早 →</a>`)
		}
		w.WriteString("</nav>\n")
	}
}
