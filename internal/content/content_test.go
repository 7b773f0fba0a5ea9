package content

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
)

var update = flag.Bool("update", false, "rewrite testdata/clean/*.golden.html")

// readCase reads a testdata/clean input. Its first line may be a
// directive, "<!-- test: link=URL proxy=PREFIX style=S base=URL
// enclosure=TYPE|URL ... -->", which is not part of the body.
func readCase(t testing.TB, path string) (body, link string, opts Options) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body = string(data)
	first, rest, _ := strings.Cut(body, "\n")
	d, ok := strings.CutPrefix(strings.TrimSuffix(first, "\r"), "<!-- test:")
	if !ok {
		return body, "", opts
	}
	for _, kv := range strings.Fields(strings.TrimSuffix(d, "-->")) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "link":
			link = v
		case "proxy":
			opts.ImageProxy = v
		case "style":
			opts.Style = Style(v)
		case "base":
			opts.BaseURL = v
		case "enclosure":
			typ, u, _ := strings.Cut(v, "|")
			opts.Enclosures = append(opts.Enclosures, feed.Enclosure{Type: typ, URL: u})
		default:
			t.Fatalf("%s: unknown directive %q", path, k)
		}
	}
	return rest, link, opts
}

// TestGolden runs every testdata/clean/NAME.html through Process and
// compares with NAME.golden.html (go test -update rewrites those).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/clean/*.html")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range files {
		if strings.HasSuffix(in, ".golden.html") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			body, link, opts := readCase(t, in)
			res := checkOutput(t, body, link, opts)
			golden := strings.TrimSuffix(in, ".html") + ".golden.html"
			got := res.HTML
			if res.Image != "" {
				// The headimg is part of what is checked.
				got = "<!-- image: " + res.Image + " -->\n" + got
			}
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", name, golden, lineDiff(string(want), got))
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d cases", n)
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 5; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + ":\n- " + wl + "\n+ " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestUnchanged: bodies that need no change come out byte for byte.
func TestUnchanged(t *testing.T) {
	body, link, opts := readCase(t, "testdata/clean/guancha-unchanged.html")
	if got := Process(body, link, opts); got.HTML != body {
		t.Errorf("the guancha body changed:\n%s", lineDiff(body, got.HTML))
	}
	for _, s := range []string{
		"",
		"纯文本，没有标签。",
		"<p>段落</p>\n<p>第二段</p>\n",
		`<p><a href="https://a.example/x?y=1&amp;z=2" target="_blank">链接</a></p>`,
		`<img src="https://a.example/1.jpg" referrerpolicy="no-referrer">`,
		"<pre>\ncode\n</pre>",
		"<table><tr><td>1</td></tr></table>",
		"<!-- comment -->",
		"a < b && c > d",
	} {
		if got := Process(s, "https://a.example/post", Options{}).HTML; got != s {
			t.Errorf("Process(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestImage(t *testing.T) {
	for _, tc := range []struct {
		name, body, link string
		opts             Options
		want             string
	}{
		{"first", `<img src="https://a/1.jpg"><img src="https://a/2.jpg">`, "", Options{}, "https://a/1.jpg"},
		{"none", `<p>无图</p>`, "", Options{}, ""},
		{"lazy", `<img src="data:image/gif;base64,R0lG" data-src="/1.jpg">`, "https://a.example/p", Options{}, "https://a.example/1.jpg"},
		{"relative", `<img src="2.jpg">`, "https://a.example/d/p.html", Options{}, "https://a.example/d/2.jpg"},
		{"proxied", `<img src="http://a.example/3.jpg">`, "", Options{ImageProxy: "https://p.example/?u="}, "https://p.example/?u=http://a.example/3.jpg"},
		{"script url skipped", `<img src="javascript:x"><img src="https://a/4.jpg">`, "", Options{}, "https://a/4.jpg"},
		{"enclosure when no image", `<p>文</p>`, "", Options{Enclosures: []feed.Enclosure{{URL: "https://a/5.jpg", Type: "image/jpeg"}}}, "https://a/5.jpg"},
		{"body image first", `<img src="https://a/6.jpg">`, "", Options{Enclosures: []feed.Enclosure{{URL: "https://a/7.jpg", Type: "image/jpeg"}}}, "https://a/6.jpg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Process(tc.body, tc.link, tc.opts).Image; got != tc.want {
				t.Errorf("Image = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	got := Process(`<a href="b.html">b</a>`, "https://a.example/x/post.html", Options{BaseURL: "/other/"}).HTML
	if want := `<a href="https://a.example/other/b.html">b</a>`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestBalanced(t *testing.T) {
	for _, tc := range []struct {
		css  string
		want bool
	}{
		{"p{color:red}", true},
		{"@media (max-width:600px){p{margin:0}}", true},
		{"}body{display:none}", false},
		{"p{color:red", false},
		{`p::after{content:"}"}`, true},
		{`p::after{content:"}}`, false},
		{`p{background:url(a}b.png)}`, false},
		{`p{background:url("a}b.png")}`, true},
		{`/* } */p{}`, true},
		{`/* } p{}`, false},
		{`.a\}{color:red}`, true},
	} {
		if got := balanced(tc.css); got != tc.want {
			t.Errorf("balanced(%q) = %v, want %v", tc.css, got, tc.want)
		}
	}
}

// TestVersionFollowsOutput: when the golden outputs change, Version must
// go up, or a body prepared and kept by an older feedmill (the store
// keeps them for the site) would pass for this one's. testdata/VERSION
// records the version and a hash of the goldens it produced; go test
// -update records a new version's hash.
func TestVersionFollowsOutput(t *testing.T) {
	files, err := filepath.Glob("testdata/clean/*.golden.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(data))
		h.Write(data)
	}
	got := fmt.Sprintf("%d %x\n", Version, h.Sum(nil))
	const path = "testdata/VERSION"
	want, err := os.ReadFile(path)
	if err != nil && !*update {
		t.Fatal(err)
	}
	recorded, _, _ := strings.Cut(string(want), " ")
	switch {
	case got == string(want):
	case recorded == itoa(Version):
		t.Fatalf("the golden outputs changed but content.Version is still %d: raise it, then run go test -update", Version)
	case *update:
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("content.Version is %d, %s records %s: run go test -update", Version, path, recorded)
	}
}

// TestOutputsStayWhole processes every golden input, the changed and the
// unchanged interleaved, and only then compares the outputs: a writer's
// buffer reused for a later body (see spare) while an earlier output is
// that buffer would show here as an earlier output overwritten.
func TestOutputsStayWhole(t *testing.T) {
	files, _ := filepath.Glob("testdata/clean/*.html")
	type result struct{ golden, got string }
	var results []result
	for _, in := range files {
		if strings.HasSuffix(in, ".golden.html") {
			continue
		}
		body, link, opts := readCase(t, in)
		for range 2 { // each twice: the second sees the first's spare writer
			res := Process(body, link, opts)
			got := res.HTML
			if res.Image != "" {
				got = "<!-- image: " + res.Image + " -->\n" + got
			}
			results = append(results, result{strings.TrimSuffix(in, ".html") + ".golden.html", got})
		}
	}
	if len(results) < 20 {
		t.Fatalf("%d outputs", len(results))
	}
	for _, r := range results {
		want, err := os.ReadFile(r.golden)
		if err != nil {
			t.Fatal(err)
		}
		if r.got != string(want) {
			t.Errorf("%s: an output changed after later bodies were processed", r.golden)
		}
	}
}

// A body is not written into a spare writer far larger than it needs: a
// changed body keeps that buffer for as long as it is held.
func TestSmallBodyLeavesLargeSpare(t *testing.T) {
	b := make([]byte, 0, maxSpare)
	spare.Put(&b)
	const size = 1000
	w := newWriter(strings.Repeat("x", size))
	w.writeString("<", false)
	if need := size + size/16 + 64; cap(w.b) > 2*need {
		t.Errorf("a body of %d bytes got a buffer of %d", size, cap(w.b))
	}
}
