package refresh_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/refresh"
)

// testItem is an item of a served test feed.
type testItem struct {
	n    int
	date time.Time
}

func (it testItem) title() string { return fmt.Sprintf("第%d条新闻", it.n) }

// feedHost serves one RSS feed whose items the test changes between runs.
type feedHost struct {
	mu    sync.Mutex
	items []testItem
	srv   *httptest.Server
}

func newFeedHost(t *testing.T, items ...testItem) *feedHost {
	h := &feedHost{items: items}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://news.example/</link>`)
		for _, it := range slices.Backward(h.items) { // newest first, as feeds list
			fmt.Fprintf(&b, `<item><title>%s</title><link>https://news.example/%d</link><guid>https://news.example/%d</guid><pubDate>%s</pubDate><description><![CDATA[<p>正文 %d</p>]]></description></item>`,
				it.title(), it.n, it.n, it.date.UTC().Format(time.RFC1123Z), it.n)
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *feedHost) set(items ...testItem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.items = items
}

func (h *feedHost) source(keep feed.Retention) feed.Source {
	return feed.Source{Group: "新闻", Name: "示例", Channel: "要闻", URL: h.srv.URL + "/feed", Retain: keep}
}

// days returns items 1..n dated a day apart, the last a day before now.
func days(now time.Time, from, to int) []testItem {
	var out []testItem
	for n := from; n <= to; n++ {
		out = append(out, testItem{n: n, date: now.Add(-time.Duration(to-n+1) * 24 * time.Hour)})
	}
	return out
}

func runOnce(t *testing.T, r *refresh.Runner, src feed.Source) refresh.Result {
	t.Helper()
	results, err := r.Run(t.Context(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil {
		t.Fatalf("run: %v", results[0].Err)
	}
	return results[0]
}

// postFiles lists the .md files of the channel folder by title number.
func postFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func names(ns ...int) []string {
	var out []string
	for _, n := range ns {
		out = append(out, testItem{n: n}.title()+".md")
	}
	slices.Sort(out)
	return out
}

func checkCounts(t *testing.T, res refresh.Result, posts, retired, removed, left int) {
	t.Helper()
	if res.Posts != posts || res.Retired != retired || res.Removed != removed || res.Left != left {
		t.Errorf("posts/retired/removed/left = %d/%d/%d/%d, want %d/%d/%d/%d",
			res.Posts, res.Retired, res.Removed, res.Left, posts, retired, removed, left)
	}
}

func TestKeepCountRetiresOldestPosts(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out := t.TempDir()
	r := newRunner(t, out)
	r.Now = func() time.Time { return now }
	channel := filepath.Join(out, "新闻", "示例", "要闻")
	host := newFeedHost(t, days(now, 1, 5)...)
	src := host.source(feed.Retention{Count: 3})

	// The two oldest are beyond keep from the start: never written.
	checkCounts(t, runOnce(t, r, src), 3, 2, 0, 0)
	if got, want := postFiles(t, channel), names(3, 4, 5); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}

	// Two newer items push the two oldest posts out, files and all.
	host.set(days(now, 1, 7)...)
	checkCounts(t, runOnce(t, r, src), 2, 2, 2, 0)
	if got, want := postFiles(t, channel), names(5, 6, 7); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}

	// Retired items stay known: the feed still lists them, and neither a
	// run nor a republish brings them back.
	checkCounts(t, runOnce(t, r, src), 0, 0, 0, 0)
	results, err := r.Republish(t.Context(), []feed.Source{src}, nil)
	if err != nil || results[0].Err != nil {
		t.Fatal(err, results[0].Err)
	}
	if got, want := postFiles(t, channel), names(5, 6, 7); !slices.Equal(got, want) {
		t.Fatalf("after republish files = %q, want %q", got, want)
	}
	// Without keep nothing more is retired, and nothing comes back.
	checkCounts(t, runOnce(t, r, host.source(feed.Retention{})), 0, 0, 0, 0)
	if got, want := postFiles(t, channel), names(5, 6, 7); !slices.Equal(got, want) {
		t.Fatalf("without keep files = %q, want %q", got, want)
	}
}

func TestKeepAgeRetiresOldPosts(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out := t.TempDir()
	r := newRunner(t, out)
	r.Now = func() time.Time { return now }
	channel := filepath.Join(out, "新闻", "示例", "要闻")
	host := newFeedHost(t,
		testItem{1, now.Add(-40 * 24 * time.Hour)},
		testItem{2, now.Add(-20 * 24 * time.Hour)},
		testItem{3, now.Add(-1 * time.Hour)},
	)
	src := host.source(feed.Retention{Age: 30 * 24 * time.Hour})
	checkCounts(t, runOnce(t, r, src), 2, 1, 0, 0)
	if got, want := postFiles(t, channel), names(2, 3); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
	// Fifteen days on, item 2 is 35 days old.
	now = now.Add(15 * 24 * time.Hour)
	checkCounts(t, runOnce(t, r, src), 0, 1, 1, 0)
	if got, want := postFiles(t, channel), names(3); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
}

// Retention deletes only files feedmill wrote and nobody changed: a post
// the user edited, a post of the old system that feedmill adopted, and a
// file that is no post at all all stay.
func TestKeepNeverDeletesFilesFeedmillDidNotWrite(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out := t.TempDir()
	r := newRunner(t, out)
	r.Now = func() time.Time { return now }
	channel := filepath.Join(out, "新闻", "示例", "要闻")
	items := days(now, 1, 5)
	host := newFeedHost(t, items...)

	// Item 5's post is already there, as the old system wrote it: same
	// title and date, another picsum number and an extra line. feedmill
	// adopts it and never writes it.
	if err := os.MkdirAll(channel, 0o755); err != nil {
		t.Fatal(err)
	}
	old := hexo.Render(publish.Post{
		Title: items[4].title(), Categories: []string{"新闻", "示例", "要闻"}, Author: "示例",
		Date: items[4].date, RandomN: 12345, Body: "<p>正文 5</p>\n<p>旧系统写的</p>",
	})
	oldPath := filepath.Join(channel, names(5)[0])
	write := func(path string, data []byte) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(oldPath, old)
	notes := filepath.Join(channel, "notes.md")
	write(notes, []byte("my own notes"))

	checkCounts(t, runOnce(t, r, host.source(feed.Retention{})), 4, 0, 0, 0)

	// The user edits item 2's post, and deletes item 3's.
	edited := filepath.Join(channel, names(2)[0])
	data, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	write(edited, append(data, "\n<!-- my note -->"...))
	if err := os.Remove(filepath.Join(channel, names(3)[0])); err != nil {
		t.Fatal(err)
	}

	// keep 1 with a new item 6: items 1 to 5 are retired. Only 1 and 4
	// are feedmill's own, untouched files.
	host.set(days(now, 1, 6)...)
	checkCounts(t, runOnce(t, r, host.source(feed.Retention{Count: 1})), 1, 5, 2, 2)
	want := append(names(2, 5, 6), "notes.md")
	slices.Sort(want)
	if got := postFiles(t, channel); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
	for path, data := range map[string][]byte{oldPath: old, notes: []byte("my own notes")} {
		if got, _ := os.ReadFile(path); string(got) != string(data) {
			t.Errorf("%s changed", filepath.Base(path))
		}
	}
	// The files left behind are not the site's any more: later runs leave
	// them alone and never count them again.
	checkCounts(t, runOnce(t, r, host.source(feed.Retention{Count: 1})), 0, 0, 0, 0)
}
