package site

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/imgproxy"
)

func TestSiteBody(t *testing.T) {
	b := &builder{root: "/"}
	tests := []struct{ name, in, want string }{
		{"no image", `<p>新华社 <b>x</b></p>`, `<p>新华社 <b>x</b></p>`},
		{"adds attributes", `<p><img src="a.png" alt="图"></p>`, `<p><img loading="lazy" referrerpolicy="no-referrer" src="a.png" alt="图"></p>`},
		{"adds what is missing", `<img src="a.png" referrerpolicy="origin">`, `<img loading="lazy" src="a.png" referrerpolicy="origin">`},
		{"keeps a complete tag byte for byte", `<IMG SRC='a.png' loading=eager referrerpolicy="origin">x`, `<IMG SRC='a.png' loading=eager referrerpolicy="origin">x`},
		{"self-closing", `<img src="a.png"/>`, `<img loading="lazy" referrerpolicy="no-referrer" src="a.png"/>`},
		{"quoted >", `<img alt="a>b" src="x">after`, `<img loading="lazy" referrerpolicy="no-referrer" alt="a>b" src="x">after`},
		{"no space", `<IMG/src=a.png>`, `<img loading="lazy" referrerpolicy="no-referrer"/src=a.png>`},
		{"not an img", `<imgx src="a"><image src="b">`, `<imgx src="a"><image src="b">`},
		{"unterminated", `<p>x<img src="a.png"`, `<p>x<img src="a.png"`},
		{"several", `<img src="1"><p>中</p><img src="2" loading="lazy" referrerpolicy="no-referrer">`, `<img loading="lazy" referrerpolicy="no-referrer" src="1"><p>中</p><img src="2" loading="lazy" referrerpolicy="no-referrer">`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.siteBody(tc.in); got != tc.want {
				t.Errorf("siteBody(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
	s := imgproxy.NewSigner([]byte("0123456789abcdef"))
	b.cfg.ImageProxy = s
	got := b.siteBody(`<img src="http://x.example/a.jpg" srcset="https://x.example/a.jpg 1x, /local.jpg 2x" loading="lazy" referrerpolicy="no-referrer">`)
	want := `<img src="` + escapeAttr(s.URL("/img", "http://x.example/a.jpg")) + `" srcset="` + escapeAttr(s.URL("/img", "https://x.example/a.jpg")) + ` 1x, /local.jpg 2x" loading="lazy" referrerpolicy="no-referrer">`
	if got != want {
		t.Errorf("proxied:\n got %s\nwant %s", got, want)
	}
}

func escapeAttr(s string) string { return xmlText(s) }

func FuzzSiteBody(f *testing.F) {
	f.Add(`<p><img src="a.png" alt="图"></p>`)
	f.Add(`<img alt='x"y' src=a.png/><img`)
	f.Add(`<IMG/src=a.png loading=eager>`)
	f.Fuzz(func(t *testing.T, s string) {
		b := &builder{root: "/"}
		once := b.siteBody(s)
		if twice := b.siteBody(once); twice != once {
			t.Errorf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
		// A lone <img> tag reads as the same tag with the site's two
		// attributes, added only when missing.
		if indexImg(s) != 0 || tagEnd(s, 0) != len(s) {
			return
		}
		in, inSelf, ok := tokenizeImg(s)
		if !ok || slices.ContainsFunc(in, func(a html.Attribute) bool { return a.Key == "src" && strings.TrimSpace(a.Val) != a.Val }) {
			return // not an img, or one whose src is trimmed: that tag is written anew
		}
		out, outSelf, ok := tokenizeImg(once)
		if !ok || outSelf != inSelf {
			t.Fatalf("%q became %q, which is not an img tag like it", s, once)
		}
		has := func(attrs []html.Attribute, key string) bool {
			return slices.ContainsFunc(attrs, func(a html.Attribute) bool { return a.Key == key })
		}
		var added []html.Attribute
		if !has(in, "loading") {
			added = append(added, html.Attribute{Key: "loading", Val: "lazy"})
		}
		if !has(in, "referrerpolicy") {
			added = append(added, html.Attribute{Key: "referrerpolicy", Val: "no-referrer"})
		}
		if want := append(added, in...); !slices.Equal(out, want) {
			t.Errorf("%q became %q: attributes %q, want %q", s, once, out, want)
		}
	})
}

// FuzzScanImg checks that scanImg reads a tag as the tokenizer does
// whenever it reads it at all.
func FuzzScanImg(f *testing.F) {
	for _, s := range []string{`<img src="a.png" alt="图">`, `<IMG SRC='a' Src=b loading=eager/>`, `<img/>`, `<img a=/>`, `<img =x y= z>`,
		`<img alt="a>b" src="x">`, `<img src=a.png/>`, `<img alt='x"y' src=a.png/>`, "<img\tsrc\n=\f'x' / >", `<img a="1" a="2" A="3">`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if indexImg(s) != 0 || tagEnd(s, 0) != len(s) {
			return // siteBody passes parseImg such tags only
		}
		attrs, selfClosing, ok := scanImg(s)
		if !ok {
			return
		}
		want, wantSelf, wantOK := tokenizeImg(s)
		if !wantOK || !slices.Equal(attrs, want) || selfClosing != wantSelf {
			t.Errorf("scanImg(%q) = %q %v, tokenizer %q %v %v", s, attrs, selfClosing, want, wantSelf, wantOK)
		}
	})
}
