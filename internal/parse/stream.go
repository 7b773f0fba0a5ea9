package parse

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

// readRSS is a reader of its own for the RSS 2.0 documents most sources
// serve (RSSHub's shape: a channel of items with title, link,
// description or content:encoded, guid, pubDate, author, category and
// enclosure), one pass over the bytes. gofeed reads a document through
// encoding/xml's DecodeElement, element by element, and that was two
// fifths of the CPU of a refresh.
//
// It makes the gofeed.Feed gofeed's RSS parser and translator would have
// made, in the fields Parse reads, so that what Parse returns is the same
// byte for byte (TestStreamMatchesGofeed, FuzzStreamMatchesGofeed). It
// does not guess: anything it is not sure gofeed reads its way (a
// namespace it does not know, an xml:base, markup inside a text element,
// a character or reference XML forbids, a DOCTYPE, a date Date cannot
// read, an end tag that does not match) makes it return false, and
// gofeed reads the document.
func readRSS(doc []byte, loc *time.Location) (f *gofeed.Feed, ttl string, ok bool) {
	s := scanner{doc: doc, loc: loc}
	return s.rss()
}

// rss is readRSS of s.doc. It keeps in s.published the date of each
// item's pubDate as Date read it (the zero time for an item without one),
// so that Parse does not read it again.
func (s *scanner) rss() (f *gofeed.Feed, ttl string, ok bool) {
	doc := s.doc
	root, ok := s.prolog()
	if !ok || root.end > detectWindow || root.empty || string(root.name) != "rss" {
		return nil, "", false // before the pass over every byte: Atom, JSON
	}
	begun, ok := sound(doc)
	if !ok {
		return nil, "", false
	}
	if !s.rootNamespaces(root) {
		return nil, "", false
	}
	f = &gofeed.Feed{FeedType: "rss"}
	channels := 0
	for {
		t, ok := s.next()
		if !ok {
			return nil, "", false
		}
		switch t.kind {
		case tokText:
			if !blank(doc[t.start:t.end]) {
				return nil, "", false
			}
		case tokComment:
		case tokStart:
			// gofeed keeps the last channel alone, and reads items and
			// images outside it: not the common shape.
			if channels > 0 || string(t.name) != "channel" || t.empty || !s.plainAttrs(t) {
				return nil, "", false
			}
			channels++
			if ttl, ok = s.channel(f); !ok {
				return nil, "", false
			}
		case tokEnd:
			if string(t.name) != "rss" || channels == 0 {
				return nil, "", false
			}
			// Only white space and comments may follow the root.
			for {
				t, ok := s.next()
				switch {
				case !ok:
					return nil, "", false
				case t.kind == tokEOF:
					// More items begun than read (the tags counted in
					// text too, or prefixed): what Parse makes of that
					// (keepHiddenItems) stays gofeed's.
					if n := len(f.Items); begun > n || begun < n && mayHideItems(doc, n) {
						return nil, "", false
					}
					return f, ttl, true
				case t.kind == tokComment:
				case t.kind == tokText && blank(doc[t.start:t.end]):
				default:
					return nil, "", false
				}
			}
		default:
			return nil, "", false
		}
	}
}

// detectWindow is how much of a document gofeed reads to find its root
// element (its detectionPeekSize): a root further on is not detected, and
// Parse takes another way.
const detectWindow = 4096

// knownNS are the namespaces whose elements gofeed keeps under a name
// of its own (its canonical prefixes) that gofeed's translator or Parse
// read, and those gofeed takes for RSS itself ("": never an extension).
var knownNS = map[string]string{
	"http://www.w3.org/2005/Atom":                  "atom",
	"http://purl.org/atom/ns#":                     "atom03",
	"http://purl.org/rss/1.0/modules/content/":     "content",
	"http://purl.org/dc/elements/1.1/":             "dc",
	"http://purl.org/dc/terms/":                    "dcterms",
	"http://www.itunes.com/DTDs/PodCast-1.0.dtd":   "itunes",
	"http://example.com/DTDs/PodCast-1.0.dtd":      "itunes",
	"http://search.yahoo.com/mrss":                 "media",
	"http://search.yahoo.com/mrss/":                "media",
	"http://www.w3.org/1999/xhtml":                 "xhtml",
	"http://purl.org/rss/1.0/modules/syndication/": "sy",
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#":  "",
	"http://purl.org/rss/1.0/":                     "",
	"http://channel.netscape.com/rdf/simple/0.9/":  "",
	"http://my.netscape.com/rdf/simple/0.9/":       "",
	"http://www.w3.org/XML/1998/namespace":         "",
	// gofeed takes these two for RSS's own too (undeclared prefixes
	// come to it as such names), also when a prefix is bound to them:
	// <x:title> with xmlns:x="rss" is the item's title.
	"rss": "",
	"rdf": "",
}

