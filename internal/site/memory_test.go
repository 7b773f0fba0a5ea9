package site_test

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// bigBody is an item body of about size bytes: Chinese paragraphs and an
// image every twenty.
func bigBody(size, seed int) string {
	const para = "<p>新华社北京电 记者从有关部门获悉，相关工作正在有序推进，市场信心有望进一步增强。国家统计局数据显示，一季度全国规模以上工业增加值同比增长。</p>\n"
	var b strings.Builder
	b.Grow(size + 512)
	for k := 0; b.Len() < size; k++ {
		if k%20 == 0 {
			fmt.Fprintf(&b, `<p><img src="https://img.example.cn/news/%d/%d.jpg" alt="图"></p>`+"\n", seed, k)
		} else {
			b.WriteString(para)
		}
	}
	return b.String()
}

// maxBuildRSS is the memory the README promises a build stays under.
const maxBuildRSS = 300 << 20

// A few huge item bodies (feeds may be 20 MiB) must not take a build past
// the README's bound: eight bodies of 14 MiB, each in several lists and
// their feeds, built in a child process as feedmill build runs it (the
// same soft memory limit); its peak RSS is the figure. Before the bodies
// in flight and the feeds' share of a body were bounded, this took 805 MB.
func TestBigBodiesKeepTheBuildSmall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the child's peak RSS as Linux reports it")
	}
	if testing.Short() {
		t.Skip("writes 112 MiB of bodies")
	}
	f := newFixture(t, "")
	for i := range 8 {
		items := []feed.Item{{GUID: fmt.Sprintf("big-%d", i), Link: fmt.Sprintf("https://news.example/big/%d.html", i),
			Title: fmt.Sprintf("长文 %d", i), Content: bigBody(14<<20, i), Published: f.now.Add(-time.Duration(i) * time.Minute)}}
		if _, err := f.st.InsertItems(t.Context(), f.ids[i%len(f.ids)], items, 0, nil, f.now); err != nil {
			t.Fatal(err)
		}
	}
	f.add(t, 0, 30, -time.Hour, "a")
	f.st.Close()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBuildChild$", "-test.v")
	cmd.Env = append(os.Environ(), "FEEDMILL_BUILD_CHILD_STORE="+f.path, "FEEDMILL_BUILD_CHILD_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child built") {
		t.Fatalf("child build: %v\n%s", err, out)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("peak RSS of the build: %d MB", rss/1e6)
	if rss > maxBuildRSS {
		t.Errorf("the build's peak RSS is %d MB, over the %d MiB bound", rss/1e6, maxBuildRSS>>20)
	}
	// Every post page has its whole body; the feeds carry the start of
	// each big one and a link to its post.
	var rss2 struct {
		Items []struct {
			Link        string `xml:"link"`
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal([]byte(read(t, dir, "feed.xml")), &rss2); err != nil {
		t.Fatal(err)
	}
	big := 0
	for _, it := range rss2.Items {
		post := read(t, dir, strings.TrimPrefix(it.Link, "/"))
		if !strings.Contains(it.Description, "阅读全文") {
			continue
		}
		big++
		if len(it.Description) > 140<<10 || len(post) < 14<<20 || !strings.Contains(it.Description, `<a href="`+it.Link+`">阅读全文</a>`) {
			t.Errorf("%s: a feed body of %d bytes, a post page of %d", it.Link, len(it.Description), len(post))
		}
	}
	if big != 8 {
		t.Errorf("%d big items in the feed, want 8", big)
	}
}

// TestBuildChild is the child process of TestBigBodiesKeepTheBuildSmall.
func TestBuildChild(t *testing.T) {
	path := os.Getenv("FEEDMILL_BUILD_CHILD_STORE")
	if path == "" {
		t.Skip("run by TestBigBodiesKeepTheBuildSmall")
	}
	debug.SetMemoryLimit(224 << 20) // as feedmill build sets it
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := os.Getenv("FEEDMILL_BUILD_CHILD_DIR")
	if _, err := site.Build(t.Context(), st, site.Config{Dir: dir}, site.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "feed.xml")); err != nil {
		t.Fatal(err)
	}
	fmt.Println("child built")
}
