// Package hexo writes posts in the Hexo format of the system feedmill
// replaces, byte for byte: its front matter, its body wrapper and its
// file layout, <group>/<source>/<channel>/<title>.md under Hexo's
// source/_posts.
package hexo

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/publish"
)

// Format is the Hexo post format. Its zero value is ready to use.
type Format struct{}

// quoteTitle quotes a sanitized title the old system's way: single quotes,
// or double quotes when it holds a single quote. A title with both kinds,
// which the old system wrote as broken YAML, is single-quoted with the
// quote doubled, as YAML escapes it.
func quoteTitle(t string) string {
	switch {
	case !strings.Contains(t, "'"):
		return "'" + t + "'"
	case !strings.Contains(t, `"`):
		return `"` + t + `"`
	default:
		return singleQuote(t)
	}
}

func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// plain writes a value the old system wrote unquoted (categories, author)
// as it was, unless YAML would read it back as something else; then it is
// single-quoted.
func plain(s string) string {
	s = publish.OneLine(s)
	if plainWord(s) {
		return s
	}
	if yaml11.MatchString(s) {
		return singleQuote(s)
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte("k: "+s), &v); err == nil {
		if got, ok := v["k"].(string); ok && got == s {
			return s
		}
	}
	return singleQuote(s)
}

// yaml11 matches the plain scalars that YAML 1.1 readers (PyYAML, older
// js-yaml, many static site tools) resolve to something other than a
// string, though YAML 1.2 reads them as strings: yes/no/on/off, 1:20
// (sexagesimal), 1_000, 0b101, 017, .inf, timestamps, "<<" and "=". These
// are PyYAML's implicit resolvers.
var yaml11 = regexp.MustCompile(`^(?:` +
	`yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|true|True|TRUE|false|False|FALSE` +
	`|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)` +
	`|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+` +
	`|<<|~|null|Null|NULL|=` +
	`|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?` +
	`)$`)

