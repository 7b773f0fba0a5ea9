package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"help"}, 0, "run", ""},
		{[]string{"run", "--help"}, 0, "--republish", ""},
		{[]string{"version"}, 0, "feedmill ", ""},
		{[]string{"--version"}, 0, "feedmill ", ""},
		{nil, 2, "", "Usage:"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"run", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{[]string{"run", "extra"}, 2, "", `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d stdout %q stderr %q", code, out, errOut)
			}
			if strings.Contains(errOut, "goroutine ") {
				t.Error("stack trace printed")
			}
		})
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadConfigExits2(t *testing.T) {
	path := writeConfig(t, "sources:\n  - group: g\n    source: s\n    url: https://x.example.com/feed\n")
	code, _, errOut := runCLI(t, "run", "--config", path)
	if code != 2 || !strings.Contains(errOut, path+":2:5: sources[0].channel: missing") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// An interval that would hammer a site is refused, by run and serve.
	path = writeConfig(t, "interval: 1ms\nsources:\n  - {group: g, source: s, channel: c, url: https://example.com/feed}\n")
	for _, cmd := range []string{"run", "serve"} {
		code, _, errOut = runCLI(t, cmd, "--config", path)
		if code != 2 || !strings.Contains(errOut, path+":1:11: interval: 1ms is too often") {
			t.Errorf("%s with interval: 1ms: exit %d, stderr %q", cmd, code, errOut)
		}
	}
	code, _, errOut = runCLI(t, "run", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 2 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestRunExample(t *testing.T) {
	// The README's offline example, copied so the checkout stays clean.
	dir := t.TempDir()
	for _, name := range []string{"feedmill.yaml", "feeds"} {
		copyTree(t, filepath.Join("../../examples", name), filepath.Join(dir, name))
	}
	cfg := filepath.Join(dir, "feedmill.yaml")
	code, out, errOut := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "新媒体/观察者网/头条") || !strings.Contains(out, "0 failed") {
		t.Errorf("output: %s", out)
	}
	want, _ := os.ReadFile("../../testdata/golden/guancha-headline.md")
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "source", "_posts", "新媒体", "观察者网", "头条", "*.md"))
	var found bool
	for _, m := range matches {
		if got, _ := os.ReadFile(m); bytes.Equal(got, want) {
			found = true
		}
	}
	if !found {
		t.Errorf("golden post not among %v", matches)
	}
	code, out, _ = runCLI(t, "run", "--config", cfg)
	if code != 0 || !strings.Contains(out, " 0 new posts in") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}

func TestRunWithFailingSourceExits1(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>Hi</title><guid>1</guid></item></channel></rss>`))
	}))
	defer srv.Close()
	path := writeConfig(t, "rsshub: "+srv.URL+"\nsources:\n"+
		"  - {group: g, source: s, channel: ok, url: /ok}\n"+
		"  - {group: g, source: s, channel: broken, url: /broken}\n")
	code, out, _ := runCLI(t, "run", "--config", path)
	if code != 1 || !regexp.MustCompile(`(?m)^failing +g/s/broken `).MatchString(out) || !strings.Contains(out, "502") || !strings.Contains(out, "1 failed") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "source/_posts/g/s/ok/Hi.md")); err != nil {
		t.Errorf("the good source was not published: %v", err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunDueSkipsSourcesNotDue(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>Hi</title><guid>1</guid></item></channel></rss>`))
	}))
	defer srv.Close()
	path := writeConfig(t, "rsshub: "+srv.URL+"\ninterval: 1h\nsources:\n  - {group: g, source: s, channel: c, url: /a}\n")
	if code, out, _ := runCLI(t, "run", "--due", "--config", path); code != 0 || hits != 1 {
		t.Fatalf("first run: exit %d, %d fetches\n%s", code, hits, out)
	}
	code, out, _ := runCLI(t, "run", "--due", "--config", path)
	if code != 0 || hits != 1 || !strings.Contains(out, "1 source: 0 ok, 0 failed, 1 not due (skipped);") {
		t.Errorf("second run fetched a source that is not due: exit %d, %d fetches\n%s", code, hits, out)
	}
	if code, _, _ := runCLI(t, "run", "--config", path); code != 0 || hits != 2 {
		t.Errorf("without --due every source is fetched: exit %d, %d fetches", code, hits)
	}
}

// A plain run fetches every source, but not a route whose server asked
// to be left alone for a while (Retry-After) until that time has passed;
// the other routes of that host are fetched as usual.
func TestRunSkipsRoutesTheServerHeld(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/busy" {
			w.Header().Set("Retry-After", "3")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>Hi</title><guid>1</guid></item></channel></rss>`))
	}))
	defer srv.Close()
	path := writeConfig(t, "rsshub: "+srv.URL+"\nsources:\n  - {group: g, source: s, channel: busy, url: /busy}\n  - {group: g, source: s, channel: fine, url: /fine}\n")
	count := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return hits["/busy"], hits["/fine"]
	}
	code, out, _ := runCLI(t, "run", "--config", path)
	refused := time.Now()
	if busy, fine := count(); code != exitFailed || busy != 1 || fine != 1 {
		t.Fatalf("first run: exit %d, /busy %d, /fine %d fetches\n%s", code, busy, fine, out)
	}
	if !strings.Contains(out, "429 Too Many Requests; left alone until ") {
		t.Errorf("the refusal does not say until when the route is left alone:\n%s", out)
	}
	code, out, _ = runCLI(t, "run", "--config", path)
	if time.Since(refused) >= 2*time.Second {
		t.Skip("the second run came after the server's wait was over")
	}
	if busy, fine := count(); code != exitOK || busy != 1 || fine != 2 {
		t.Errorf("second run: exit %d, /busy %d, /fine %d fetches (want /busy left alone, /fine fetched)\n%s", code, busy, fine, out)
	}
	for _, want := range []string{"waiting      g/s/busy", "the server asked to wait until", "429", "2 sources: 1 ok, 0 failed, 1 waiting for their server (skipped);"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run's output lacks %q:\n%s", want, out)
		}
	}
	time.Sleep(time.Until(refused.Add(3*time.Second + 100*time.Millisecond)))
	code, out, _ = runCLI(t, "run", "--config", path)
	if busy, _ := count(); code != exitFailed || busy != 2 {
		t.Errorf("after the wait the route was not fetched again: exit %d, /busy %d fetches\n%s", code, busy, out)
	}
}

