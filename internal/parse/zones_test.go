package parse

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestUTCOffsets(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gmt", `<item><pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate></item>`,
			`<item><pubDate>Fri, 28 Jan 2022 10:30:43 +0000</pubDate></item>`},
		{"utc", `<pubDate>Fri, 28 Jan 2022 10:30:43 UTC</pubDate><pubDate>Sat, 29 Jan 2022 00:00:00 UT</pubDate>`,
			`<pubDate>Fri, 28 Jan 2022 10:30:43 +0000</pubDate><pubDate>Sat, 29 Jan 2022 00:00:00 UT</pubDate>`},
		{"other zones stay", `<pubDate>Fri, 28 Jan 2022 10:30:43 CST</pubDate><pubDate>Fri, 28 Jan 2022 10:30:43 +0800</pubDate>`, ""},
		{"not rfc 1123", `<pubDate>28 Jan 2022 10:30:43 GMT</pubDate><pubDate>Fri, 8 Jan 2022 10:30:43 GMT</pubDate><pubDate>today GMT</pubDate>`, ""},
		{"spaces around stay", `<pubDate> Fri, 28 Jan 2022 10:30:43 GMT </pubDate>`, ""},
		{"cdata untouched", `<description><![CDATA[<pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate>]]></description>`, ""},
		{"comment untouched", `<!-- <pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate> -->`, ""},
		{"cdata date stays", `<pubDate><![CDATA[Fri, 28 Jan 2022 10:30:43 GMT]]></pubDate>`, ""},
		{"unclosed", `<pubDate>Fri, 28 Jan 2022 10:30:43 GMT`, ""},
		{"unclosed cdata", `<![CDATA[ <pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate>`, ""},
		{"after cdata", `<![CDATA[x]]><pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate>`,
			`<![CDATA[x]]><pubDate>Fri, 28 Jan 2022 10:30:43 +0000</pubDate>`},
		{"empty", ``, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if want == "" {
				want = c.in
			}
			in := []byte(c.in)
			got := utcOffsets(in)
			if string(got) != want {
				t.Errorf("utcOffsets(%s)\n got %s\nwant %s", c.in, got, want)
			}
			if c.want == "" && len(in) > 0 && &got[0] != &in[0] {
				t.Error("copied a document it did not change")
			}
			if string(in) != c.in {
				t.Error("changed its input")
			}
		})
	}
}

// TestUTCOffsetsKeepDates parses a feed with and without the rewrite: the
// items must come out the same, dates included.
func TestUTCOffsetsKeepDates(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://a.example/</link>
<item><title>一</title><link>https://a.example/1</link><pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate>
<description><![CDATA[<p>正文 <pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate></p>]]></description></item>
<item><title>二</title><link>https://a.example/2</link><pubDate>Sat, 29 Jan 2022 23:59:59 UTC</pubDate></item>
</channel></rss>`
	f, err := Parse([]byte(doc), "https://a.example/feed", time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC), time.Date(2022, 1, 29, 23, 59, 59, 0, time.UTC)}
	if len(f.Items) != 2 {
		t.Fatalf("%d items", len(f.Items))
	}
	for i, it := range f.Items {
		if !it.Published.Equal(want[i]) {
			t.Errorf("item %d published %v, want %v", i, it.Published, want[i])
		}
	}
	if !strings.Contains(f.Items[0].Content, "10:30:43 GMT</pubDate>") {
		t.Errorf("content changed: %q", f.Items[0].Content)
	}
}

// FuzzUTCOffsets checks that the rewrite only ever replaces a zone name
// by +0000 inside a pubDate element: undoing those replacements gives the
// input back.
func FuzzUTCOffsets(f *testing.F) {
	f.Add([]byte(`<item><pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate></item>`))
	f.Add([]byte(`<![CDATA[<pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate>]]><pubDate>Fri, 28 Jan 2022 10:30:43 UT</pubDate>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		out := utcOffsets(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("input changed")
		}
		if bytes.Equal(out, in) {
			return
		}
		// Every difference is a zone before </pubDate>.
		back := string(out)
		if !strings.Contains(back, "+0000</pubDate>") {
			t.Fatalf("changed without a +0000 pubDate: %q → %q", in, out)
		}
		parts := strings.Split(back, "+0000</pubDate>")
		rebuilt, rest := "", string(orig)
		for i, p := range parts {
			if i == len(parts)-1 {
				rebuilt += p
				break
			}
			// the original has p, then one of the names, then </pubDate>
			if !strings.HasPrefix(rest, p) {
				t.Fatalf("prefix %q not in input %q", p, rest)
			}
			rest = rest[len(p):]
			found := false
			for _, z := range []string{"GMT</pubDate>", "UTC</pubDate>", "+0000</pubDate>"} {
				if strings.HasPrefix(rest, z) {
					rest = rest[len(z):]
					rebuilt += p + z
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("replaced something else: %q", rest[:min(len(rest), 20)])
			}
		}
		if rebuilt != string(orig) {
			t.Fatalf("undoing the rewrite gives %q, want %q", rebuilt, orig)
		}
	})
}

// TestUTCOffsetsCopiesOnce checks that a document whose every item has a
// date to rewrite is copied once: the rewrites make it longer, and a
// slice of its size alone was grown, so copied again, at the end.
func TestUTCOffsetsCopiesOnce(t *testing.T) {
	item := "<item><title>t</title><pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate></item>"
	doc := []byte("<rss><channel>" + strings.Repeat(item, 500) + "</channel></rss>")
	out := utcOffsets(doc)
	if want := strings.ReplaceAll(string(doc), " GMT<", " +0000<"); string(out) != want {
		t.Fatalf("utcOffsets rewrote the dates wrongly")
	}
	if sized := len(doc) + len(doc)/16 + 16; cap(out) > sized {
		t.Errorf("the copy grew to %d bytes of room, beyond the %d it was made with", cap(out), sized)
	}
}
