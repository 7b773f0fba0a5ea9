package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential tests: what Parse makes of a document with readRSS
// first must be what it makes of it with gofeed alone, for every
// document under any testdata directory of the repository, every fuzz
// corpus entry, and generated RSSHub-shaped feeds.

// streamBases are the URLs and zones the documents are read with: a
// relative link resolves against the base, a zoneless date in the zone.
var streamBases = []struct {
	base string
	loc  *time.Location
}{
	{"https://fetched.example.com/feeds/feed.xml", time.UTC},
	{"", shanghaiLoc()},
}

func shanghaiLoc() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// sameParse reports how the two readings of data differ, "" when they
// do not.
func sameParse(data []byte, base string, loc *time.Location) string {
	old, oldErr := parse(data, base, loc, false)
	got, err := parse(data, base, loc, true)
	if fmt.Sprint(oldErr) != fmt.Sprint(err) {
		return fmt.Sprintf("error %v, gofeed alone %v", err, oldErr)
	}
	if old == nil || got == nil {
		if (old == nil) != (got == nil) {
			return fmt.Sprintf("feed %v, gofeed alone %v", got, old)
		}
		return ""
	}
	if fmt.Sprint(old.Recovered) != fmt.Sprint(got.Recovered) {
		return fmt.Sprintf("recovered %v, gofeed alone %v", got.Recovered, old.Recovered)
	}
	o, g := *old, *got
	o.Recovered, g.Recovered = nil, nil
	o.Items, g.Items = nil, nil
	if !reflect.DeepEqual(o, g) {
		return fmt.Sprintf("feed %+v, gofeed alone %+v", g, o)
	}
	if len(old.Items) != len(got.Items) {
		return fmt.Sprintf("%d items, gofeed alone %d", len(got.Items), len(old.Items))
	}
	for i := range old.Items {
		if !reflect.DeepEqual(old.Items[i], got.Items[i]) {
			return fmt.Sprintf("item %d:\n%#v\ngofeed alone:\n%#v", i, got.Items[i], old.Items[i])
		}
	}
	return ""
}

func checkSame(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, b := range streamBases {
		if d := sameParse(data, b.base, b.loc); d != "" {
			t.Errorf("%s (base %q, %v): %s", name, b.base, b.loc, d)
		}
	}
}

// TestStreamMatchesGofeed reads every file under the repository's
// testdata directories (feeds, pages, goldens: what is no RSS must fall
// back and fail or succeed the same way) and every fuzz corpus entry.
func TestStreamMatchesGofeed(t *testing.T) {
	root := filepath.Join("..", "..")
	files, docs, streamed := 0, 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.Contains(filepath.ToSlash(path), "/testdata/") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		ds := [][]byte{data}
		if strings.Contains(filepath.ToSlash(path), "/testdata/fuzz/") {
			ds = corpusValues(data)
		}
		for _, doc := range ds {
			docs++
			if _, _, ok := readRSS(bytes.TrimSpace(doc), time.UTC); ok {
				streamed++
			}
			checkSame(t, path, doc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d documents, %d read by readRSS", files, docs, streamed)
	if files < 100 || streamed == 0 {
		t.Errorf("%d files, %d read by readRSS: the walk missed the testdata", files, streamed)
	}
}

// corpusValues are the []byte and string values of a fuzz corpus file
// ("go test fuzz v1").
func corpusValues(data []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range []string{"[]byte(", "string("} {
			if v, ok := strings.CutPrefix(line, p); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					out = append(out, []byte(s))
				}
			}
		}
	}
	return out
}

// TestStreamMatchesGofeedOnRSSHubFeeds reads generated RSSHub-shaped
// feeds, the documents feedmill reads most, in the variety of shapes
// they come in; readRSS must read most of them itself.
func TestStreamMatchesGofeedOnRSSHubFeeds(t *testing.T) {
	n, streamed := 300, 0
	for seed := range n {
		doc := rsshubFeed(uint64(seed), 1+seed%25)
		if _, _, ok := readRSS(doc, time.UTC); ok {
			streamed++
		}
		checkSame(t, fmt.Sprintf("feed %d", seed), doc)
	}
	t.Logf("%d of %d generated feeds read by readRSS", streamed, n)
	if streamed < n/2 {
		t.Errorf("readRSS read %d of %d generated feeds, want most", streamed, n)
	}
}

