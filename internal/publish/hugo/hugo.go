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
// collision suffix (1 for none).
func (f Format) Path(p publish.Post, n int) string {
	return f.Folder(p.Categories) + "/" + publish.FileName(publish.FileStem(p.Title), n, ".html")
}

// Adopt reports whether old is the post as feedmill renders it: no other
// system wrote Hugo posts for feedmill to take over.
func (Format) Adopt(old, rendered []byte) bool { return bytes.Equal(old, rendered) }

// OldPath is "": no earlier system named these files.
func (Format) OldPath(publish.Post) string { return "" }

// Name is the format's name in the configuration, output.format.
func (Format) Name() string { return "hugo" }