// plainWord reports, cheaply, the common case of a name YAML reads back
// unchanged: letters and digits only, no ASCII digit first, so that it
// can be no number or date, and, when it is all ASCII, none of the words
// YAML may read as a boolean or null. Everything else takes the YAML
// round trip.
func plainWord(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	wide := false
	for _, r := range s {
		switch {
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			wide = true
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		case r >= utf8.RuneSelf && unicode.IsDigit(r):
		default:
			return false
		}
	}
	if wide {
		return true
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}

// DateText is a post's date: RFC 1123 in GMT.
func DateText(t time.Time) string {
	return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

// Render writes the post in the old system's exact format.
func (Format) Render(p publish.Post) []byte { return Render(p) }

// AppendRender appends the post, as Render writes it, to dst, which it
// grows once to the size needed: a writer that drops each post once it is
// written can render the next into the same memory.
func (Format) AppendRender(dst []byte, p publish.Post) []byte { return AppendRender(dst, p) }

// Render writes the post in the old system's exact format.
//
// It writes into one slice of the final size, escaping braces as it
// copies: the buffer, its string, the replaced copy and the bytes of that
// were four copies of every body.
func Render(p publish.Post) []byte {
	return AppendRender(nil, p)
}

// AppendRender is Render appending to dst.
func AppendRender(dst []byte, p publish.Post) []byte {
	img := p.Image
	if img == "" {
		img = publish.PicsumURL(p.RandomN)
	}
	title := quoteTitle(publish.Title(p.Title))
	cats := make([]string, len(p.Categories))
	for i, c := range p.Categories {
		cats[i] = plain(c)
	}
	author := plain(p.Author)
	date := DateText(p.Date)
	img = singleQuote(img)
	n := len(renderParts[0]) + len(title) + len(renderParts[1]) + len(renderParts[2]) + len(img) +
		len(renderParts[3]) + len(author) + len(renderParts[4]) + len(date) + len(renderParts[5]) +
		len(img) + len(renderParts[6]) + len(p.Body) + len(renderParts[7])
	for _, c := range cats {
		n += len(renderParts[8]) + len(c)
	}
	// Each escaped brace grows by len("&#123;")-1; only feed text holds
	// braces, the template's own text has none.
	n += (len("&#123;") - 1) * (braceCount(title) + braceCount(author) + braceCount(img)*2 + braceCount(p.Body))
	for _, c := range cats {
		n += (len("&#123;") - 1) * braceCount(c)
	}
	b := dst
	if cap(b)-len(b) < n {
		b = append(make([]byte, 0, len(b)+n), b...)
	}
	b = append(b, renderParts[0]...)
	b = appendBraced(b, title)
	b = append(b, renderParts[1]...)
	for _, c := range cats {
		b = append(b, renderParts[8]...)
		b = appendBraced(b, c)
	}
	b = append(b, renderParts[2]...)
	b = appendBraced(b, img)
	b = append(b, renderParts[3]...)
	b = appendBraced(b, author)
	b = append(b, renderParts[4]...)
	b = appendBraced(b, date)
	b = append(b, renderParts[5]...)
	b = appendBraced(b, img)
	b = append(b, renderParts[6]...)
	b = appendBraced(b, p.Body)
	b = append(b, renderParts[7]...)
	return b
}

// renderParts is the post template's own text, between the values.
var renderParts = [...]string{
	"\n---\ntitle: ",
	"\ncategories: ",
	"\nheadimg: ",
	"\nauthor: ",
	"\ncomments: false\ndate: ",
	"\nthumbnail: ",
	"\n---\n\n<div>   \n",
	"  \n</div>\n            ",
	"\n - ", // before each category
}

// braceCount is how many braces s holds.
func braceCount(s string) int {
	return strings.Count(s, "{") + strings.Count(s, "}")
}

// appendBraced appends s to b with its braces escaped as &#123; and
// &#125;, which keeps Hexo's Nunjucks from reading feed text as template
// tags.
//
// The next brace of each kind is looked for with strings.IndexByte, which
// reads many bytes at a time, and again only once it is passed:
// strings.IndexAny read a body byte by byte, a third of Render's time.
func appendBraced(b []byte, s string) []byte {
	lb, rb := strings.IndexByte(s, '{'), strings.IndexByte(s, '}')
	done := 0
	for lb >= 0 || rb >= 0 {
		i, ref := lb, "&#123;"
		if lb < 0 || (rb >= 0 && rb < lb) {
			i, ref = rb, "&#125;"
		}
		b = append(b, s[done:i]...)
		b = append(b, ref...)
		done = i + 1
		if i == lb {
			if lb = strings.IndexByte(s[done:], '{'); lb >= 0 {
				lb += done
			}
		} else {
			if rb = strings.IndexByte(s[done:], '}'); rb >= 0 {
				rb += done
			}
		}
	}
	return append(b, s[done:]...)
}

// Folder is where all of a source's posts go, relative to the output
// folder: <group>/<source>/<channel>.
func (Format) Folder(categories []string) string {
	return strings.Join(categories, "/")
}

// Path is the post's path relative to the output folder, with the n-th
// collision suffix (1 for none): <group>/<source>/<channel>/<title>.md.
func (f Format) Path(p publish.Post, n int) string {
	return f.Folder(p.Categories) + "/" + publish.FileName(publish.FileStem(p.Title), n, ".md")
}

// OldPath is the path the old system gave the post, when it differs from
// Path(p, 1): a name Hexo never showed (see publish.FileStem). A post
// found there is moved to its path and adopted. "" when they are alike.
func (f Format) OldPath(p publish.Post) string {
	old := f.Folder(p.Categories) + "/" + publish.FileName(publish.OldFileStem(p.Title), 1, ".md")
	if old == f.Path(p, 1) {
		return ""
	}
	return old
}

// Adopt reports whether old, a file found at the post's path, is the
// post rendered as rendered, as the old system wrote it: the same title
// and date lines in its front matter. Switching from the old system then
// rewrites nothing.
func (Format) Adopt(old, rendered []byte) bool {
	want := frontMatterLines(string(rendered))
	got := frontMatterLines(string(old))
	return want["title"] != "" && want["title"] == got["title"] && want["date"] == got["date"]
}

func frontMatterLines(s string) map[string]string {
	out := map[string]string{}
	s = strings.TrimLeft(s, "\n")
	rest, ok := strings.CutPrefix(s, "---\n")
	if !ok {
		return out
	}
	fm, _, _ := strings.Cut(rest, "\n---")
	for _, line := range strings.Split(fm, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			out[k] = v
		}
	}
	return out
}

// Name is the format's name in the configuration, output.format.
func (Format) Name() string { return "hexo" }