// readKeys are the extension names gofeed's translator or Parse read.
var readKeys = map[string]bool{"atom": true, "atom10": true, "atom03": true, "content": true, "dc": true, "dcterms": true, "itunes": true, "media": true, "xhtml": true, "sy": true}

// extKey is the name gofeed keeps an element of this prefix under (see
// rootNamespaces); "" when unsure.
func (s *scanner) extKey(prefix []byte) string {
	return s.keys[string(prefix)]
}

// keyOf is the name gofeed keeps an element in namespace uri under: its
// canonical prefix for a known namespace, "other" for one whose name is
// none Parse or the translator reads, "" when unsure (a namespace one of
// whose declared prefixes is a name that is read: gofeed names an
// unknown namespace by its prefix).
func keyOf(uri string, ns map[string]string) string {
	if k, ok := knownNS[uri]; ok {
		return k
	}
	for p, u := range ns {
		if u == uri && (readKeys[p] || p == "rss" || p == "rdf") {
			return ""
		}
	}
	return "other"
}

// mediaFile reads an empty media:content or media:thumbnail as gofeed
// keeps it: its attributes by local name, the last of a name winning.
func (s *scanner) mediaFile(t token, name string) (ext.Extension, bool) {
	e := ext.Extension{Name: name, Attrs: map[string]string{}, Children: map[string][]ext.Extension{}}
	ok := eachAttr(t.attrs, func(n, value []byte) bool {
		v, ok := decodeAttr(value)
		e.Attrs[string(n)] = v
		return ok
	})
	if !ok {
		return e, false
	}
	if t.empty {
		return e, true
	}
	// A media file with text or children is gofeed's to read.
	raw, ok := s.content(t)
	return e, ok && blank(raw)
}

// channel reads the children of <channel> up to its end tag into f, and
// returns the channel's <ttl>.
func (s *scanner) channel(f *gofeed.Feed) (ttl string, ok bool) {
	atomLink := false
	for {
		t, ok := s.next()
		if !ok {
			return "", false
		}
		switch t.kind {
		case tokText:
			if !blank(s.doc[t.start:t.end]) {
				return "", false
			}
			continue
		case tokComment:
			continue
		case tokEnd:
			if string(t.name) != "channel" {
				return "", false
			}
			// gofeed takes the feed's link from an atom:link when
			// <link> is empty: attributes it resolves its own way.
			if f.Link == "" && atomLink {
				return "", false
			}
			return ttl, true
		case tokStart:
		default:
			return "", false
		}
		prefix, local := splitName(t.name)
		if !s.plainAttrs(t) {
			return "", false
		}
		if prefix != nil {
			switch key := s.extKey(prefix); key {
			case "atom", "atom10", "atom03":
				// gofeed's translator reads an atom:link of no rel or
				// rel="alternate" as the feed's link when <link> is
				// empty; nothing else of Atom's in a channel.
				if string(local) == "link" {
					rel, ok := attrValue(t.attrs, "rel")
					if !ok || rel == "" || rel == "alternate" {
						atomLink = true
					}
				}
				if !s.skip(t) {
					return "", false
				}
			case "sy":
				// The syndication module: Parse's UpdatePeriod.
				v, ok := s.charText(t)
				if !ok {
					return "", false
				}
				if f.Extensions == nil {
					f.Extensions = ext.Extensions{"sy": {}}
				}
				f.Extensions["sy"][string(local)] = append(f.Extensions["sy"][string(local)], ext.Extension{Name: string(local), Value: v})
			case "dc", "":
				return "", false // dc:title may be the feed's title; or unsure
			default:
				// An extension nothing reads of a channel (itunes,
				// media, wfw, …): gofeed keeps it, Parse does not look.
				if !s.skip(t) {
					return "", false
				}
			}
			continue
		}
		var v string
		switch lower(local) {
		case "title":
			if v, ok = s.text(t); !ok {
				return "", false
			}
			f.Title = v
		case "link":
			// <link href> is read by gofeed after resolving it.
			if len(bytes.TrimSpace(t.attrs)) > 0 {
				return "", false
			}
			if v, ok = s.text(t); !ok {
				return "", false
			}
			f.Link = v
			f.Links = append(f.Links, v)
		case "ttl":
			if ttl, ok = s.text(t); !ok {
				return "", false
			}
		case "item":
			it, published, ok := s.item(t)
			if !ok {
				return "", false
			}
			f.Items = append(f.Items, it)
			s.published = append(s.published, published)
		default:
			// The channel's other elements (description, image,
			// lastBuildDate, …) are nothing Parse reads; gofeed reads
			// them without fail from a well-formed document.
			if !s.skip(t) {
				return "", false
			}
		}
	}
}

