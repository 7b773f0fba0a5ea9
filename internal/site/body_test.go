package site

import (
	"slices"
	"testing"

	"github.com/feedmill/feedmill/internal/imgproxy"
)

func TestSiteBody(t *testing.T) {
	b := &builder{root: "/"}
	tests := []struct{ name, in, want string }{
		{"no image", `<p>新华社 <b>x</b></p>`, `<p>新华社 <b>x</b></p>`},
		{"adds attributes", `<p><img src="a.png" alt="图"></p>`, `<p><img src="a.png" alt="图" loading="lazy" referrerpolicy="no-referrer"></p>`},
		{"keeps a complete tag byte for byte", `<IMG SRC='a.png' loading=eager referrerpolicy="origin">x`, `<IMG SRC='a.png' loading=eager referrerpolicy="origin">x`},
		{"self-closing", `<img src="a.png"/>`, `<img src="a.png" loading="lazy" referrerpolicy="no-referrer" />`},
		{"quoted >", `<img alt="a>b" src="x">after`, `<img alt="a&gt;b" src="x" loading="lazy" referrerpolicy="no-referrer">after`},
		{"not an img", `<imgx src="a"><image src="b">`, `<imgx src="a"><image src="b">`},
		{"unterminated", `<p>x<img src="a.png"`, `<p>x<img src="a.png"`},
		{"several", `<img src="1"><p>中</p><img src="2" loading="lazy" referrerpolicy="no-referrer">`, `<img src="1" loading="lazy" referrerpolicy="no-referrer"><p>中</p><img src="2" loading="lazy" referrerpolicy="no-referrer">`},
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
	f.Fuzz(func(t *testing.T, s string) {
		b := &builder{root: "/"}
		once := b.siteBody(s)
		if twice := b.siteBody(once); twice != once {
			t.Errorf("not idempotent: %q -> %q -> %q", s, once, twice)
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