// An output folder that cannot be written fails the run with status 3,
// not the sources: none is recorded as failing or backs off, however many
// runs fail, and the first run after the folder works writes every post
// that was kept.
func TestRunOutputFailureIsNotTheSources(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><title>Post of %[1]s</title><guid>%[1]s</guid><description>x</description></item></channel></rss>`, name)
	}))
	defer srv.Close()
	path := writeConfig(t, "rsshub: "+srv.URL+"\noutput:\n  dir: posts\nsources:\n  - {group: g, source: s, channel: a, url: /a}\n  - {group: g, source: s, channel: b, url: /b}\n")
	// A file where the output folder should be: no post can be written,
	// even by root.
	posts := filepath.Join(filepath.Dir(path), "posts")
	if err := os.WriteFile(posts, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		code, out, errOut := runCLI(t, "run", "--config", path)
		if code != 3 || !strings.Contains(errOut, "cannot write posts to "+posts) || !strings.Contains(out, "posts not written") || !strings.Contains(out, "2 ok, 0 failed") {
			t.Fatalf("run %d with a broken output folder: exit %d\n%s%s", i+1, code, out, errOut)
		}
	}
	code, out, _ := runCLI(t, "sources", "--config", path)
	if code != 0 || !strings.Contains(out, "2 sources: 2 ok") {
		t.Errorf("sources after the failed runs: exit %d\n%s", code, out)
	}

	if err := os.Remove(posts); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "run", "--config", path, "--due")
	if code != 0 {
		t.Fatalf("run --due once the folder works: exit %d\n%s%s", code, out, errOut)
	}
	for _, c := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(posts, "g", "s", c, "Post of "+c+".md")); err != nil {
			t.Errorf("the kept post was not written: %v\n%s", err, out)
		}
	}
}