// item reads an <item> whose start tag is t, as gofeed's RSS parser and
// translator make it, and the date of its pubDate as Date reads it (the
// zero time when it has none).
func (s *scanner) item(start token) (it *gofeed.Item, published time.Time, ok bool) {
	if !s.plainAttrs(start) {
		return nil, time.Time{}, false
	}
	it = &gofeed.Item{}
	if start.empty {
		return it, time.Time{}, true
	}
	var author string
	var creators []string
	pubDates := 0
	for {
		t, ok := s.next()
		if !ok {
			return nil, time.Time{}, false
		}
		switch t.kind {
		case tokText:
			if !blank(s.doc[t.start:t.end]) {
				return nil, time.Time{}, false
			}
			continue
		case tokComment:
			continue
		case tokEnd:
			if !bytes.Equal(t.name, start.name) {
				return nil, time.Time{}, false
			}
			switch {
			case author != "":
				p := &gofeed.Person{Name: nameOf(author)}
				it.Author, it.Authors = p, []*gofeed.Person{p}
			case len(creators) > 0:
				p := &gofeed.Person{Name: nameOf(creators[0])}
				it.Author, it.Authors = p, []*gofeed.Person{p}
			}
			// The translator's image: a media:content image, else an
			// image enclosure.
			for _, c := range it.Extensions["media"]["content"] {
				if strings.Contains(c.Attrs["type"], "image") || strings.Contains(c.Attrs["medium"], "image") {
					it.Image = &gofeed.Image{URL: c.Attrs["url"]}
					break
				}
			}
			for _, e := range it.Enclosures {
				if it.Image == nil && strings.HasPrefix(e.Type, "image/") {
					it.Image = &gofeed.Image{URL: e.URL}
				}
			}
			return it, published, true
		case tokStart:
		default:
			return nil, time.Time{}, false
		}
		prefix, local := splitName(t.name)
		if !s.plainAttrs(t) {
			return nil, time.Time{}, false
		}
		if prefix != nil {
			switch key := s.extKey(prefix); {
			case key == "content" && lower(local) == "encoded":
				v, ok := s.text(t)
				if !ok {
					return nil, time.Time{}, false
				}
				it.Content = v
			case key == "dc" && string(local) == "creator":
				// gofeed's author when there is no <author>: the first
				// dc:creator, its text as encoding/xml decodes it.
				v, ok := s.charText(t)
				if !ok {
					return nil, time.Time{}, false
				}
				creators = append(creators, v)
			case key == "media" && (string(local) == "content" || string(local) == "thumbnail"):
				e, ok := s.mediaFile(t, string(local))
				if !ok {
					return nil, time.Time{}, false
				}
				if it.Extensions == nil {
					it.Extensions = ext.Extensions{"media": {}}
				}
				it.Extensions["media"][e.Name] = append(it.Extensions["media"][e.Name], e)
			case key == "other" || key == "content":
				// Extensions neither gofeed's translator nor Parse read
				// of an item (wfw:commentRss, slash:comments, …).
				if !s.skip(t) {
					return nil, time.Time{}, false
				}
			default:
				// dc's other elements, itunes, dcterms, xhtml, Atom,
				// media's others: what gofeed makes of them is gofeed's.
				return nil, time.Time{}, false
			}
			continue
		}
		var v string
		name := lower(local)
		switch name {
		case "title", "description", "link", "author", "pubdate", "guid", "category":
			if name == "link" && len(bytes.TrimSpace(t.attrs)) > 0 {
				return nil, time.Time{}, false // see channel
			}
			if v, ok = s.text(t); !ok {
				return nil, time.Time{}, false
			}
		case "enclosure":
			e := &gofeed.Enclosure{}
			for _, a := range []struct {
				name string
				to   *string
			}{{"url", &e.URL}, {"length", &e.Length}, {"type", &e.Type}} {
				if *a.to, ok = attrValue(t.attrs, a.name); !ok {
					return nil, time.Time{}, false
				}
			}
			if !s.skip(t) {
				return nil, time.Time{}, false
			}
			it.Enclosures = append(it.Enclosures, e)
			continue
		case "body", "fullitem", "created":
			// Legacy bodies, which Parse reads from gofeed's Custom or
			// its own scan (sideFacts), and Atom 0.3's date.
			return nil, time.Time{}, false
		default:
			// comments, source and the elements gofeed keeps in Custom.
			if !s.skip(t) {
				return nil, time.Time{}, false
			}
			continue
		}
		switch name {
		case "title":
			it.Title = v
		case "description":
			it.Description = v
		case "link":
			it.Link = v
			it.Links = append(it.Links, v)
		case "author":
			author = v
		case "pubdate":
			// Parse prefers its own reading of the date and takes
			// gofeed's only when Date fails: then gofeed reads the
			// document. gofeed keeps the text of the last pubDate but
			// the date of the last it could read: a second one is
			// gofeed's too.
			if pubDates > 0 {
				return nil, time.Time{}, false
			}
			pubDates++
			if v != "" {
				if published, ok = Date(v, s.loc); !ok {
					return nil, time.Time{}, false
				}
			}
			it.Published = v
		case "guid":
			it.GUID = v
		case "category":
			it.Categories = append(it.Categories, v)
		}
	}
}

