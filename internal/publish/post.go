// Package publish holds what every post format shares: the Post a format
// renders, and the rules for the text of titles and file names that keep
// a post readable by every static site generator. Each format is its own
// package below (hexo, hugo, jekyll); files are written by atomicfile.
package publish

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Post is everything a post file says.
type Post struct {
	Title      string
	Categories []string // group, source, channel
	Author     string
	Date       time.Time
	// Image is the post's head image; "" when the item has none (Hexo
	// falls back to a picsum image, see RandomN).
	Image string
	// RandomN picks the picsum image when Image is "".
	RandomN int
	// Body is the cleaned HTML of the item.
	Body string
	// Link is the item's page at its source.
	Link string
	// Seen is when feedmill first saw the item; zero when unknown.
	Seen time.Time
}

// LatestDate is the post's date for generators that leave out posts
// dated in the future (Hugo and Jekyll, by default): the date, unless it
// is after the item was first seen (a feed's clock ahead, or a date in a
// wrong zone), then the time it was first seen.
func (p Post) LatestDate() time.Time {
	if !p.Seen.IsZero() && p.Date.After(p.Seen) {
		return p.Seen
	}
	return p.Date
}

// Title returns the title as posts carry it: the old system's character
// replacements (see replaceTitle), and line breaks and other control
// characters (including what YAML counts as line breaks) turned into
// spaces. Invalid UTF-8 becomes U+FFFD.
func Title(title string) string {
	return replaceTitle(OneLine(title))
}

// replaceTitle replaces the characters the old system replaced in
// titles, : / \ ? * “ ” < > | [ ], with "_", in one pass over the bytes:
// a strings.Replacer of these (its generic algorithm, for the curly
// quotes) and OneLine's two passes were a fortieth of a first run's CPU,
// for every post's path and its front matter. None of these is a prefix
// of another, and s is valid UTF-8, so a match at each byte is the
// Replacer's match.
func replaceTitle(s string) string {
	var b strings.Builder // empty until a character is replaced
	done := 0             // s[:done] is in b
	for i := 0; i < len(s); i++ {
		n := 0 // the bytes of a character to replace at i
		switch s[i] {
		case ':', '/', '\\', '?', '*', '<', '>', '|', '[', ']':
			n = 1
		case 0xe2: // “ is e2 80 9c, ” e2 80 9d
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0x9c || s[i+2] == 0x9d) {
				n = 3
			}
		}
		if n == 0 {
			continue
		}
		if done == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[done:i])
		b.WriteByte('_')
		i += n - 1
		done = i + 1
	}
	if b.Cap() == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// OneLine returns s as valid UTF-8 with every control character (see
// IsControl) turned into a space, fit for a one-line YAML scalar.
func OneLine(s string) string {
	if oneLine(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// oneLine reports whether OneLine leaves s as it is: valid UTF-8 with no
// control character. Titles, names and authors nearly always are, and
// one pass with no call for each rune finds it.
func oneLine(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || IsControl(r) {
			return false
		}
		i += n
	}
	return true
}

// IsControl reports runes that may not stand in a one-line YAML scalar:
// C0 and C1 controls, DEL, the Unicode line and paragraph separators, the
// byte order mark and the non-characters U+FFFE and U+FFFF.
func IsControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff
}

// PicsumURL is the fallback image for a post without one.
func PicsumURL(n int) string {
	return "https://picsum.photos/400/300?random=" + strconv.Itoa(n)
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
// the title rule has replaced it. (Hugo and Jekyll skip such names too.)
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

// FileName returns the file name of a post with the given stem, the n-th
// collision suffix (n = 1 for none) and the extension ext (".md"),
// shortened on a character boundary so that the name fits in
// MaxNameBytes.
func FileName(stem string, n int, ext string) string {
	suffix := ext
	if n > 1 {
		suffix = "-" + strconv.Itoa(n) + ext
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
