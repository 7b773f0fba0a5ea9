//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	crashSources = 40
	crashItems   = 20
	crashKills   = 20
)

// crashFeeds serves crashSources feeds of crashItems items each, slowly,
// with ETags. Every item's body carries a marker naming it; some items
// share a title, so that their posts need suffixed names.
func crashFeeds(t *testing.T, seed uint64) *httptest.Server {
	t.Helper()
	var feeds [crashSources][]byte
	for s := range crashSources {
		var b bytes.Buffer
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title><link>https://example.com/%d</link>`, s, s)
		for i := range crashItems {
			title := fmt.Sprintf("第%d号新闻 %d: 标题/测试?", s, i)
			if i%7 == 1 {
				title = fmt.Sprintf("第%d号新闻 %d: 标题/测试?", s, i-1) // the title of the item before
			}
			fmt.Fprintf(&b, `<item><title>%s</title><guid>s%d-i%d</guid><link>https://example.com/%d/%d</link><pubDate>%s</pubDate>`+
				`<description><![CDATA[<p>ITEM-%d-%d</p><p>%s</p>]]></description></item>`,
				title, s, i, s, i, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s*crashItems+i)*time.Minute).Format(time.RFC1123Z),
				s, i, strings.Repeat("正文 ", 200))
		}
		b.WriteString(`</channel></rss>`)
		feeds[s] = b.Bytes()
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 1))
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d", &s); err != nil || s < 0 || s >= crashSources {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"feed-%d"`, s)
		unchanged := r.Header.Get("If-None-Match") == etag
		mu.Lock()
		delay := time.Duration(20+rng.IntN(100)) * time.Millisecond
		mu.Unlock()
		if unchanged {
			delay = 2 * time.Millisecond // a 304 costs the server little
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if unchanged {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(feeds[s])
	}))
}

// A run killed at any moment and run again publishes every item exactly
// once: no item lost, none twice, no temp file left, no partial post.
func TestCrashSafety(t *testing.T) {
	bin := binary(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	srv := crashFeeds(t, seed)
	defer srv.Close()

	dir := crashDir(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "rsshub: %s\nstore: feedmill.db\noutput:\n  dir: posts\nconcurrency: 2\nsources:\n", srv.URL)
	for s := range crashSources {
		fmt.Fprintf(&cfg, "  - {group: 组%d, source: 来源, channel: 频道%d, url: /feed/%d}\n", s%4, s, s)
	}
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// Each run is killed within its first maxKillAt: while it starts, opens
	// the store, fetches, or writes posts (the writer starts with the
	// first fetched feed). With two fetches at a time and 20-120 ms a
	// feed, the whole job takes about 1.5 s, and each run gets a few
	// feeds further than the last, so the kills fall all along it.
	const maxKillAt = 500 * time.Millisecond
	finished := 0
	var progress []string
	for k := range crashKills {
		cmd := exec.Command(bin, "run", "--config", cfgPath)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		at := time.Duration(rng.Int64N(int64(maxKillAt)))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			finished++
			if err != nil {
				t.Fatalf("run %d ended before its kill: %v\n%s", k+1, err, tail(out.Bytes()))
			}
		case <-time.After(at):
			cmd.Process.Kill() // SIGKILL: no chance to clean up
			<-done
		}
		progress = append(progress, fmt.Sprintf("%v:%d", at.Round(time.Millisecond), countPosts(filepath.Join(dir, "posts"))))
	}
	t.Logf("%d of %d runs finished before their kill; kill time:posts so far = %s", finished, crashKills, strings.Join(progress, " "))

	out, err := exec.Command(bin, "run", "--config", cfgPath).CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, tail(out))
	}
	checkPublishedOnce(t, filepath.Join(dir, "posts"))
}

// crashDir is the test's folder: on tmpfs when there is one. A SIGKILL
// loses nothing the process handed to the kernel, so fsync plays no part
// in what this test checks, and on tmpfs it costs nothing (on this
// project's CI disk a file plus folder fsync is ~12 ms a post, which would
// make the 800 posts take 10 s).
func crashDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "feedmill-crash-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

func countPosts(root string) int {
	n := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			n++
		}
		return nil
	})
	return n
}

var markerRE = regexp.MustCompile(`ITEM-(\d+)-(\d+)`)

func checkPublishedOnce(t *testing.T, root string) {
	t.Helper()
	seen := map[string][]string{}
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("temp file left: %s", rel)
			return nil
		}
		if !strings.HasSuffix(p, ".md") {
			t.Errorf("not a post: %s", rel)
			return nil
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		post := string(data)
		fm, body, ok := strings.Cut(strings.TrimPrefix(post, "\n---\n"), "\n---\n")
		if !strings.HasPrefix(post, "\n---\ntitle: ") || !ok || !strings.HasSuffix(body, "</div>\n            ") {
			t.Errorf("partial or malformed post %s: %q", rel, post[:min(len(post), 120)])
			return nil
		}
		for _, field := range []string{"title: ", "categories: ", "date: ", "author: "} {
			if !strings.Contains(fm, "\n"+field) && !strings.HasPrefix(fm, field) {
				t.Errorf("%s: front matter has no %s", rel, field)
			}
		}
		m := markerRE.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: no item marker", rel)
			return nil
		}
		seen[m[0]] = append(seen[m[0]], rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for s := range crashSources {
		for i := range crashItems {
			key := fmt.Sprintf("ITEM-%d-%d", s, i)
			switch n := len(seen[key]); {
			case n == 0:
				t.Errorf("item %d of feed %d was never published", i, s)
			case n > 1:
				t.Errorf("item %d of feed %d was published %d times: %v", i, s, n, seen[key])
			}
		}
	}
	if want := crashSources * crashItems; files != want {
		t.Errorf("%d files, want %d", files, want)
	}
}

// tail is the end of a command's output, for messages.
func tail(out []byte) string {
	const n = 2000
	if len(out) > n {
		return "…" + string(out[len(out)-n:])
	}
	return string(out)
}
