// Package hugo writes posts as Hugo content files: one HTML file per item
// under content/<section>/<group>/<source>/<channel>/, with YAML front
// matter a stock Hugo site reads as it is.
//
// The files are HTML (.html), not Markdown: Hugo's Markdown renderer
// (Goldmark) drops raw HTML unless the site sets markup.goldmark.renderer.
// unsafe, while an .html content file is used as it is.
package hugo

import (
	"bytes"
	"strings"
	"time"
	"unicode"

	"github.com/feedmill/feedmill/internal/publish"
)

// DefaultSection is the content section posts go under when the
// configuration names none.
const DefaultSection = "posts"

// Format is the Hugo post format.
type Format struct {
	// Section is the folder below content/ that holds the posts, and so
	// their section; "" is DefaultSection.
	Section string
}

func (f Format) section() string {
	if f.Section == "" {
		return DefaultSection
	}
	return f.Section
}

// shortcodes keeps Hugo from reading feed text as shortcodes: Hugo looks
// for "{{<" and "{{%" in every content file, HTML too, and fails the
// build on a shortcode it does not know. An entity shows as the brace.
var shortcodes = strings.NewReplacer("{{", "&#123;&#123;")

// Render writes the post: front matter with title, date (RFC 3339),
// categories [group, source, channel], author, images [head image] and
// params.source (the item's link), then the body.
func (Format) Render(p publish.Post) []byte {
	var fm publish.FrontMatter
	fm.String("title", p.Title)
	fm.Plain("date", p.LatestDate().Format(time.RFC3339))
	fm.Strings("categories", p.Categories)
	fm.String("author", p.Author)
	if p.Image != "" {
		fm.Strings("images", []string{p.Image})
	}
	if p.Link != "" {
		fm.Map("params", "source", p.Link)
	}
	var b bytes.Buffer
	b.Write(fm.Bytes())
	b.WriteString(shortcodes.Replace(p.Body))
	if !strings.HasSuffix(p.Body, "\n") {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Folder is where all of a source's posts go, relative to the content
// folder: <section>/<group>/<source>/<channel>.
func (f Format) Folder(categories []string) string {
	return f.section() + "/" + strings.Join(categories, "/")
}

// Path is the post's path relative to the content folder, with the n-th
// collision suffix (1 for none). The file name is the title as the post's
// URL has it (see slug), so that two posts with one URL get two names;
// "index" is never one, since an index.html makes Hugo take the channel
// folder for a single page whose other files are its resources.
func (f Format) Path(p publish.Post, n int) string {
	stem := slug(publish.FileStem(p.Title))
	if stem == "index" {
		n++
	}
	return f.Folder(p.Categories) + "/" + publish.FileName(stem, n, ".html")
}

// slug is the file name Hugo's URL keeps as it is: Hugo makes a page's
// URL from its file name in lower case, dropping every character other
// than letters, marks, digits and a few signs, so "UPPER lower" and
// "upper LOWER", or "速览！" and "速览？", would make one page and the
// other post be lost; a name of signs only ("？？？") would make the
// channel's own page. So the name is in lower case, every run of other
// characters one "-", without "-" or "_" at the ends (Hugo skips names
// starting with "_" and ending with "~"), and "untitled" when nothing is
// left.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || r == '_' || r == '+' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-_")
	if out == "" {
		return "untitled"
	}
	return out
}

// Adopt reports whether old is the post as feedmill renders it: no other
// system wrote Hugo posts for feedmill to take over.
func (Format) Adopt(old, rendered []byte) bool { return bytes.Equal(old, rendered) }

// OldPath is "": no earlier system named these files.
func (Format) OldPath(publish.Post) string { return "" }

// Name is the format's name in the configuration, output.format.
func (Format) Name() string { return "hugo" }
