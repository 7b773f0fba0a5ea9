package content

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microcosm-cc/bluemonday"
)

// benchBodies reads testdata/bench: twenty bodies shaped like Chinese news
// items (paragraphs, lazy images of WeChat, Sina and Zhihu, tables, links,
// scripts, iframes, styles).
func benchBodies(b *testing.B) ([]string, int64) {
	files, err := filepath.Glob("testdata/bench/*.html")
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
		bodies = append(bodies, string(data))
		size += int64(len(data))
	}
	return bodies, size
}

// BenchmarkClean measures Process over the corpus (MB/s of input).
func BenchmarkClean(b *testing.B) {
	bodies, size := benchBodies(b)
	opts := Options{ImageProxy: "https://images.weserv.nl/?url="}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, body := range bodies {
			Process(body, "https://news.example.cn/2022/01/28/1.html", opts)
		}
	}
}

// BenchmarkBluemondayUGC runs bluemonday's UGC policy over the same
// corpus, for comparison: a parse-and-rebuild sanitizer that keeps no byte
// as it was.
func BenchmarkBluemondayUGC(b *testing.B) {
	bodies, size := benchBodies(b)
	p := bluemonday.UGCPolicy()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, body := range bodies {
			p.Sanitize(body)
		}
	}
}

// TestBenchBodies keeps the bench corpus inside the invariants.
func TestBenchBodies(t *testing.T) {
	files, _ := filepath.Glob("testdata/bench/*.html")
	if len(files) < 20 {
		t.Fatalf("%d bench bodies, want 20", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, string(data), "https://news.example.cn/2022/01/28/1.html", Options{})
	}
}

// BenchmarkCleanSmall measures Process over a short RSSHub-shaped body (a
// paragraph and an image), where its fixed cost per call shows.
func BenchmarkCleanSmall(b *testing.B) {
	body := `<p><img src="https://img.example.com/1/2.jpg"></p><p>` + strings.Repeat("Some paragraph text of the article. ", 12) + `</p>`
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		Process(body, "https://example.com/route/1/2", Options{})
	}
}
