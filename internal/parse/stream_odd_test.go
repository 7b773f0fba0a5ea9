package parse

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

var oddFeeds = flag.Int("oddfeeds", 400, "how many generated odd feeds TestStreamMatchesGofeedOnOddFeeds reads")

// TestStreamMatchesGofeedOnOddFeeds is the differential test on
// generated documents of the shapes readRSS must read as gofeed does or
// leave to it (go test -run OddFeeds -oddfeeds 40000 searches further).
func TestStreamMatchesGofeedOnOddFeeds(t *testing.T) {
	streamed := 0
	for seed := range *oddFeeds {
		doc := oddFeed(uint64(seed))
		if _, _, ok := readRSS(bytes.TrimSpace(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))), time.UTC); ok {
			streamed++
		}
		checkSame(t, fmt.Sprintf("odd feed %d %q", seed, doc), doc)
	}
	t.Logf("%d of %d odd feeds read by readRSS", streamed, *oddFeeds)
	if streamed == 0 {
		t.Errorf("readRSS read none of %d odd feeds: the generator tests gofeed alone", *oddFeeds)
	}
}

// oddFeed is a generated RSS document in the shapes where a reader of
// its own may read otherwise than gofeed: namespace prefixes bound,
// rebound, bound to no namespace or to RSS's own names; references of
// every kind (HTML's in XML, double-escaped, numeric, forbidden, out of
// range), CDATA split and nested, white space and line ends in tags and
// text, attributes in either quotes, duplicate elements, element names
// in odd case, extensions gofeed reads (dc:creator, media files,
// sy:update*) and ones it does not, dates in many forms, and a tenth of
// them cut short.
func oddFeed(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(opts ...string) string { return opts[rng.IntN(len(opts))] }
	ws := func() string { return pick("", "", " ", "\n", "\r\n", "\t", " \n ") }
	txt := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(pick("a", "中文", " ", "&amp;", "&lt;b&gt;", "&nbsp;", "&#160;", "&#x41;", "&#X41;", "&copy", "&copy;", "&amp;amp;", "&amp;lt;script&amp;gt;", "&", "&#;", "&foo;", "&Amp;", "&#65", ">", "'", "\"", "]]", "]", "\r", "\r\n", "\u00a0", "\u3000", "\u0085", "\u2028", "&#x2028;", "&#133;", "&#13;", "&#10;", "&#9;", "&#x80;", "&#0;", "&#xFFFD;", "&#1114111;", "&#1114112;", "&lt;![CDATA[x]]&gt;", "javascript:alert(1)", "&#106;avascript:"))
		}
		return b.String()
	}
	cdata := func() string {
		return pick("<![CDATA["+pick("", "x", "<p>a</p>", "]]", "]", "&amp;", " sp ", "<![CDATA[", "<script>alert(1)</script>")+"]]>", "")
	}
	content := func() string {
		var b strings.Builder
		for range rng.IntN(3) {
			if rng.IntN(2) == 0 {
				b.WriteString(txt())
			} else {
				b.WriteString(cdata())
			}
			b.WriteString(ws())
		}
		return b.String()
	}
	attrq := func(name, val string) string {
		q := pick(`"`, `'`)
		return " " + name + ws() + pick("=", "=", " = ") + ws() + q + val + q
	}
	prefixes := []string{"content", "c", "atom", "dc", "media", "x", "a", "sy", "wfw", "itunes", "m", "rss", "rdf"}
	nsURIs := []string{"http://purl.org/rss/1.0/modules/content/", "http://www.w3.org/2005/Atom", "http://purl.org/dc/elements/1.1/", "http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss", "http://example.com/x", " http://purl.org/rss/1.0/modules/content/ ", "http://purl.org/rss/1.0/", "", "rss", "rdf", "http://purl.org/rss/1.0/modules/syndication/", "http://wellformedweb.org/CommentAPI/", "http://www.itunes.com/DTDs/PodCast-1.0.dtd", "http://www.itunes.com/dtds/podcast-1.0.dtd", "http://purl.org/dc/terms/", "http://purl.org/atom/ns#", "http://www.w3.org/1999/xhtml", "content", "dc", "media"}
	good := map[string]string{"content": nsURIs[0], "atom": nsURIs[1], "dc": nsURIs[2], "media": nsURIs[3], "sy": nsURIs[11], "wfw": nsURIs[12]}
	var b strings.Builder
	b.WriteString(pick("", `<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version='1.0'?>`, "\ufeff<?xml version=\"1.0\"?>", `<?xml version="1.0" encoding="utf-8" standalone="no"?>`) + ws())
	b.WriteString(pick("", "<!-- c -->", "<?xml-stylesheet href='x'?>") + ws())
	b.WriteString("<rss" + pick(` version="2.0"`, ` version="0.91"`, ""))
	for _, p := range []string{"content", "atom", "dc", "media", "sy", "wfw"} {
		if rng.IntN(3) != 0 {
			b.WriteString(attrq("xmlns:"+p, good[p]))
		}
	}
	for range rng.IntN(4) * rng.IntN(2) * rng.IntN(2) {
		b.WriteString(attrq("xmlns:"+prefixes[rng.IntN(len(prefixes))], nsURIs[rng.IntN(len(nsURIs))]))
	}
	if rng.IntN(20) == 0 {
		b.WriteString(attrq("xmlns", nsURIs[rng.IntN(len(nsURIs))]))
	}
	b.WriteString(ws() + ">" + ws() + "<channel" + ws() + ">" + ws())
	elem := func(name string) string {
		n := name
		if rng.IntN(6) == 0 {
			n = strings.ToUpper(name[:1]) + name[1:]
		}
		if rng.IntN(15) == 0 {
			return "<" + n + ws() + "/>"
		}
		return "<" + n + ws() + ">" + content() + "</" + n + ws() + ">"
	}
	for range rng.IntN(3) {
		b.WriteString(elem(pick("title", "link", "ttl", "description")) + ws())
	}
	for range rng.IntN(3) {
		n := pick("sy", "sy", "sy", "x", "a", "m", "rss") + ":" + pick("updatePeriod", "updateFrequency", "updatePeriod", "updateFrequency", "title", "UpdatePeriod")
		b.WriteString("<" + n + ">" + pick("hourly", " daily ", "2", "&#50;", "<![CDATA[weekly]]>", "&amp;", "", "x\r\ny", "&nbsp;") + "</" + n + ">")
	}
	if rng.IntN(3) == 0 {
		b.WriteString("<" + pick("atom", "a", "x") + ":link" + attrq("href", pick("https://h/", "/rel", "")) + pick("", attrq("rel", pick("self", "alternate", "", "Alternate"))) + "/>")
	}
	for i := range rng.IntN(5) {
		itemName := pick("item", "item", "item", "Item")
		b.WriteString("<" + itemName + ws() + pick("", "", attrq("id", strconv.Itoa(i))) + ">" + ws())
		for range rng.IntN(8) {
			k := rng.IntN(16)
			if k >= 11 && k <= 13 && rng.IntN(5) != 0 {
				k = rng.IntN(4)
			}
			if k == 4 && rng.IntN(2) == 0 {
				b.WriteString(elem("content:encoded"))
				k = -1
			}
			switch k {
			case 0, 1:
				b.WriteString(elem("title"))
			case 2:
				b.WriteString(elem("link"))
			case 3:
				b.WriteString(elem("description"))
			case 4:
				p := prefixes[rng.IntN(len(prefixes))]
				b.WriteString(elem(p + ":" + pick("encoded", "Encoded", "creator", "content", "date")))
			case 5:
				b.WriteString("<pubDate>" + pick("Mon, 07 Dec 2026 10:00:00 GMT", "Mon, 07 Dec 2026 10:00:00 UTC", "Mon, 7 Dec 2026 10:00:00 +0800", "2026-12-07T10:00:00Z", "2026-12-07 10:00:00", " Mon, 07 Dec 2026 10:00:00 GMT ", "Tue, 31 Feb 2026 10:00:00 GMT", "Mon, 07 Dec 2026 10:00:00 gmt", "Mon, 07 Dec 2026 10:00:60 GMT", "Mon, 07 Dec 2026 24:00:00 GMT", "Mon, 07 Dec 26 10:00:00 GMT", "07 Dec 2026 10:00:00 GMT", "Mon, 07 Dec 2026 10:00:00 CST", "Mon, 07 Dec 2026 10:00:00 EDT", "Mon, 07 Dec 2026 10:00:00 Z", "Mon, 07 Dec 1800 10:00:00 GMT", "Sun, 07 Dec 2126 10:00:00 GMT", "<![CDATA[Mon, 07 Dec 2026 10:00:00 GMT]]>", "Mon, 07 Dec 2026 10:00:00 &#71;MT") + "</pubDate>")
			case 6:
				b.WriteString("<guid" + pick("", attrq("isPermaLink", pick("true", "false"))) + ">" + content() + "</guid>")
			case 7:
				b.WriteString(elem("author"))
			case 8:
				b.WriteString(elem("category"))
			case 9:
				b.WriteString("<enclosure" + attrq("url", pick("https://e/a.jpg", "/rel.png", "", "a&amp;b", "&#x68;ttps://x/", "x&#33;")) + pick("", attrq("type", pick("image/png", "audio/mpeg", "Image/PNG", "image"))) + pick("", attrq("length", "12")) + ws() + pick("/>", "></enclosure>", ">x</enclosure>"))
			case 10:
				b.WriteString(pick("<!-- x -->", "<!---->", "<comments>c</comments>", "<source url='u'>s</source>", "<foo><bar/></foo>"))
			case 11:
				b.WriteString(elem(pick("body", "fullitem", "created", "encoded", "content")))
			case 12:
				b.WriteString("<link" + attrq("href", "/h") + "/>")
			case 13:
				b.WriteString(elem(pick("media:title", "dc:creator", "xhtml:body", "atom:summary")))
			case 14:
				p := pick("media", "media", "media", prefixes[rng.IntN(len(prefixes))])
				n := p + ":" + pick("content", "thumbnail", "Content", "group")
				b.WriteString("<" + n + attrq(pick("url", "URL", "src"), pick("https://m/a.jpg", "/m.png", " /t.jpg ", "a&amp;b", "")) + pick("", attrq("type", pick("image/jpeg", "video/mp4", "Image/x", ""))) + pick("", attrq("medium", pick("image", "video"))) + pick("", attrq("fileSize", "99")) + pick("/>", "></"+n+">", ">  </"+n+">", "> x </"+n+">"))
			case 15:
				p := pick("dc", "dc", "wfw", prefixes[rng.IntN(len(prefixes))])
				n := p + ":" + pick("creator", "Creator", "author", "commentRss", "title", "description", "date")
				b.WriteString("<" + n + ">" + content() + "</" + n + ">")
			}
			b.WriteString(ws())
		}
		b.WriteString("</" + itemName + ws() + ">" + ws())
	}
	b.WriteString("</channel" + ws() + ">" + ws() + "</rss>" + ws())
	s := b.String()
	if rng.IntN(10) == 0 && len(s) > 10 {
		s = s[:rng.IntN(len(s))]
	}
	return []byte(s)
}
