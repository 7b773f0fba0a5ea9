package site

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/content"
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

// tokens reads s as the tokenizer does: each token's type and raw bytes.
func tokens(s string) (types []html.TokenType, raws []string) {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return types, raws
		}
		types = append(types, tt)
		raws = append(raws, string(z.Raw()))
	}
}

func FuzzSiteBody(f *testing.F) {
	f.Add(`<p><img src="a.png" alt="图"></p>`)
	f.Add(`<img alt='x"y' src=a.png/><img`)
	f.Add(`<IMG/src=a.png loading=eager>`)
	f.Add(`<details open title="<img ontoggle=alert(1)>">x</details>`)
	f.Add(`<p title=<img/onerror=alert(1)>x</p><!-- <img src=x> --><textarea><img src=y></textarea><img src="http://x/a.png">`)
	f.Add("<svg><![CDATA[<img src=x onerror=alert(1)>]]></svg><img\nsrc=&amp;x>")
	proxied := &builder{root: "/"}
	proxied.cfg.ImageProxy = imgproxy.NewSigner([]byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range []*builder{{root: "/"}, proxied} {
			once := b.siteBody(s)
			if twice := b.siteBody(once); twice != once {
				t.Errorf("not idempotent: %q -> %q -> %q", s, once, twice)
			}
			// The tokens cover the input byte for byte, as siteBody
			// relies on, and the output has the same tokens: every one
			// but an <img> start tag keeps its bytes, and an <img> keeps
			// its attributes, with the site's two added when missing.
			inTypes, inRaws := tokens(s)
			if !strings.HasPrefix(s, strings.Join(inRaws, "")) {
				t.Fatalf("the tokens of %q are not its bytes: %q", s, inRaws)
			}
			outTypes, outRaws := tokens(once)
			if !slices.Equal(inTypes, outTypes) {
				t.Fatalf("%q became %q: tokens %v, were %v", s, once, outTypes, inTypes)
			}
			for i, raw := range inRaws {
				in, inSelf, ok := tokenizeImg(raw)
				if tt := inTypes[i]; !ok || tt != html.StartTagToken && tt != html.SelfClosingTagToken {
					if outRaws[i] != raw {
						t.Errorf("%q became %q: token %q became %q", s, once, raw, outRaws[i])
					}
					continue
				}
				out, outSelf, ok := tokenizeImg(outRaws[i])
				if !ok || outSelf != inSelf {
					t.Fatalf("%q became %q, which is not an img tag like it", raw, outRaws[i])
				}
				if b.cfg.ImageProxy != nil || slices.ContainsFunc(in, func(a html.Attribute) bool { return a.Key == "src" && strings.TrimSpace(a.Val) != a.Val }) {
					continue // its src is proxied or trimmed
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
					t.Errorf("%q became %q: attributes %q, want %q", raw, outRaws[i], out, want)
				}
			}
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
		want, wantSelf, wantOK := tokenizeImg(s)
		if !wantOK {
			return // siteBody passes scanImg whole <img> tags only
		}
		attrs, selfClosing, ok := scanImg(s)
		if !ok {
			return
		}
		if !slices.Equal(attrs, want) || selfClosing != wantSelf {
			t.Errorf("scanImg(%q) = %q %v, tokenizer %q %v", s, attrs, selfClosing, want, wantSelf)
		}
	})
}

// BenchmarkSiteBody measures siteBody over the content package's bench
// corpus (Chinese news bodies with images), cleaned as the refresh keeps
// them, with and without the builtin image proxy.
func BenchmarkSiteBody(b *testing.B) {
	files, err := filepath.Glob("../content/testdata/bench/*.html")
	if err != nil || len(files) == 0 {
		b.Fatalf("no bench bodies: %v", err)
	}
	var bodies []string
	var size int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		body := content.Process(string(data), "https://news.example.cn/2022/01/28/1.html", content.Options{}).HTML
		bodies = append(bodies, body)
		size += int64(len(body))
	}
	for _, proxy := range []*imgproxy.Signer{nil, imgproxy.NewSigner([]byte("0123456789abcdef"))} {
		name := "proxy=none"
		if proxy != nil {
			name = "proxy=builtin"
		}
		b.Run(name, func(b *testing.B) {
			bld := &builder{root: "/"}
			bld.cfg.ImageProxy = proxy
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, body := range bodies {
					bld.siteBody(body)
				}
			}
		})
	}
}

// FuzzImgTags checks that imgTags finds the <img> start tags the
// tokenizer finds, whenever it reads a body at all. The seeds are the XSS
// corpus and the bench bodies.
func FuzzImgTags(f *testing.F) {
	for _, s := range []string{`<p title="<img x>"><img src=a>`, `<!--><img src=a>-->`, `<!---><img>`, `<!-- --!><img> -->`, `<textarea><img></TEXTAREA ><img>`,
		`<title/><img></title/><img>`, `<?x <img>?><img>`, `</ <img>><img>`, `</><img>`, `<!DOCTYPE <img>><img>`, `<a b=<img c>d<img>`, `<img a='>'<img>`,
		"<a\tb\n=\f'x'/c=/><img/ >", `<ſtyle><img></ſtyle>`, `<xmp><img></xmp`, `<img`, `<img src="a`, `<p =<img><img>`} {
		f.Add(s)
	}
	if data, err := os.ReadFile("../content/testdata/xss/owasp.txt"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f.Add(line)
		}
	}
	files, _ := filepath.Glob("../content/testdata/bench/*.html")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := imgTags(s, nil)
		if !ok {
			return
		}
		if want := tokenImgTags(s, nil); !slices.Equal(got, want) {
			t.Errorf("imgTags(%q) = %v, the tokenizer finds %v", s, got, want)
		}
	})
}

func TestCutHTML(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    int
		want     string
	}{
		{"short", "<p>短</p>", 100, "<p>短</p>"},
		{"between tags", "<p>一</p><p>二</p>", 12, "<p>一</p>"},
		{"inside a tag", `<p>一</p><img src="x.png">`, 15, "<p>一</p>"},
		{"text by characters", "<p>一二三四</p>", 10, "<p>一二"},
		{"no reference cut", "<p>a&amp;b</p>", 7, "<p>a"},
		{"whole reference", "<p>a&amp;b</p>", 9, "<p>a&amp;"},
		{"not inside raw text", "<p>x</p><style>p{color:red}</style><p>y</p>", 30, "<p>x</p>"},
		{"after raw text", "<p>x</p><textarea>a</textarea><p>y</p>", 32, "<p>x</p><textarea>a</textarea>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cutHTML(tc.in, tc.limit); got != tc.want {
				t.Errorf("cutHTML(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
		})
	}
}
