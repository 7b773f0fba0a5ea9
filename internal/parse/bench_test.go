package parse

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/charset"
)

// benchDocs are the documents the parse benchmarks read: 30 items of the
// seed RSSHub feed (CDATA titles and bodies, GMT pubDates), and a
// WordPress-style Atom feed of 20 entries (html titles and content).
func benchDocs(b *testing.B) map[string][]byte {
	seed, err := os.ReadFile("../../testdata/golden/guancha-headline.xml")
	if err != nil {
		b.Fatal(err)
	}
	s := string(seed)
	start, end := strings.Index(s, "<item>"), strings.LastIndex(s, "</item>")+len("</item>")
	var rss strings.Builder
	rss.WriteString(s[:start])
	for i := range 30 {
		rss.WriteString(strings.Replace(s[start:end], "</title>", fmt.Sprintf("</title><guid>%d</guid>", i), 1))
	}
	rss.WriteString(s[end:])

	var atom strings.Builder
	atom.WriteString(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title type="text">WP</title><link rel="alternate" type="text/html" href="https://wp.example/"/><id>https://wp.example/feed/atom/</id><updated>2024-03-01T10:00:00Z</updated>`)
	body := strings.Repeat("<p>Paragraph with <a href=\"https://wp.example/x\">a link</a> and <em>emphasis</em>.</p>\n", 20)
	for i := range 20 {
		fmt.Fprintf(&atom, `<entry><author><name>admin</name></author><title type="html"><![CDATA[Don&#8217;t panic: Q&amp;A %d]]></title><link rel="alternate" type="text/html" href="https://wp.example/%d/"/><id>https://wp.example/?p=%d</id><updated>2024-03-01T10:00:00Z</updated><published>2024-03-01T09:00:00Z</published><category scheme="https://wp.example" term="News"/><summary type="html"><![CDATA[Summary %d]]></summary><content type="html" xml:base="https://wp.example/%d/"><![CDATA[%s]]></content></entry>`, i, i, i, i, i, body)
	}
	atom.WriteString(`</feed>`)
	return map[string][]byte{"rsshub": []byte(rss.String()), "atom": []byte(atom.String()), "generated": rsshubBenchFeed()}
}

// BenchmarkParse reads each document with gofeed alone and with readRSS
// first (stream): readRSS reads the RSS documents, gofeed the Atom one.
func BenchmarkParse(b *testing.B) {
	for name, doc := range benchDocs(b) {
		for _, way := range []struct {
			name   string
			stream bool
		}{{"gofeed", false}, {"stream", true}} {
			b.Run(name+"/"+way.name, func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := parse(doc, "https://fetched.example.com/feed", time.UTC, way.stream); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkParseUTF8 reads each document as refresh does, converted by
// fetch already (ParseUTF8): against BenchmarkParse's stream way, it shows
// what Parse's conversion (a check of every byte) costs.
func BenchmarkParseUTF8(b *testing.B) {
	for name, data := range benchDocs(b) {
		doc, _ := charset.ToUTF8(data, "")
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseUTF8(doc, "https://fetched.example.com/feed", time.UTC); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// rsshubBenchFeed is a feed of bench/pipeline's shape: 20 items of ~5 KB
// CDATA bodies with images, links and curly quotes.
func rsshubBenchFeed() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
<channel>
<title><![CDATA[源001 - 头条]]></title>
<link>https://news.example.com/s001/</link>
<atom:link href="http://127.0.0.1:1200/bench/001" rel="self" type="application/rss+xml" />
<description><![CDATA[源001 - 头条 - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)]]></description>
<generator>RSSHub</generator>
<language>zh-cn</language>
<lastBuildDate>Mon, 07 Dec 2026 10:00:00 GMT</lastBuildDate>
<ttl>5</ttl>
`)
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range 20 {
		var body strings.Builder
		fmt.Fprintf(&body, `<img src="https://img.example.com/news/2026/12/001%04d.jpg" width="970px" height="374px" referrerpolicy="no-referrer">`, i)
		for body.Len() < 5000 {
			fmt.Fprintf(&body, "\n<p>“美国关税政策，”专家说，<a href=\"https://news.example.com/s001/%d.shtml\" target=\"_blank\">相关报道</a>。</p>\n<p>\n经济学家认为，这一政策将对全球供应链产生深远影响。“这是一个转折点”，他说。\n</p>", body.Len())
		}
		fmt.Fprintf(&b, "<item>\n<title><![CDATA[美国：“关税”不会取消 %d]]></title>\n<description><![CDATA[%s]]></description>\n<pubDate>%s</pubDate>\n<guid isPermaLink=\"false\">https://news.example.com/s001/2026_12_%06d.shtml</guid>\n<link>https://news.example.com/s001/2026_12_%06d.shtml</link>\n</item>\n",
			i, body.String(), start.Add(-time.Duration(i)*7*time.Minute).Format(time.RFC1123), i, i)
	}
	b.WriteString("</channel>\n</rss>\n")
	return []byte(b.String())
}
