package content

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// tokenSeeds are the bodies the tokenizers are compared on with every go
// test: the XSS corpus, the golden inputs, the bench bodies, FuzzProcess's
// corpus and the edge cases of the fast lane's reading of tags.
func tokenSeeds(t testing.TB) []string {
	seeds := readVectors(t)
	for _, glob := range []string{"testdata/clean/*.html", "testdata/bench/*.html"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, string(data))
		}
	}
	files, _ := filepath.Glob("testdata/fuzz/FuzzProcess/*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if q, ok := strings.CutPrefix(line, "string("); ok {
				if v, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					seeds = append(seeds, v)
				}
			}
		}
	}
	seeds = append(seeds,
		"", "<", "a<", "</", "a</", "<a", "<a ", "<a b", "<a b=", `<a b="`, "<a b=c", "</a", "</a b", "</>", "</ >", "</1>",
		"<<a>", "a<1b<a>", "<a/>", "<a />", "<a b/>", "<a b=/>", "<a b=c/>", `<a b="c"/>`, "<a b='c'/>", "<a b=/ b/>",
		"<a B=/ b/>", "<a b=/ c/>", "<a =b>", "<a ==b>", "<a b = c >", "<a b\t=\n'c'\f>", "<a/b/c>", "<a//>", "<a/ >",
		"<br/><BR/>", "<P CLASS=x>t</P >", "<a b=c d='e' f=\"g\" h>", "<img src=x onerror=alert(1)//>",
		"<scrip>x</scrip>", "<SCRIPT>alert(1)</SCRIPT>", "<a><script/><b>", "<title>t</title>", "<tExTaReA><b></textarea>",
		"<noscript><img src=x></noscript>", "<plaintext><a>", "<xmp><a></xmp>", "<iframe><a></iframe>", "<style>a{}</style>",
		"<!-- c --><a>", "<!doctype html><a>", "<?xml?><a>", "<![CDATA[x]]><a>", "a\x00b<a\x00b c\x00=d>", "<a\r\nb=c>",
		"<a b=c>d</a>e<f g='h'>", strings.Repeat("<p a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 a=11/>", 3),
	)
	for seed := range 32 {
		seeds = append(seeds, fragment(uint64(seed)))
	}
	return seeds
}

// readAll reads every token of body with next, calling NextIsNotRawText
// after a <noscript> start tag when notRaw (the cleaner's two readings).
type tokenReader interface {
	Next() html.TokenType
	Raw() []byte
	NextIsNotRawText()
}

func readAll(z tokenReader, notRaw bool) []string {
	var out []string
	for {
		tt := z.Next()
		out = append(out, tt.String()+" "+strconv.Quote(string(z.Raw())))
		if tt == html.ErrorToken {
			return out
		}
		if notRaw && tt == html.StartTagToken && strings.EqualFold(tagName(z.Raw()), "noscript") {
			z.NextIsNotRawText()
		}
	}
}

func compareTokens(t *testing.T, body string) {
	t.Helper()
	for _, notRaw := range []bool{false, true} {
		want := readAll(html.NewTokenizer(strings.NewReader(body)), notRaw)
		got := readAll(newTokens(body), notRaw)
		// The Tokenizer's Raw at the end is whatever it read last.
		want, got = want[:len(want)-1], got[:len(got)-1]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("body %q (NextIsNotRawText %v):\n got %q\nwant %q", body, notRaw, got, want)
		}
	}
	z := newTokens(body)
	for z.Next() != html.ErrorToken {
		if s := z.RawString(); s != string(z.Raw()) {
			t.Fatalf("body %q: RawString %q, Raw %q", body, s, z.Raw())
		}
		if from, to := z.Span(); body[from:to] != string(z.Raw()) {
			t.Fatalf("body %q: Span %d:%d is %q, Raw %q", body, from, to, body[from:to], z.Raw())
		}
	}
}

// FuzzTokens holds tokens to html.Tokenizer: every token's type and raw
// bytes are the same, on any input.
func FuzzTokens(f *testing.F) {
	for _, s := range tokenSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		compareTokens(t, body)
	})
}

// TestTokensFastLane checks that the comparison above is not only of the
// Tokenizer with itself: plain markup is read without a Tokenizer, which
// reads only the tokens the fast lane leaves to it.
func TestTokensFastLane(t *testing.T) {
	cases := []struct {
		name, body string
		handOvers  int
		fastEnd    bool // the fast lane reads the end
	}{
		{"text and tags", `<p class="a">x<img src=y referrerpolicy=no-referrer/></p>`, 0, true},
		{"comments", `<p>x<!-- c --><b>y</b><!---->z<!-->a<!--->b<!-- --!>c`, 0, true},
		{"raw text", `<b><STYLE>a{}</StYlE >x<textarea></textarea ><title>a</title/><iframe>x</iframe>`, 0, true},
		{"raw text to the end", `<p><xmp><p></xmp`, 0, true},
		{"cut-off tag", `<p>x<a href="y`, 1, false},
		{"cut-off comment", `<p>x<!-- y`, 1, true},
		{"script", `<p>x</p><script>1</script><p>y</p>`, 1, true},
		{"empty script", `<script></script><p>`, 1, true},
		{"doctype", `<!DOCTYPE html><p>`, 1, true},
		{"end tag that is no tag", `a</ b>c<p>`, 1, true},
		// Each name is compared with those before it: more than
		// maxFastAttrs go to the Tokenizer, which keeps them in a map.
		{"many attributes", "<p>x</p><p" + manyAttrs(maxFastAttrs) + "/>y<p" + manyAttrs(maxFastAttrs+1) + " a1=/>z<b>", 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			compareTokens(t, c.body)
			z := newTokens(c.body)
			for z.Next() != html.ErrorToken {
			}
			if z.handOvers != c.handOvers || (z.z == nil) != c.fastEnd {
				t.Errorf("%d hand-overs, fast lane at the end %v; want %d, %v", z.handOvers, z.z == nil, c.handOvers, c.fastEnd)
			}
		})
	}
}

// manyAttrs is n distinct attributes and a duplicate of the first.
func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" a" + strconv.Itoa(i) + "=v")
	}
	return b.String() + " A0"
}
