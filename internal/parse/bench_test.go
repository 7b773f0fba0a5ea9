package parse

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
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
	return map[string][]byte{"rsshub": []byte(rss.String()), "atom": []byte(atom.String())}
}

func BenchmarkParse(b *testing.B) {
	for name, doc := range benchDocs(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(doc, "https://fetched.example.com/feed", time.UTC); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