// sound reports whether doc holds none of what gofeed's reading drops or
// stops at, where the reader would read otherwise: C0 controls (gofeed
// drops them before encoding/xml), U+FFFE and U+FFFF, and character
// references to characters XML forbids. doc is valid UTF-8 (Parse
// converts it first). It also counts "<item" and "<entry" as
// mayHideItems does, anywhere in doc.
//
// It reads doc eight bytes at a time and looks closer only at the words
// that hold a control, '&', '<' or 0xEF: it is the one pass over every
// byte of the document.
func sound(doc []byte) (begun int, ok bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	i := 0
	for ; i+8 <= len(doc); i += 8 {
		x := binary.LittleEndian.Uint64(doc[i:])
		// The high bit of each byte that may be one of those: exact
		// for the lowest, and a byte above one may be marked too
		// (look checks each).
		m := (x-ones*0x20)&^x&highs | zero(x^ones*'&') | zero(x^ones*'<') | zero(x^ones*0xEF)
		for m != 0 {
			if !look(doc, i+bits.TrailingZeros64(m)/8, &begun) {
				return 0, false
			}
			m &= m - 1
		}
	}
	for ; i < len(doc); i++ {
		if !look(doc, i, &begun) {
			return 0, false
		}
	}
	return begun, true
}

// look is sound for the byte at i.
func look(doc []byte, i int, begun *int) bool {
	c := doc[i]
	if !special[c] {
		return true
	}
	switch {
	case c == '<':
		if rest := doc[i+1:]; bytes.HasPrefix(rest, []byte("item")) || bytes.HasPrefix(rest, []byte("entry")) {
			*begun++
		}
	case c == '&':
		return i+1 >= len(doc) || doc[i+1] != '#' || !badRef(doc[i:])
	case c == 0xEF:
		return i+2 >= len(doc) || doc[i+1] != 0xBF || (doc[i+2] != 0xBE && doc[i+2] != 0xBF)
	default:
		return false // a C0 control
	}
	return true
}

var special = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t['&'], t['<'], t[0xEF] = true, true, true
	return t
}()

// badRef reports whether the character reference b starts with ("&#")
// is one encoding/xml decodes to a character XML forbids, or one the
// reader is unsure of: encoding/xml decodes "&#" digits ";" (hex after a
// lowercase x) and fails on a forbidden character.
func badRef(b []byte) bool {
	i, base := 2, 10
	if i < len(b) && b[i] == 'x' {
		i, base = 3, 16
	}
	start := i
	for i < len(b) && (isDigit(b[i]) || base == 16 && isHex(b[i])) {
		i++
	}
	if i >= len(b) || b[i] != ';' {
		return false // left as text
	}
	n, err := strconv.ParseUint(string(b[start:i]), base, 64)
	if err != nil {
		return true
	}
	return n <= utf8.MaxRune && !xmlChar(rune(n))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// blank reports whether b is XML white space only.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// lower is an ASCII name in lower case, as gofeed matches element names.
func lower(b []byte) string {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(string(b))
		}
	}
	return string(b)
}

