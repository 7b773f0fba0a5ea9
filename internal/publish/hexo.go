// Package publish turns items into post files: the Hexo format of the
// system feedmill replaces, byte for byte, written atomically.
package publish

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Post is everything a post file says.
type Post struct {
	Title      string
	Categories []string // group, source, channel
	Author     string
	Date       time.Time
	// Image is the post's head image; "" falls back to a picsum image.
	Image string
	// RandomN picks the picsum image when Image is "".
	RandomN int
	// Body is the cleaned HTML of the item.
	Body string
}

// titleReplacer replaces the characters the old system replaced in titles.
var titleReplacer = strings.NewReplacer(
	":", "_", "/", "_", "\\", "_", "?", "_", "*", "_", "“", "_", "”", "_",
	"<", "_", ">", "_", "|", "_", "[", "_", "]", "_",
)

// braces keeps Hexo's Nunjucks from reading feed text as template tags.
var braces = strings.NewReplacer("{", "&#123;", "}", "&#125;")

// Title returns the title as posts carry it: the old system's character
// replacements, and line breaks and other control characters (including
// what YAML counts as line breaks) turned into spaces. Invalid UTF-8
// becomes U+FFFD.
func Title(title string) string {
	title = strings.ToValidUTF8(title, "\uFFFD")
	title = strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, title)
	return titleReplacer.Replace(title)
}

// isControl reports runes that may not stand in a one-line YAML scalar:
// C0 and C1 controls, DEL, the Unicode line and paragraph separators, the
// byte order mark and the non-characters U+FFFE and U+FFFF.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff
}

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
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
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

// PicsumURL is the fallback image for a post without one.
func PicsumURL(n int) string {
	return "https://picsum.photos/400/300?random=" + strconv.Itoa(n)
}

// RenderHexo writes the post in the old system's exact format.
func RenderHexo(p Post) []byte {
	img := p.Image
	if img == "" {
		img = PicsumURL(p.RandomN)
	}
	var b bytes.Buffer
	b.Grow(len(p.Body) + 512)
	b.WriteString("\n---\ntitle: ")
	b.WriteString(quoteTitle(Title(p.Title)))
	b.WriteString("\ncategories: ")
	for _, c := range p.Categories {
		b.WriteString("\n - ")
		b.WriteString(plain(c))
	}
	b.WriteString("\nheadimg: ")
	b.WriteString(singleQuote(img))
	b.WriteString("\nauthor: ")
	b.WriteString(plain(p.Author))
	b.WriteString("\ncomments: false\ndate: ")
	b.WriteString(DateText(p.Date))
	b.WriteString("\nthumbnail: ")
	b.WriteString(singleQuote(img))
	b.WriteString("\n---\n\n<div>   \n")
	b.WriteString(p.Body)
	b.WriteString("  \n</div>\n            ")
	return []byte(braces.Replace(b.String()))
}

// MaxNameBytes is the longest file name most file systems take.
const MaxNameBytes = 255

// FileStem returns the post's file name without suffix and extension: the
// sanitized title minus "#" and ".", and never a name that could leave its
// folder. It returns "untitled" when nothing is left.
//
// "%" becomes the full-width "％": Hexo builds the post's URL from its
// file name with decodeURI, which throws on a "%" not followed by two hex
// digits ("增长5%，"), and Hexo then drops the post with only an ERROR in
// its log. The old system wrote such names and lost those posts.
//
// A leading "_" or "." becomes the full-width "＿" or "．": Hexo skips
// every file and folder whose name starts with either, without a word,
// and a title starting with “, [, <, : and the like starts with "_" once
// the title rule has replaced it.
func FileStem(title string) string {
	return VisibleName(strings.ReplaceAll(OldFileStem(title), "%", "％"))
}

// OldFileStem is the file stem the old system gave a post: FileStem
// without the changes that keep Hexo from dropping it ("%" and a leading
// "_" kept). Hexo never showed a post of such a name.
func OldFileStem(title string) string {
	stem := strings.Map(func(r rune) rune {
		switch r {
		case '#', '.', 0:
			return -1
		case '/', '\\':
			return '_'
		}
		return r
	}, Title(title))
	if strings.TrimSpace(stem) == "" {
		return "untitled"
	}
	return stem
}

// VisibleName returns name with a leading "_" or "." made full-width
// ("＿", "．"), so that Hexo does not take the file or folder for a hidden
// one and skip it.
func VisibleName(name string) string {
	switch {
	case strings.HasPrefix(name, "_"):
		return "＿" + name[1:]
	case strings.HasPrefix(name, "."):
		return "．" + name[1:]
	}
	return name
}

// Hidden reports whether Hexo skips a file or folder of this name: one
// that starts with "_" or ".".
func Hidden(name string) bool {
	return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")
}

// FileName returns the file name of a post with the given stem and the
// n-th collision suffix (n = 1 for none), shortened on a character
// boundary so that the name fits in MaxNameBytes.
func FileName(stem string, n int) string {
	suffix := ".md"
	if n > 1 {
		suffix = "-" + strconv.Itoa(n) + ".md"
	}
	room := MaxNameBytes - len(suffix)
	if len(stem) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = stem[:cut]
	}
	return stem + suffix
}
