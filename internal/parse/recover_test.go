package parse

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseRecoversBrokenXML(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>`
	cases := []struct {
		name, doc string
		titles    []string
		recovered bool
	}{
		{"sound", head + `<item><title>one</title></item></channel></rss>`, []string{"one"}, false},
		{"bare ampersand", head + `<item><title>A & B</title><link>http://a/?x=1&y=2</link></item></channel></rss>`, []string{"A & B"}, false},
		{"html entity", head + `<item><title>A&nbsp;B &copy;</title></item></channel></rss>`, []string{"A\u00a0B ©"}, false},
		{"control characters", head + "<item><title>A\x01B\x0b</title></item></channel></rss>", []string{"AB"}, false},
		{"stray less-than", head + `<item><title>1 < 2</title></item><item><title><![CDATA[<b>x</b>]]></title></item></channel></rss>`, []string{"1 < 2", "x"}, true},
		{"cut short in an item", head + `<item><title>one</title><dc:creator>me</dc:creator></item><item><title>two</title></item><item><title>thr`, []string{"one", "two"}, true},
		{"cut short after an item", head + `<item><title>one</title></item>`, []string{"one"}, true},
		{"atom cut short", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>1</id><title>one</title></entry><entry><id>2</id><ti`, []string{"one"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.doc), "http://example.com/", time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, it := range f.Items {
				titles = append(titles, it.Title)
			}
			if fmt.Sprint(titles) != fmt.Sprint(tc.titles) {
				t.Errorf("titles = %q, want %q", titles, tc.titles)
			}
			if (f.Recovered != nil) != tc.recovered {
				t.Errorf("Recovered = %v, want recovered %v", f.Recovered, tc.recovered)
			}
		})
	}
}

func TestParseUnrecoverable(t *testing.T) {
	for _, doc := range []string{
		`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>cut`,
		`<?xml version="1.0"?><rss version="2.0"><channel><title>T`,
	} {
		if _, err := Parse([]byte(doc), "", time.UTC); err == nil || !strings.Contains(err.Error(), "parse feed") {
			t.Errorf("%q: err = %v, want a parse error", doc, err)
		}
	}
}

func FuzzRepairXML(f *testing.F) {
	f.Add([]byte(`<rss><channel><item><title>a < b</title></item><item>`))
	f.Add([]byte(`<feed><entry><![CDATA[<x>]]></entry><entry><title>&nbsp;`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fixed, ok := repairXML(data)
		if ok && len(fixed) > 8*len(data)+64 {
			t.Errorf("repair grew %d bytes to %d", len(data), len(fixed))
		}
		_, _ = Parse(data, "http://example.com/", time.UTC)
	})
}

// FuzzParseKeepsItems puts arbitrary text (references, controls, stray
// ampersands, "]]>", invalid UTF-8, and raw end tags such as a "]]>"
// inside CDATA leaves in the open; no other markup) in the titles and
// bodies of a three-item feed, optionally cut short, and checks that no
// complete item is lost and that every item lost is counted.
func FuzzParseKeepsItems(f *testing.F) {
	f.Add("a&#0;b", "x", uint16(0))
	f.Add("\x01&#xFFFE;", "&nbsp;&bogus;", uint16(200))
	f.Add("&", "\x00\xff", uint16(150))
	f.Add("t&#xD800;", "<![CDATA[", uint16(0))
	f.Add("one", "x </b> y", uint16(0))
	f.Add("</script>", "x", uint16(0))
	f.Add("t", "</p>]]>", uint16(0))
	f.Add("t", "a</item>b", uint16(0))
	f.Add("t", "a</description></item>b", uint16(0))
	f.Add("t", "</b></script>", uint16(300))
	f.Fuzz(func(t *testing.T, title, body string, cut uint16) {
		title, body = onlyEndTags(title), onlyEndTags(body)
		var doc strings.Builder
		doc.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0"><channel><title>F</title>`)
		var ends []int // where each item ends in doc
		for i := range 3 {
			fmt.Fprintf(&doc, "<item><guid>g%d</guid><title>%s</title><description>%s</description></item>", i, title, body)
			ends = append(ends, doc.Len())
		}
		doc.WriteString("</channel></rss>")
		data := doc.String()
		complete, started := 3, 3
		if c := int(cut); c > 0 && c < len(data) {
			data = data[:c]
			complete, started = 0, strings.Count(data, "<item>")
			for _, e := range ends {
				if e <= c {
					complete++
				}
			}
		}
		feed, err := Parse([]byte(data), "https://x.example.com/", time.UTC)
		if err != nil {
			if complete > 0 {
				t.Fatalf("%d complete items, and an error: %v", complete, err)
			}
			return
		}
		if len(feed.Items) < complete {
			t.Errorf("kept %d items of %d complete", len(feed.Items), complete)
		}
		if len(feed.Items)+feed.Lost < started {
			t.Errorf("kept %d items and lost %d of %d begun: lost silently", len(feed.Items), feed.Lost, started)
		}
	})
}

// onlyEndTags drops every "<" and ">" of s but those of end tags
// ("</name>"), which it keeps raw.
func onlyEndTags(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			if n := endTagLen(s[i:]); n > 0 {
				b.WriteString(s[i : i+n])
				i += n - 1
			}
		case '>':
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// endTagLen is the length of the end tag s starts with, 0 for none.
func endTagLen(s string) int {
	if !strings.HasPrefix(s, "</") {
		return 0
	}
	for k := 2; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '>':
			if k == 2 {
				return 0
			}
			return k + 1
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == ':', c == '_', c == '-', k > 2 && c >= '0' && c <= '9':
		default:
			return 0
		}
	}
	return 0
}
