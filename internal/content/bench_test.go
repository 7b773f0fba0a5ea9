package content

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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

// rssHubBodies are bodies shaped as bench/pipeline writes them (RSSHub's
// shape: a lead image with referrerpolicy, paragraphs of Chinese text
// with curly quotes, links, code with braces, more images without it).
func rssHubBodies(n int) []string {
	words := []string{"外交部", "发言人", "记者会", "经济", "数据", "发布", "增长", "市场", "企业", "科技", "创新",
		"政策", "会议", "合作", "项目", "研究", "报告", "国际", "地区", "发展", "投资", "消费"}
	rng := rand.New(rand.NewPCG(19, 2026))
	phrase := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	var bodies []string
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, `<img src="https://img.example.com/news/2026/12/%03d%04d.jpg" width="970px" height="374px" referrerpolicy="no-referrer">`, 7, i)
		for b.Len() < 5000 {
			switch rng.IntN(6) {
			case 0:
				fmt.Fprintf(&b, "\n<p><img src=\"https://img.example.com/news/2026/12/%03d%04d-%d.png\"></p>", 7, i, b.Len())
			case 1:
				fmt.Fprintf(&b, "\n<p>“%s，”%s说，<a href=\"https://news.example.com/s%03d/%d.shtml\" target=\"_blank\">%s</a>。</p>", phrase(8), phrase(2), 7, rng.IntN(1e6), phrase(3))
			case 2:
				fmt.Fprintf(&b, "\n<p>代码 <code>{\"id\": %d, \"tags\": {\"a\": 1}}</code> 与模板 {{ %s }}。</p>", rng.IntN(1e6), phrase(1))
			default:
				fmt.Fprintf(&b, "\n<p>\n%s，%s。%s“%s”%s。\n</p>", phrase(12), phrase(10), phrase(6), phrase(3), phrase(9))
			}
		}
		bodies = append(bodies, b.String())
	}
	return bodies
}

// BenchmarkCleanRSSHub measures Process over twenty bodies of
// bench/pipeline's shape, as feedmill run prepares them.
func BenchmarkCleanRSSHub(b *testing.B) {
	bodies := rssHubBodies(20)
	var size int64
	for _, body := range bodies {
		size += int64(len(body))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for i, body := range bodies {
			Process(body, "https://news.example.com/s007/2026_12_01_0001"+strconv.Itoa(i)+".shtml", Options{})
		}
	}
}
