package refresh_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
)

// rss builds an RSS 2.0 document; each item is title|guid|pubDate|body.
func rss(items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://news.example.com/</link>`)
	for _, it := range items {
		f := strings.SplitN(it, "|", 4)
		for len(f) < 4 {
			f = append(f, "")
		}
		b.WriteString("<item>")
		if f[0] != "" {
			fmt.Fprintf(&b, "<title><![CDATA[%s]]></title>", f[0])
		}
		if f[1] != "" {
			fmt.Fprintf(&b, "<guid>%s</guid><link>https://news.example.com/%s</link>", f[1], f[1])
		}
		if f[2] != "" {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", f[2])
		}
		if f[3] != "" {
			fmt.Fprintf(&b, "<description><![CDATA[%s]]></description>", f[3])
		}
		b.WriteString("</item>")
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

// feeds serves path → document, swappable during a test.
type feeds map[string]string

func (f feeds) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/slow":
			time.Sleep(3 * time.Second)
		default:
			doc, ok := f[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte(doc))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func source(srv *httptest.Server, channel, path string) feed.Source {
	return feed.Source{Group: "g", Name: "s", Channel: channel, URL: srv.URL + path}
}

// posts lists the post files under dir, relative, sorted.
func posts(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func readFrontMatter(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := strings.CutPrefix(string(data), "\n---\n")
	fm, _, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("%s: no front matter", path)
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(fm), &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestSecondRunTouchesNothing(t *testing.T) {
	f := feeds{"/a": rss("One|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>1</p>", "Two|2|Fri, 28 Jan 2022 11:30:43 GMT|<p>2</p>")}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	srcs := []feed.Source{source(srv, "c", "/a")}
	if res, err := r.Run(t.Context(), srcs, nil); err != nil || res[0].Posts != 2 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	before := map[string]time.Time{}
	old := time.Now().Add(-time.Hour)
	for _, p := range posts(t, out) {
		os.Chtimes(filepath.Join(out, p), old, old)
		before[p] = old
	}
	f["/a"] = rss("Three|3|Fri, 28 Jan 2022 12:30:43 GMT|<p>3</p>", "One|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>1</p>", "Two|2|Fri, 28 Jan 2022 11:30:43 GMT|<p>2</p>")
	res, err := r.Run(t.Context(), srcs, nil)
	if err != nil || res[0].Posts != 1 || res[0].New != 1 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	got := posts(t, out)
	if len(got) != 3 {
		t.Fatalf("files: %v", got)
	}
	for p, mt := range before {
		st, err := os.Stat(filepath.Join(out, p))
		if err != nil || !st.ModTime().Equal(mt) {
			t.Errorf("%s was touched: %v", p, err)
		}
	}
}

func TestDeletedPostStaysDeletedUntilRepublish(t *testing.T) {
	f := feeds{"/a": rss("One|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>1</p>")}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	srcs := []feed.Source{source(srv, "c", "/a")}
	r.Run(t.Context(), srcs, nil)
	path := filepath.Join(out, "g/s/c/One.md")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	r.Run(t.Context(), srcs, nil)
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a post deleted by hand was written again")
	}
	res, err := r.Republish(t.Context(), srcs, nil)
	if err != nil || res[0].Posts != 1 {
		t.Fatalf("republish: %+v %v", res, err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(want) {
		t.Errorf("republished post differs (random image must be stable): %v", err)
	}
}

func TestSameTitleGetsItsOwnFile(t *testing.T) {
	f := feeds{"/a": rss("Same|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>first</p>", "Same|2|Fri, 28 Jan 2022 11:30:43 GMT|<p>second</p>")}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	srcs := []feed.Source{source(srv, "c", "/a")}
	r.Run(t.Context(), srcs, nil)
	r.Run(t.Context(), srcs, nil)
	got := posts(t, out)
	if strings.Join(got, ",") != "g/s/c/Same-2.md,g/s/c/Same.md" {
		t.Fatalf("files: %v", got)
	}
	first, _ := os.ReadFile(filepath.Join(out, "g/s/c/Same.md"))
	second, _ := os.ReadFile(filepath.Join(out, "g/s/c/Same-2.md"))
	if !strings.Contains(string(first), "first") || !strings.Contains(string(second), "second") {
		t.Errorf("the older item should own the plain name")
	}
}

func TestHostileTitlesStayInTheirFolder(t *testing.T) {
	long := strings.Repeat("很长的标题", 40)
	f := feeds{"/a": rss("../../x|1||<p>1</p>", "..|2||<p>2</p>", long+"|3||<p>3</p>", "a/b\\c|4||<p>4</p>")}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	res, err := r.Run(t.Context(), []feed.Source{source(srv, "c", "/a")}, nil)
	if err != nil || res[0].Err != nil || res[0].Posts != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, p := range posts(t, out) {
		if filepath.Dir(p) != "g/s/c" {
			t.Errorf("%s left its channel folder", p)
		}
		if len(filepath.Base(p)) > 255 {
			t.Errorf("%s: name too long", p)
		}
		readFrontMatter(t, filepath.Join(out, p))
	}
}

func TestFailingSourcesDoNotStopOthers(t *testing.T) {
	f := feeds{
		"/ok":    rss("Good|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>1</p>"),
		"/html":  "<!DOCTYPE html><html><body>not a feed</body></html>",
		"/empty": "",
		"/bad":   "<rss><channel><item><title>x",
	}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	r.Fetch = fetch.New(fetch.Options{Timeout: 500 * time.Millisecond, MaxBytes: 1 << 20, UserAgent: "test"})
	srcs := []feed.Source{
		source(srv, "404", "/404"), source(srv, "500", "/500"), source(srv, "slow", "/slow"),
		source(srv, "html", "/html"), source(srv, "empty", "/empty"), source(srv, "ok", "/ok"),
		{Group: "g", Name: "s", Channel: "refused", URL: "http://127.0.0.1:1/feed"},
	}
	res, err := r.Run(t.Context(), srcs, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := map[string]string{"404": "404", "500": "500", "slow": "timed out", "html": "HTML page", "empty": "empty", "refused": "refused"}
	for _, x := range res {
		want, failing := wantErr[x.Source.Channel]
		switch {
		case failing && (x.Err == nil || !strings.Contains(x.Err.Error(), want)):
			t.Errorf("%s: err = %v, want one naming %q", x.Source.Channel, x.Err, want)
		case !failing && x.Err != nil:
			t.Errorf("%s: %v", x.Source.Channel, x.Err)
		}
	}
	if got := posts(t, out); len(got) != 1 || got[0] != "g/s/ok/Good.md" {
		t.Errorf("posts: %v", got)
	}
	rows, _ := r.Store.Sources(t.Context())
	for _, row := range rows {
		if strings.HasSuffix(row.Key, "/ok") != (row.LastError == "") {
			t.Errorf("%s: last error %q", row.Key, row.LastError)
		}
	}
}

func TestSparseItemsMakeSensiblePosts(t *testing.T) {
	f := feeds{"/a": `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><description><![CDATA[<p>只有正文的条目</p>]]></description></item>
<item><title>No body</title><link>https://news.example.com/nb</link></item>
<item><title>Bad date</title><guid>bd</guid><pubDate>Invalid Date</pubDate><description>x</description></item>
</channel></rss>`}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	seen := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return seen }
	res, err := r.Run(t.Context(), []feed.Source{source(srv, "c", "/a")}, nil)
	if err != nil || res[0].Err != nil || res[0].Posts != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, p := range posts(t, out) {
		fm := readFrontMatter(t, filepath.Join(out, p))
		if fm["date"] != "Fri, 27 Nov 2026 08:00:00 GMT" {
			t.Errorf("%s: date %v, want the first-seen time", p, fm["date"])
		}
		if img, _ := fm["headimg"].(string); !strings.HasPrefix(img, "https://picsum.photos/400/300?random=") || fm["thumbnail"] != img {
			t.Errorf("%s: headimg %v thumbnail %v", p, fm["headimg"], fm["thumbnail"])
		}
	}
}

func TestMaxItemsKeepsNewest(t *testing.T) {
	f := feeds{"/a": rss(
		"Mid|2|Fri, 28 Jan 2022 11:00:00 GMT|x",
		"Newest|3|Fri, 28 Jan 2022 12:00:00 GMT|x",
		"Oldest|1|Fri, 28 Jan 2022 10:00:00 GMT|x",
	)}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	src := source(srv, "c", "/a")
	src.MaxItems = 2
	r.Run(t.Context(), []feed.Source{src}, nil)
	if got := strings.Join(posts(t, out), ","); got != "g/s/c/Mid.md,g/s/c/Newest.md" {
		t.Errorf("posts: %s", got)
	}
}

// A file the old system wrote for the same item is adopted, not duplicated
// or rewritten; a different file of the same name is never overwritten.
func TestExistingFiles(t *testing.T) {
	golden, err := os.ReadFile("../../testdata/golden/guancha-headline.md")
	if err != nil {
		t.Fatal(err)
	}
	xml, err := os.ReadFile("../../testdata/golden/guancha-headline.xml")
	if err != nil {
		t.Fatal(err)
	}
	f := feeds{"/guancha": string(xml), "/b": rss("Foreign|f|Fri, 28 Jan 2022 10:30:43 GMT|<p>feed</p>")}
	srv := f.serve(t)
	out := t.TempDir()
	oldPost := filepath.Join(out, "新媒体/观察者网/头条/美方书面拒绝_不东扩红线_，德法俄乌巴黎会谈8小时.md")
	os.MkdirAll(filepath.Dir(oldPost), 0o755)
	// The old system's post, with another random image: adopted as it is.
	edited := strings.ReplaceAll(string(golden), "https://i.guancha.cn/news/2022/01/28/20220128100207298.jpg'", "https://picsum.photos/400/300?random=7'")
	os.WriteFile(oldPost, []byte(edited), 0o644)
	foreign := filepath.Join(out, "g/s/c/Foreign.md")
	os.MkdirAll(filepath.Dir(foreign), 0o755)
	os.WriteFile(foreign, []byte("my own post"), 0o644)

	r := newRunner(t, out)
	srcs := []feed.Source{
		{Group: "新媒体", Name: "观察者网", Channel: "头条", URL: srv.URL + "/guancha"},
		source(srv, "c", "/b"),
	}
	if _, err := r.Run(t.Context(), srcs, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(oldPost); string(got) != edited {
		t.Error("the old system's post was rewritten")
	}
	if got, _ := os.ReadFile(foreign); string(got) != "my own post" {
		t.Error("a file feedmill did not write was overwritten")
	}
	if got := strings.Join(posts(t, out), ","); !strings.Contains(got, "g/s/c/Foreign-2.md") || strings.Count(got, "头条/") != 1 {
		t.Errorf("posts: %s", got)
	}
}

// Hexo skips files whose name starts with "_" and drops those whose name
// holds a bare "%": a title starting with “ gets a name starting with
// "＿" instead. The old system's post of the same item under the name
// Hexo never showed is moved to the new name and adopted, so that the
// folder holds the post once; a different post under such a name stays.
func TestPostsHexoWouldHide(t *testing.T) {
	items := []string{
		"“元宇宙”概念股持续活跃|meta|Fri, 28 Jan 2022 10:30:43 GMT|<p>a</p>",
		"[视频]今日要闻|video|Fri, 28 Jan 2022 11:30:43 GMT|<p>b</p>",
		"增长5%，好于预期|pct|Fri, 28 Jan 2022 12:30:43 GMT|<p>c</p>",
		"<不是同一篇>|other|Fri, 28 Jan 2022 13:30:43 GMT|<p>d</p>",
	}
	f := feeds{"/a": rss(items...)}
	srv := f.serve(t)

	// What feedmill writes: names Hexo shows.
	fresh := t.TempDir()
	if _, err := newRunner(t, fresh).Run(t.Context(), []feed.Source{source(srv, "c", "/a")}, nil); err != nil {
		t.Fatal(err)
	}
	want := "g/s/c/增长5％，好于预期.md,g/s/c/＿不是同一篇_.md,g/s/c/＿元宇宙_概念股持续活跃.md,g/s/c/＿视频_今日要闻.md"
	if got := strings.Join(posts(t, fresh), ","); got != want {
		t.Errorf("posts:\n%s\nwant\n%s", got, want)
	}

	// The old system's folder: the same posts under the names it gave
	// them, and another post under the name the last item would have.
	out := t.TempDir()
	dir := filepath.Join(out, "g/s/c")
	os.MkdirAll(dir, 0o755)
	old := map[string]string{"＿元宇宙_概念股持续活跃.md": "_元宇宙_概念股持续活跃.md", "＿视频_今日要闻.md": "_视频_今日要闻.md", "增长5％，好于预期.md": "增长5%，好于预期.md"}
	for name, oldName := range old {
		data, err := os.ReadFile(filepath.Join(fresh, "g/s/c", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, oldName), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "_不是同一篇_.md"), []byte("\n---\ntitle: '别的'\ndate: Fri, 28 Jan 2022 13:30:43 GMT\n---\n"), 0o644)

	res, err := newRunner(t, out).Run(t.Context(), []feed.Source{source(srv, "c", "/a")}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if res[0].Posts != 1 {
		t.Errorf("%d posts written, want 1 (the other three are the old system's, moved)", res[0].Posts)
	}
	want = "g/s/c/_不是同一篇_.md,g/s/c/增长5％，好于预期.md,g/s/c/＿不是同一篇_.md,g/s/c/＿元宇宙_概念股持续活跃.md,g/s/c/＿视频_今日要闻.md"
	if got := strings.Join(posts(t, out), ","); got != want {
		t.Errorf("posts:\n%s\nwant\n%s", got, want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "_不是同一篇_.md")); !strings.Contains(string(got), "别的") {
		t.Error("another post under a hidden name was changed")
	}
}