// splitName splits a qualified name at its colon; prefix is nil for an
// unprefixed name.
func splitName(name []byte) (prefix, local []byte) {
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		return name[:k], name[k+1:]
	}
	return nil, name
}

// rootNamespaces reads the namespace declarations of the root element:
// prefixed ones only (a default namespace changes what gofeed takes for
// RSS), each bound to a namespace, and no other qualified attribute
// (xml:base).
func (s *scanner) rootNamespaces(root token) bool {
	s.ns = map[string]string{}
	n := 0
	ok := eachAttr(root.attrs, func(name, value []byte) bool {
		prefix, local := splitName(name)
		switch {
		case prefix == nil && string(local) == "xmlns":
			return false
		case prefix == nil:
			return true
		case string(prefix) != "xmlns":
			return false
		}
		v, ok := decodeAttr(value)
		// A prefix bound to no namespace (not allowed, but written):
		// gofeed's content:encoded check then takes an unprefixed
		// <encoded> for content:encoded.
		if !ok || strings.TrimSpace(v) == "" {
			return false
		}
		s.ns[string(local)] = strings.TrimSpace(v)
		n++
		// A root of many declarations is gofeed's (which copies them
		// for every element anyway): the keys below take their square.
		return n <= maxNamespaces
	})
	if !ok {
		return false
	}
	// What gofeed names each prefix's elements, once for the document;
	// an undeclared prefix has none (gofeed takes it literally, maybe
	// as RSS's own).
	s.keys = make(map[string]string, len(s.ns))
	for p, uri := range s.ns {
		s.keys[p] = keyOf(uri, s.ns)
	}
	return true
}

// maxNamespaces is how many namespace declarations readRSS reads on a
// root; feeds declare a handful.
const maxNamespaces = 64

// plainAttrs reports whether a start tag's attributes are all unprefixed
// and none declares a namespace: no xml:base, no xmlns.
func (s *scanner) plainAttrs(t token) bool {
	if len(t.attrs) == 0 {
		return true
	}
	return eachAttr(t.attrs, func(name, _ []byte) bool {
		return bytes.IndexByte(name, ':') < 0 && string(name) != "xmlns"
	})
}

// attrValue returns the value of an unprefixed attribute, "" when the
// tag has none; false when its value holds a reference the reader does
// not decode the way encoding/xml does, or when the tag has it twice
// (gofeed takes the first or the last, depending on the element).
func attrValue(attrs []byte, name string) (string, bool) {
	v, found, ok := "", false, true
	eachAttr(attrs, func(n, value []byte) bool {
		if string(n) != name {
			return true
		}
		if found {
			ok = false
			return false
		}
		found = true
		v, ok = decodeAttr(value)
		return true
	})
	return v, ok
}

// decodeAttr decodes an attribute value as encoding/xml does, for the
// values the reader is sure of: the five predefined entities and
// character references. A carriage return (encoding/xml rewrites line
// ends) or another reference makes it return false.
func decodeAttr(v []byte) (string, bool) {
	if bytes.IndexByte(v, '\r') >= 0 {
		return "", false
	}
	if bytes.IndexByte(v, '&') < 0 {
		return string(v), true
	}
	var b strings.Builder
	for len(v) > 0 {
		k := bytes.IndexByte(v, '&')
		if k < 0 {
			b.Write(v)
			break
		}
		b.Write(v[:k])
		v = v[k:]
		end := bytes.IndexByte(v, ';')
		if end < 0 {
			return "", false
		}
		ref := string(v[1:end])
		switch ref {
		case "amp":
			b.WriteByte('&')
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			digits, base := strings.CutPrefix(ref, "#x")
			n, err := uint64(0), error(nil)
			switch {
			case base:
				n, err = strconv.ParseUint(digits, 16, 64)
			case strings.HasPrefix(ref, "#"):
				n, err = strconv.ParseUint(ref[1:], 10, 64)
			default:
				return "", false
			}
			if err != nil || n > utf8.MaxRune || !xmlChar(rune(n)) || strings.ContainsAny(ref, "+-") {
				return "", false
			}
			b.WriteRune(rune(n))
		}
		v = v[end+1:]
	}
	return b.String(), true
}

