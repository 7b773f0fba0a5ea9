// Package feed holds the values that flow between feedmill's stages: the
// sources a user configured and the items read from them. It does no I/O.
package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"time"
)

// Source is one configured feed and its place in the group / source /
// channel taxonomy that becomes each post's categories.
type Source struct {
	Group   string
	Name    string
	Channel string
	// URL is absolute: http(s) for the web, file for local feeds.
	URL string
	// MaxItems keeps only the newest N items of each fetch; 0 keeps all.
	MaxItems int
	// Headers and Cookies are sent with each request for this source;
	// Proxy is its proxy URL, "direct" for none, "" for the environment's.
	Headers map[string]string
	Cookies map[string]string
	Proxy   string

	// Page, when not nil, says URL is a web page without a feed, whose
	// items these selectors read.
	Page *Selectors
	// FullText fetches the page of each new item and takes its article as
	// the item's content when the feed gives only a summary.
	FullText bool
	// ContentSelector, when set, picks the article out of an item's page
	// with this CSS selector instead of readability. It implies FullText.
	ContentSelector string
	// Include, when not empty, keeps only the items whose title or text one
	// of these matches; Exclude drops the items whose title or text one of
	// these matches. Exclude wins.
	Include []*regexp.Regexp
	Exclude []*regexp.Regexp
	// Interval is how often the source is fetched when feedmill serve
	// runs it; 0 leaves it to the scheduler's default.
	Interval time.Duration
	// Retain is how many of the channel's posts stay published (the
	// configuration's keep).
	Retain Retention
}

// Selectors are the CSS selectors that read items from a web page. Item
// selects each item's element; the others select inside it. Title, Link
// and Date may end in "@attr" to read that attribute instead of the text
// (Link reads href and Date reads datetime by default).
type Selectors struct {
	Item    string
	Title   string
	Link    string // "" takes the title's link, else the item's first link
	Date    string // "" leaves items undated
	Content string // "" leaves items without content
}

// WantsFullText reports whether each new item's page is fetched.
func (s Source) WantsFullText() bool {
	return s.FullText || s.ContentSelector != ""
}

// Filters reports whether the source has include or exclude patterns.
func (s Source) Filters() bool {
	return len(s.Include) > 0 || len(s.Exclude) > 0
}

// Keep reports whether an item with this title and text (its content
// without tags) passes the source's include and exclude patterns.
func (s Source) Keep(title, text string) bool {
	match := func(res []*regexp.Regexp) bool {
		for _, re := range res {
			if re.MatchString(title) || re.MatchString(text) {
				return true
			}
		}
		return false
	}
	if len(s.Include) > 0 && !match(s.Include) {
		return false
	}
	return !match(s.Exclude)
}

// Retention is a retention rule: which of a channel's posts stay
// published. The zero Retention keeps them all.
type Retention struct {
	// Count keeps the newest Count posts; 0 sets no count limit.
	Count int
	// Age keeps the posts dated within Age of now; 0 sets no age limit.
	Age time.Duration
}

// IsZero reports whether r keeps every post.
func (r Retention) IsZero() bool { return r.Count <= 0 && r.Age <= 0 }

// Key identifies the source in the store and in messages: the taxonomy
// path, which the configuration keeps unique.
func (s Source) Key() string {
	return s.Group + "/" + s.Name + "/" + s.Channel
}

// Categories returns the taxonomy as a post's category list.
func (s Source) Categories() []string {
	return []string{s.Group, s.Name, s.Channel}
}

// Enclosure is a media file attached to an item (podcast audio, video,
// an image).
type Enclosure struct {
	URL    string
	Type   string
	Length string
}

// Item is one entry of a feed, reduced to what feedmill uses.
type Item struct {
	GUID  string
	Link  string
	Title string
	// Content is the item's HTML: the feed's full content when it has one,
	// else its description, exactly as the feed gave it.
	Content    string
	Author     string
	Categories []string
	Enclosures []Enclosure
	// Image is an image the feed names for the item outside its body.
	Image string
	// Published is the item's publication time; zero when the feed gave
	// none that could be read.
	Published time.Time
}

// Identity returns the key that makes an item the same item across
// fetches of one source: its GUID, else its link, else a hash of its title
// and content. It is stable as long as the feed keeps those fields.
func (it Item) Identity() string {
	if g := strings.TrimSpace(it.GUID); g != "" {
		return "guid:" + g
	}
	if l := strings.TrimSpace(it.Link); l != "" {
		return "link:" + l
	}
	h := sha256.New()
	h.Write([]byte(it.Title))
	h.Write([]byte{0})
	h.Write([]byte(it.Content))
	return "hash:" + hex.EncodeToString(h.Sum(nil))[:32]
}