// rsshubFeed is a generated RSS 2.0 document of items as RSSHub's routes
// write them, and as other publishers vary them: CDATA or escaped titles
// and bodies, relative links, dates in several forms, authors,
// categories, enclosures, content:encoded, comments.
func rsshubFeed(seed uint64, items int) []byte {
	rng := rand.New(rand.NewPCG(seed, 19))
	pick := func(opts ...string) string { return opts[rng.IntN(len(opts))] }
	nl := pick("\n", "", "\n  ", "\r\n")
	var b strings.Builder
	b.WriteString(pick(`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="utf-8" standalone="yes"?>`, "", `<?xml version="1.0"?><!-- generated -->`, `<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" href="/rss.xsl"?>`) + nl)
	content := pick("content", "c", "")
	// WordPress's modules (and media) in some of them.
	wp := rng.IntN(3) == 0
	b.WriteString(`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"`)
	if content != "" {
		b.WriteString(` xmlns:` + content + `="http://purl.org/rss/1.0/modules/content/"`)
		content += ":"
	}
	if wp {
		b.WriteString(` xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:media="http://search.yahoo.com/mrss/"`)
	}
	b.WriteString(">" + nl + "<channel>" + nl)
	if wp {
		b.WriteString(pick("<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n<sy:updateFrequency>\n\t1\t</sy:updateFrequency>", "<sy:updatePeriod>daily</sy:updatePeriod>", "<sy:updateFrequency>4</sy:updateFrequency>", "") + nl)
	}
	b.WriteString(pick(`<title><![CDATA[观察者网 - 头条]]></title>`, `<title>Q&amp;A &lt;news&gt;</title>`, `<title>AT&amp;T &#8220;daily&#8221;</title>`, `<title></title>`) + nl)
	b.WriteString(pick(`<link>https://www.guancha.cn/</link>`, `<link>/relative/</link>`, `<link></link>`, "") + nl)
	b.WriteString(pick(`<atom:link href="http://localhost:1200/guancha/headline" rel="self" type="application/rss+xml" />`, "") + nl)
	b.WriteString(`<description><![CDATA[观察者网 - 头条 - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)]]></description>` + nl)
	b.WriteString(`<generator>RSSHub</generator><webMaster>contact@rsshub.app (RSSHub)</webMaster><language>zh-cn</language>` + nl)
	b.WriteString(pick("", `<image><url>https://i.example.com/logo.png</url><title><![CDATA[观察者网]]></title><link>https://www.guancha.cn/</link></image>`) + nl)
	b.WriteString(`<lastBuildDate>Mon, 07 Dec 2026 10:00:00 GMT</lastBuildDate>` + pick("", "<ttl>5</ttl>", "<ttl> 60 </ttl>", "<TTL>30</TTL>") + nl)
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range items {
		at := start.Add(-time.Duration(i) * 37 * time.Minute)
		b.WriteString(pick("<item>", "<item>"+nl, "<Item>") + nl)
		title := pick("美国"+strconv.Itoa(i)+"：“关税”不会取消", "Don’t panic: Q&A "+strconv.Itoa(i), "<b>粗体</b> 标题", "1 < 2 > 0", "", "two\r\nlines", "AT&amp;T &#8217;s")
		switch rng.IntN(3) {
		case 0:
			fmt.Fprintf(&b, "<title><![CDATA[%s]]></title>", title)
		case 1:
			fmt.Fprintf(&b, "<title>%s</title>", xmlEscape(title))
		default:
			fmt.Fprintf(&b, "<title>\n  <![CDATA[%s]]>  \n</title>", title)
		}
		b.WriteString(nl)
		body := fmt.Sprintf(`<p><img src="%s"></p>%s<p>“%d”说，<a href="/news/%d.html">更多</a> {{ x }} &amp; &nbsp;</p>`, pick("https://i.example.com/a.jpg", "/img/b.png", "c.gif"), pick("", "\r\n", "\n\t", "\r"), i, i)
		switch rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "<description><![CDATA[%s]]></description>", body)
		case 1:
			fmt.Fprintf(&b, "<description>%s</description>", xmlEscape(body))
		case 2:
			fmt.Fprintf(&b, "<description>summary %d</description>", i)
		}
		b.WriteString(nl)
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", at.Format(time.RFC1123))
		case 1:
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", at.In(time.FixedZone("", 8*3600)).Format(time.RFC1123Z))
		case 2:
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", at.Format("2006-01-02 15:04:05"))
		case 3:
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", at.Format(time.RFC3339))
		case 4:
			// gofeed reads "yesterday" as no date, Date too: a rare
			// one, for readRSS leaves such a feed to gofeed.
			if rng.IntN(20) == 0 {
				b.WriteString("<pubDate>yesterday</pubDate>")
			} else {
				b.WriteString(pick("<pubDate></pubDate>", "<pubDate>Mon, 07 Dec 2026 10:00:00 CST</pubDate>", "<pubDate>Mon,07 Dec 2026 10:00:00 +08:00</pubDate>"))
			}
		}
		b.WriteString(nl)
		guid := fmt.Sprintf("https://www.guancha.cn/p/%d.shtml", i)
		switch rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, guid)
		case 1:
			fmt.Fprintf(&b, `<guid>%s</guid>`, guid)
		case 2:
			fmt.Fprintf(&b, `<guid isPermaLink="false"><![CDATA[ %d ]]></guid>`, i)
		}
		b.WriteString(nl)
		switch rng.IntN(5) {
		case 0:
			fmt.Fprintf(&b, "<link>https://www.guancha.cn/p/%d.shtml?a=1&amp;b=2</link>", i)
		case 1:
			fmt.Fprintf(&b, "<link>/p/%d.shtml</link>", i)
		case 2:
			fmt.Fprintf(&b, "<link> https://www.guancha.cn/p/%d.shtml </link><link>https://other.example/%d</link>", i, i)
		case 3:
			b.WriteString("<link></link>")
		}
		b.WriteString(nl)
		b.WriteString(pick("", "", `<author><![CDATA[观察者网]]></author>`, "<author>me@example.com (Me)</author>", "<author>Me (me@example.com)</author>", "<author>me@example.com</author>", "<author>(odd)</author>"))
		for range rng.IntN(4) {
			b.WriteString(pick("<category><![CDATA[国际]]></category>", `<category domain="x">Tech &amp; Science</category>`, "<category></category>", "<category>a, b</category>"))
		}
		b.WriteString(pick("", "", `<enclosure url="https://i.example.com/x.jpg" length="0" type="image/jpeg" />`, `<enclosure url="/audio/x.mp3?a=1&amp;b=2" length="1234" type="audio/mpeg"/>`, `<enclosure url="" type="image/png"></enclosure>`, `<enclosure url="https://i.example.com/y.webp" type="image/webp"/><enclosure url="https://i.example.com/z.png" type="image/png"/>`))
		if content != "" && rng.IntN(3) == 0 {
			fmt.Fprintf(&b, "<%sencoded><![CDATA[<p>full %d</p>]]></%[1]sencoded>", content, i)
		}
		b.WriteString(pick("", "", "<comments>https://www.guancha.cn/c/1</comments>", "<source url=\"https://s.example/\">S</source>", "<!-- note -->"))
		if wp {
			b.WriteString(pick("<dc:creator><![CDATA[admin]]></dc:creator>", "<dc:creator>Jane &amp; John</dc:creator>", "<dc:creator>jane@example.com (Jane)</dc:creator><dc:creator>other</dc:creator>", ""))
			b.WriteString(pick("", fmt.Sprintf("<wfw:commentRss>https://w.example/%d/feed/</wfw:commentRss><slash:comments>%d</slash:comments>", i, i)))
			b.WriteString(pick("", `<media:content url="https://i.example.com/m.jpg" medium="image"/>`, `<media:content url="/v.mp4" type="video/mp4" fileSize="12"/><media:thumbnail url="/t.jpg"/>`, `<media:thumbnail url="t.png"></media:thumbnail>`))
		}
		b.WriteString(nl + pick("</item>", "</item>") + nl)
	}
	b.WriteString("</channel>" + nl + "</rss>" + nl)
	s := b.String()
	// <Item> has to close as </Item>.
	s = fixItemCase(s)
	return []byte(s)
}