// eachAttr calls fn with each name and raw value of a start tag's
// attributes (as the scanner checked them), until fn returns false.
func eachAttr(attrs []byte, fn func(name, value []byte) bool) bool {
	i := 0
	for {
		for i < len(attrs) && isSpace(attrs[i]) {
			i++
		}
		if i >= len(attrs) {
			return true
		}
		n := i
		for i < len(attrs) && attrs[i] != '=' && !isSpace(attrs[i]) {
			i++
		}
		name := attrs[n:i]
		for i < len(attrs) && (isSpace(attrs[i]) || attrs[i] == '=') {
			i++
		}
		if i >= len(attrs) {
			return false // not what startTag checked
		}
		q := attrs[i]
		v := i + 1
		k := bytes.IndexByte(attrs[v:], q)
		if k < 0 {
			return false
		}
		end := v + k
		if !fn(name, attrs[v:end]) {
			return false
		}
		i = end + 1
	}
}

// nameOf is the name gofeed's translator takes from an RSS author
// ("Name", "mail@example.com (Name)", "Name (mail@example.com)"; none
// from a bare address).
func nameOf(author string) string {
	if !strings.ContainsAny(author, "@()") {
		return author // the name-only form, which is most authors
	}
	switch {
	case emailName.MatchString(author):
		return emailName.FindStringSubmatch(author)[2]
	case nameEmail.MatchString(author):
		return nameEmail.FindStringSubmatch(author)[1]
	case nameOnly.MatchString(author):
		return nameOnly.FindStringSubmatch(author)[1]
	}
	return ""
}

// The forms of gofeed's name and address reading.
var (
	emailName = regexp.MustCompile(`^([^@]+@[^\s]+)\s+\(([^@]+)\)$`)
	nameEmail = regexp.MustCompile(`^([^@]+)\s+\(([^@]+@[^)]+)\)$`)
	nameOnly  = regexp.MustCompile(`^([^@()]+)$`)
)

// elementText is the text gofeed's RSS parser reads from an element
// whose raw content is raw: trimmed; CDATA sections verbatim and the
// rest with its references decoded when there is a CDATA section, else
// all of it with references decoded (HTML's, where a ';' ends them).
func elementText(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if !bytes.Contains(raw, cdataOpen) {
		return decodeEntities(raw)
	}
	// The usual shape, one section and nothing around it: its text.
	if bytes.HasPrefix(raw, cdataOpen) && bytes.Index(raw, cdataClose) == len(raw)-len(cdataClose) {
		return string(raw[len(cdataOpen) : len(raw)-len(cdataClose)])
	}
	var b strings.Builder
	for len(raw) > 0 {
		k := bytes.Index(raw, cdataOpen)
		if k < 0 {
			b.WriteString(decodeEntities(raw))
			break
		}
		b.WriteString(decodeEntities(raw[:k]))
		e := bytes.Index(raw[k+len(cdataOpen):], cdataClose)
		if e < 0 {
			b.WriteString(decodeEntities(raw[k:]))
			break
		}
		b.Write(raw[k+len(cdataOpen) : k+len(cdataOpen)+e])
		raw = raw[k+len(cdataOpen)+e+len(cdataClose):]
	}
	return b.String()
}

// decodeEntities decodes the references of text as gofeed does: a '&'
// starts one when a ';' follows within 64 bytes without white space
// between, and what HTML decodes there counts only when the ';' is part
// of it; anything else stays as it is.
func decodeEntities(text []byte) string {
	k := bytes.IndexByte(text, '&')
	if k < 0 {
		return string(text)
	}
	var b strings.Builder
	b.Grow(len(text))
	for {
		b.Write(text[:k])
		text = text[k:]
		window := text[:min(len(text), 64)]
		end := bytes.IndexByte(window, ';')
		if end < 0 && len(window) == len(text) {
			b.Write(text)
			break
		}
		if end < 0 || bytes.ContainsAny(text[1:end], " \t\r\n") {
			b.WriteByte('&')
			text = text[1:]
		} else {
			span := string(text[:end+1])
			dec := htmlUnescape(span)
			if dec == htmlUnescape(span[:len(span)-1])+";" {
				b.WriteByte('&')
				text = text[1:]
			} else {
				b.WriteString(dec)
				text = text[end+1:]
			}
		}
		if k = bytes.IndexByte(text, '&'); k < 0 {
			b.Write(text)
			break
		}
	}
	return b.String()
}
