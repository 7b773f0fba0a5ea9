// Package jekyll writes posts as Jekyll posts: one HTML file per item,
// _posts/YYYY-MM-DD-<slug>.html (Jekyll reads a post's date from its
// name), with the front matter of a stock Jekyll theme's post layout.
//
// Jekyll renders every post with Liquid first, so feed text holding "{{"
// or "{%" would be read as a template. render_with_liquid: false (Jekyll
// 4.0 and later) turns that off for the post, whatever its text holds; a
// {% raw %} block would end at the first "{% endraw %}" in the text.
package jekyll

import (
	"bytes"
	"strings"
	"unicode"

	"github.com/feedmill/feedmill/internal/publish"
)

// Format is the Jekyll post format. Its zero value is ready to use.
type Format struct{}

// Render writes the post: front matter with layout post, title, date,
// categories [group, source, channel], author, image (the head image)
// and source (the item's link), then the body.
func (Format) Render(p publish.Post) []byte {
	var fm publish.FrontMatter
	fm.Plain("layout", "post")
	fm.String("title", p.Title)
	fm.Plain("date", p.LatestDate().Format("2006-01-02 15:04:05 -0700"))
	fm.Strings("categories", p.Categories)
	fm.String("author", p.Author)
	if p.Image != "" {
		fm.String("image", p.Image)
	}
	if p.Link != "" {
		fm.String("source", p.Link)
	}
	fm.Plain("render_with_liquid", "false")
	var b bytes.Buffer
	b.Write(fm.Bytes())
	b.WriteString(p.Body)
	if !strings.HasSuffix(p.Body, "\n") {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Folder is "": every source's posts share _posts.
func (Format) Folder([]string) string { return "" }

// Path is the post's file name in _posts, with the n-th collision suffix
// (1 for none): its date and its title as Jekyll's "pretty" slug keeps
// it, so that two titles that make one URL get two file names.
func (Format) Path(p publish.Post, n int) string {
	return publish.FileName(p.LatestDate().Format("2006-01-02")+"-"+slug(publish.FileStem(p.Title)), n, ".html")
}

// slug is Jekyll's slugify in its "pretty" mode, case kept: every run of
// characters other than letters, marks, digits and ._~!$&'()+,;=@
// becomes one "-", and "-" at the ends go.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || strings.ContainsRune("._~!$&'()+,;=@", r) {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "untitled"
	}
	return out
}

// Adopt reports whether old is the post as feedmill renders it: no other
// system wrote Jekyll posts for feedmill to take over.
func (Format) Adopt(old, rendered []byte) bool { return bytes.Equal(old, rendered) }

// OldPath is "": no earlier system named these files.
func (Format) OldPath(publish.Post) string { return "" }

// Name is the format's name in the configuration, output.format.
func (Format) Name() string { return "jekyll" }