// fixItemCase makes each item's end tag match its start tag's case.
func fixItemCase(s string) string {
	var b strings.Builder
	for {
		k := strings.Index(s, "<Item>")
		if k < 0 {
			b.WriteString(s)
			return b.String()
		}
		e := strings.Index(s[k:], "</item>")
		b.WriteString(s[:k+e])
		b.WriteString("</Item>")
		s = s[k+e+len("</item>"):]
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// readRSSCases are shapes readRSS leaves to gofeed, and a few it reads:
// the reader must not guess.
var readRSSCases = func() []struct {
	name, doc string
	read      bool
} {
	const head = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><link>https://e.example/</link>`
	const tail = `</channel></rss>`
	return []struct {
		name, doc string
		read      bool
	}{
		{"plain", head + `<item><title>a</title><link>https://e.example/1</link></item>` + tail, true},
		{"cdata", head + `<item><title><![CDATA[a <b>]]></title><description><![CDATA[<p>x</p>]]></description></item>` + tail, true},
		{"enclosure and author", head + `<item><title>a &amp; b</title><author>a@b.example (A)</author><enclosure url="/x.jpg?a=1&amp;b=2" type="image/jpeg" length="1"/><category>c</category><pubDate>Mon, 07 Dec 2026 10:00:00 GMT</pubDate></item>` + tail, true},
		{"media", head + `<item><title>a</title><media:content url="https://e.example/a.jpg" medium="image"/><media:thumbnail url="/t.jpg"></media:thumbnail></item>` + tail, true},
		{"dublin core creator", head + `<item><title>a</title><dc:creator><![CDATA[me]]> &amp; you</dc:creator><dc:creator>them</dc:creator></item>` + tail, true},
		{"wordpress", `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"><channel><title>W</title><atom:link href="https://w.example/feed/" rel="self" type="application/rss+xml" /><link>https://w.example</link><sy:updatePeriod>
	hourly	</sy:updatePeriod><sy:updateFrequency>
	2	</sy:updateFrequency><item><title>p</title><dc:creator><![CDATA[admin]]></dc:creator><wfw:commentRss>https://w.example/p/feed/</wfw:commentRss><slash:comments>0</slash:comments><content:encoded><![CDATA[<p>x</p>]]></content:encoded></item></channel></rss>`, true},
		{"dublin core date", head + `<item><title>a</title><dc:date>2024-01-02</dc:date></item>` + tail, false},
		{"dublin core title of the channel", `<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><dc:title>T</dc:title></channel></rss>`, false},
		{"markup in dc:creator", head + `<item><title>a</title><dc:creator><b>me</b></dc:creator></item>` + tail, false},
		{"entity in dc:creator", head + `<item><title>a</title><dc:creator>me&nbsp;you</dc:creator></item>` + tail, false},
		{"media group", head + `<item><title>a</title><media:group><media:content url="/a.jpg"/></media:group></item>` + tail, false},
		{"media content with a title", head + `<item><title>a</title><media:content url="/a.jpg"><media:title>t</media:title></media:content></item>` + tail, false},
		{"media prefix for another namespace", `<rss xmlns:media="https://other.example/ns"><channel><title>T</title><item><media:content url="/a.jpg"/></item></channel></rss>`, false},
		{"itunes", `<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T</title><item><itunes:image href="/a.jpg"/></item></channel></rss>`, false},
		{"undeclared rss prefix", head + `<item><rss:title>a</rss:title></item>` + tail, false},
		{"xml:base", head + `<item xml:base="https://b.example/"><title>a</title></item>` + tail, false},
		{"markup in a title", head + `<item><title>a <b>b</b></title></item>` + tail, false},
		{"comment in a title", head + `<item><title>a<!-- b --></title></item>` + tail, false},
		{"comment ending in a dash", head + `<item><title>a</title><!-- b ---></item>` + tail, false},
		{"stray less-than", head + `<item><title>1 < 2</title></item>` + tail, false},
		{"mismatched end tag", head + `<item><title>a</titel></item>` + tail, false},
		{"item closed in another case", head + `<Item><title>a</title></item>` + tail, false},
		{"unreadable date", head + `<item><title>a</title><pubDate>yesterday</pubDate></item>` + tail, false},
		{"a second date, empty", head + `<item><title>a</title><pubDate>Mon, 07 Dec 2026 10:00:00 GMT</pubDate><pubdate></pubdate></item>` + tail, false},
		{"control character", head + "<item><title>a\x01</title></item>" + tail, false},
		{"forbidden reference", head + `<item><title>a&#1;</title></item>` + tail, false},
		{"doctype", `<!DOCTYPE rss><rss version="2.0"><channel><title>T</title></channel></rss>`, false},
		{"default namespace", `<rss xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel></rss>`, false},
		{"prefix bound to RSS's own names", `<rss version="2.0" xmlns:x=" rss " xmlns:y="rdf"><channel><title>T</title><x:title>U</x:title><item><title>a</title><y:description>b</y:description></item></channel></rss>`, false},
		{"prefix bound to no namespace", `<rss version="2.0" xmlns:content=""><channel><title>T</title><item><title>a</title><encoded>full</encoded></item></channel></rss>`, false},
		{"latin-1 declared", `<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><title>T</title></channel></rss>`, false},
		{"declaration with more", `<?xml version="1.0" >?><rss><channel><title>T</title></channel></rss>`, false},
		{"link href", head + `<item><title>a</title><link href="/x"/></item>` + tail, false},
		{"legacy body", head + `<item><title>a</title><body>x</body></item>` + tail, false},
		{"atom link for an empty link", `<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title><atom:link href="/x" rel="alternate"/></channel></rss>`, false},
		{"more items begun than read", head + `<item><title>a</title><description>&lt;item&gt;</description><description><![CDATA[<item>]]></description></item>` + tail, false},
		{"cut short", head + `<item><title>a</title>`, false},
		{"many namespaces", `<rss` + func() string {
			var b strings.Builder
			for i := range 65 {
				fmt.Fprintf(&b, ` xmlns:n%d="https://n.example/%d"`, i, i)
			}
			return b.String()
		}() + `><channel><title>T</title></channel></rss>`, false},
		{"root past gofeed's window", `<?xml version="1.0"?><!--` + strings.Repeat("x", 4100) + `--><rss><channel><title>T</title></channel></rss>`, false},
		{"root just inside gofeed's window", `<?xml version="1.0"?><!--` + strings.Repeat("x", 3900) + `--><rss><channel><title>T</title></channel></rss>`, true},
		{"text after the root", `<rss><channel><title>T</title></channel></rss>junk`, false},
		{"comment after the root", "<rss><channel><title>T</title></channel></rss>\n<!-- generated -->\n", true},
		{"split and nested cdata", head + `<item><title> a<![CDATA[ <b> ]]>c&amp;d<![CDATA[<![CDATA[x]]> </title><description><![CDATA[]]></description></item>` + tail, true},
		{"empty item", head + `<item/><item></item>` + tail, true},
		{"atom link beside a link", `<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title><link>https://e.example/</link><atom:link href="/x" rel="alternate"/></channel></rss>`, true},
		{"author forms", head + `<item><author>a@b.example</author></item><item><author>A (a@b.example)</author></item><item><author>a@b.example (A)</author></item><item><author>(x)</author></item><item><author>A</author><author></author><dc:creator>C</dc:creator></item>` + tail, true},
		{"html entities in a title", head + `<item><title>A&nbsp;B &copy=2; &amp;amp; &unknown; &#x41;&#65;</title></item>` + tail, true},
		{"two channels", `<rss><channel><title>A</title></channel><channel><title>B</title></channel></rss>`, false},
		{"atom", `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title></feed>`, false},
	}
}()

// TestReadRSSFallsBack checks which shapes readRSS reads, and that Parse
// makes the same of each either way.
func TestReadRSSFallsBack(t *testing.T) {
	for _, c := range readRSSCases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, ok := readRSS([]byte(c.doc), time.UTC); ok != c.read {
				t.Errorf("readRSS read it: %v, want %v", ok, c.read)
			}
			checkSame(t, c.name, []byte(c.doc))
		})
	}
}

