package site

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

// sanitized is what a reader of escapeXML's output gets back: s with each
// character XML cannot hold replaced by U+FFFD.
func sanitized(s string, xmlRules bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			r = utf8.RuneError
		case xmlRules && ((r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF):
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func FuzzEscapeXML(f *testing.F) {
	for _, s := range []string{"", "<p>新华社 &amp; \"x\" 'y'</p>", "a\r\nb\tc\x00d\x7f", "\xff\xfe", "\uFFFE\uFFFF", "]]>", "\u2028", "中文\uFFFE文\xe4\xb8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := xmlText(s)
		var v struct {
			Text string `xml:",chardata"`
			Attr string `xml:"a,attr"`
		}
		doc := `<x a="` + text + `">` + text + `</x>`
		if err := xml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("escaped %q does not parse: %v\n%s", s, err, doc)
		}
		want := sanitized(s, true)
		if v.Text != want {
			t.Errorf("text of %q reads back as %q, want %q", s, v.Text, want)
		}
		if v.Attr != want {
			t.Errorf("attribute of %q reads back as %q", s, v.Attr)
		}
	})
}

// FuzzCDATA: a feed body in CDATA sections parses, and reads back as
// escapeXML's does.
func FuzzCDATA(f *testing.F) {
	for _, s := range []string{"", "<p>新华社 &amp; \"x\"</p>", "]]>", "a]]]>b]]", "]]>]]>", "a\r\nb\tc\x00d\x7f", "\xff\xfe", "\uFFFE\uFFFF", "<![CDATA[x]]>", "中文\uFFFE文\xe4\xb8]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		cdataXML(&b, s)
		var v struct {
			Text string `xml:",chardata"`
		}
		doc := `<x>` + b.String() + `</x>`
		if err := xml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("%q in CDATA does not parse: %v\n%s", s, err, doc)
		}
		if want := sanitized(s, true); v.Text != want {
			t.Errorf("%q reads back as %q, want %q", s, v.Text, want)
		}
	})
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", `"\`, "新华社\n\t\x00\x1f", "\xff", "\u2028\u2029", "<script>", "中\u2028文\u2029\xe4\xb8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		jsonString(&b, s)
		var got string
		if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
			t.Fatalf("%q gives invalid JSON %s: %v", s, b.String(), err)
		}
		if want := sanitized(s, false); got != want {
			t.Errorf("%q reads back as %q, want %q", s, got, want)
		}
		if strings.ContainsAny(b.String(), "\u2028\u2029") {
			t.Errorf("raw line separator in %q", b.String())
		}
	})
}

// TestPlain3 checks the fast path of the escapers against the decoder on
// every three-byte sequence.
func TestPlain3(t *testing.T) {
	for a := 0x80; a < 0x100; a++ {
		for b := 0; b < 0x100; b++ {
			for _, c := range []int{0x00, 0x41, 0x80, 0xA8, 0xA9, 0xBE, 0xBF, 0xC0, 0xFF} {
				s := string([]byte{byte(a), byte(b), byte(c)})
				if !plain3(s, 0) {
					continue
				}
				r, size := utf8.DecodeRuneInString(s)
				if r == utf8.RuneError || size != 3 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r < 0xE000) {
					t.Fatalf("plain3(%q) but it decodes as %U, %d bytes", s, r, size)
				}
			}
		}
	}
}
