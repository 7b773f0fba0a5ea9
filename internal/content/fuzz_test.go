package content

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzProcess checks the invariants of every output: no panic, nothing
// that runs script (read as tokens and as a browser's tree), no blank
// line, Image is the output's first image, and a second pass changes
// nothing. The seeds (the XSS corpus and the golden inputs) run with every
// go test; go test -fuzz FuzzProcess searches further.
func FuzzProcess(f *testing.F) {
	for _, v := range readVectors(f) {
		f.Add(v, "https://news.example.com/a/1.html", 0)
	}
	files, _ := filepath.Glob("testdata/clean/*.html")
	for _, in := range files {
		if strings.HasSuffix(in, ".golden.html") {
			continue
		}
		body, link, _ := readCase(f, in)
		f.Add(body, link, 1)
	}
	f.Add("<svg><style><img src=x onerror=alert(1)>", "", 2)
	for seed := range 32 {
		f.Add(fragment(uint64(seed)), "https://news.example.com/a/1.html", seed)
	}
	f.Fuzz(func(t *testing.T, body, link string, policy int) {
		opts := Options{Style: Styles[uint(policy)%uint(len(Styles))]}
		if policy%2 == 1 {
			opts.ImageProxy = "https://proxy.example.net/?url="
		}
		checkOutput(t, body, link, opts)
	})
}