// FuzzStreamMatchesGofeed checks that readRSS and gofeed make the same
// feed of any document.
func FuzzStreamMatchesGofeed(f *testing.F) {
	for seed := range 8 {
		f.Add(rsshubFeed(uint64(seed), 3))
		f.Add(oddFeed(uint64(seed)))
	}
	for _, c := range readRSSCases {
		f.Add([]byte(c.doc))
	}
	files, err := filepath.Glob("testdata/feeds/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, ".golden.json") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, "input", data)
	})
}

// TestStreamMatchesGofeedOnOddNamespaces reads generated feeds whose
// elements, in any case, are prefixed with every name gofeed reads,
// bound to known, unknown, empty or RSS's own namespaces, and carry the
// attributes gofeed reads (a companion of
// TestStreamMatchesGofeedOnOddFeeds; -oddfeeds sets how many too). It
// checks only that both readings agree.
func TestStreamMatchesGofeedOnOddNamespaces(t *testing.T) {
	n := *oddFeeds
	if testing.Short() {
		n = 50
	}
	streamed := 0
	for seed := range n {
		doc := nsFeed(uint64(seed))
		if _, _, ok := readRSS(doc, time.UTC); ok {
			streamed++
		}
		checkSame(t, fmt.Sprintf("namespace feed %d:\n%s\n", seed, doc), doc)
	}
	t.Logf("%d of %d namespace feeds read by readRSS", streamed, n)
}

// nsFeed is a generated RSS document (see
// TestStreamMatchesGofeedOnOddNamespaces).
func nsFeed(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1919))
	pick := func(opts ...string) string { return opts[rng.IntN(len(opts))] }
	uris := []string{"http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#", "http://purl.org/rss/1.0/modules/content/", "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/", "http://www.itunes.com/DTDs/PodCast-1.0.dtd", "http://www.itunes.com/dtds/podcast-1.0.dtd", "http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss", "http://www.w3.org/1999/xhtml", "http://purl.org/rss/1.0/modules/syndication/", "http://purl.org/rss/1.0/", "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://wellformedweb.org/CommentAPI/", "http://purl.org/rss/1.0/modules/slash/", "https://odd.example/ns", "", " ", "rss", "rdf", " http://purl.org/dc/elements/1.1/ ", "http://www.w3.org/XML/1998/namespace"}
	names := []string{"atom", "atom10", "atom03", "content", "dc", "dcterms", "itunes", "media", "xhtml", "sy", "wfw", "slash", "rss", "rdf", "x", "y", "xml"}
	var prefixes []string
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss version=\"2.0\"")
	for i := range rng.IntN(5) {
		p := names[rng.IntN(len(names))]
		if p == "xml" || strings.Contains(b.String(), " xmlns:"+p+"=") {
			continue
		}
		prefixes = append(prefixes, p)
		// Mostly a prefix's own namespace, as feeds bind them.
		uri := uris[rng.IntN(len(uris))]
		if own := []string{"http://www.w3.org/2005/Atom", "", "http://purl.org/rss/1.0/modules/content/", "http://purl.org/dc/elements/1.1/", "", "", "http://search.yahoo.com/mrss/", "", "http://purl.org/rss/1.0/modules/syndication/", "http://wellformedweb.org/CommentAPI/", "http://purl.org/rss/1.0/modules/slash/"}; i%2 == 0 && slices.Index(names, p) < len(own) && own[slices.Index(names, p)] != "" {
			uri = own[slices.Index(names, p)]
		}
		fmt.Fprintf(&b, ` xmlns:%s="%s"`, p, uri)
	}
	b.WriteString(">\n<channel>")
	// How odd this feed is: the chance of each odd choice.
	odd := pick("0", "0.02", "0.1", "0.25")
	oddP, _ := strconv.ParseFloat(odd, 64)
	oddly := func() bool { return rng.Float64() < oddP }
	prefix := func() string {
		switch {
		case oddly():
			return pick("xml:", "undeclared:")
		case len(prefixes) == 0 || rng.IntN(8) > 0:
			return ""
		}
		return prefixes[rng.IntN(len(prefixes))] + ":"
	}
	attr := func() string {
		if oddly() {
			return pick(` xml:base="https://base.example/dir/"`, ` xmlns="https://odd.example/ns"`, ` x:y="1"`, ` url="/a.mp3" url="/b.mp3"`, ` url="/a&nbsp;b"`, ` rel="&#x61;lternate"`)
		}
		return pick("", "", "", "", "", "", ` rel="alternate" href="/alt"`, ` rel="self" href="/self"`, ` type="html"`, ` url="/u.jpg" type="image/jpeg" medium="image"`, ` url="/v.mp4" type="video/mp4" length="9"`, ` isPermaLink="false"`)
	}
	text := func() string {
		if oddly() {
			return pick("&nbsp;x&copy;", "<b>markup</b>", "a\r\nb", "<!-- c -->d", "&#x41;&#X42;", "<![CDATA[x]]>y<![CDATA[z]]>")
		}
		return pick("plain", "<![CDATA[<b>cdata</b>]]>", "a &amp; b &lt;i&gt;", "Mon, 07 Dec 2026 10:00:00 GMT", "2026-12-07", "me@example.com (Me)", "  spaced  ", "/relative/link", "https://abs.example/p?a=1&amp;b=2", "", "hourly", "2", "&#8220;q&#8221;")
	}
	element := func(local string) string {
		name := prefix() + local
		a := attr()
		if rng.IntN(5) == 0 {
			return "<" + name + a + "/>"
		}
		v := text()
		if l := strings.ToLower(local); (l == "pubdate" || l == "date") && !oddly() {
			v = pick("Mon, 07 Dec 2026 10:00:00 GMT", "2026-12-07T10:00:00+08:00", "2026-12-07 10:00", "")
		}
		return "<" + name + a + ">" + v + "</" + name + ">"
	}
	name := func(common, odd []string) string {
		if oddly() {
			return odd[rng.IntN(len(odd))]
		}
		return common[rng.IntN(len(common))]
	}
	channelNames := []string{"title", "Title", "link", "LINK", "ttl", "description", "image", "updatePeriod", "updateFrequency", "encoded", "creator", "link"}
	oddChannelNames := []string{"date", "item", "channel", "rss"}
	itemNames := []string{"title", "TITLE", "link", "Link", "description", "guid", "pubDate", "pubdate", "author", "category", "enclosure", "comments", "source", "encoded", "creator", "content", "thumbnail", "x", "commentRss", "comments"}
	oddItemNames := []string{"date", "subject", "group", "body", "fullitem", "created", "summary", "updated", "published", "issued", "modified", "image", "keywords", "item"}
	for range 1 + rng.IntN(4) {
		b.WriteString(element(name(channelNames, oddChannelNames)))
	}
	for range 1 + rng.IntN(4) {
		b.WriteString("\n<item" + pick("", "", attr()) + ">")
		for range 1 + rng.IntN(6) {
			b.WriteString(element(name(itemNames, oddItemNames)))
		}
		b.WriteString("</item>")
	}
	b.WriteString("\n</channel>\n</rss>\n")
	return []byte(b.String())
}

// TestReadRSSReadsTheBenchmarkedShapes keeps the speed the benchmarks
// measure: the documents of BenchmarkParse in RSS (the seed RSSHub feed,
// bench/pipeline's shape) must be read by readRSS, not left to gofeed.
func TestReadRSSReadsTheBenchmarkedShapes(t *testing.T) {
	seed, err := os.ReadFile("../../testdata/golden/guancha-headline.xml")
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"guancha-headline.xml": seed, "bench/pipeline's shape": rsshubBenchFeed()} {
		f, _, ok := readRSS(bytes.TrimSpace(doc), time.UTC)
		if !ok || len(f.Items) == 0 {
			t.Errorf("%s: readRSS leaves it to gofeed", name)
		}
		checkSame(t, name, doc)
	}
}
