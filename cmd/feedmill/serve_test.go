//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/config"
)

// logLines follows a --log-format json log: each line decoded, in order.
// The channel is closed at the end of the log, then done is called.
func logLines(r io.Reader, done func()) <-chan map[string]any {
	ch := make(chan map[string]any, 10000) // never full: no line is lost or blocks the daemon
	go func() {
		defer done()
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"msg": "NOT JSON: " + sc.Text()}
			}
			ch <- m
		}
	}()
	return ch
}

// waitLog returns the first line whose msg is msg, failing after 60 s
// with the lines it read meanwhile.
func waitLog(t *testing.T, lines <-chan map[string]any, msg string) map[string]any {
	t.Helper()
	// A generous wait for a condition, not a timed assertion: on a busy
	// machine a round of the real binary can take many seconds.
	timeout := time.After(60 * time.Second)
	var skipped []map[string]any
	for {
		select {
		case m, ok := <-lines:
			skipped = append(skipped, m)
			if !ok {
				t.Fatalf("the log ended before %q", msg)
			}
			if s, _ := m["msg"].(string); strings.HasPrefix(s, "NOT JSON") {
				t.Errorf("log line is not JSON: %s", s)
			}
			if m["msg"] == msg {
				return m
			}
		case <-timeout:
			for _, m := range skipped {
				t.Logf("log: %v", m)
			}
			t.Fatalf("no %q in the log within 60s", msg)
		}
	}
}

// The real binary: serve on a free port, reload on SIGHUP (a valid file
// adds a source, a broken one is refused and the old one kept), stop on
// SIGTERM with status 0.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	bin := binary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><title>Post of %[1]s</title><guid>%[1]s</guid><description>x</description></item></channel></rss>`, name)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	writeCfg := func(routes ...string) {
		var b strings.Builder
		fmt.Fprintf(&b, "rsshub: %s\nlisten: 127.0.0.1:1\noutput:\n  dir: posts\nsources:\n", srv.URL)
		for _, r := range routes {
			fmt.Fprintf(&b, "  - {group: g, source: s, channel: %s, url: /%s}\n", r, r)
		}
		if err := os.WriteFile(cfgPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("a")

	// --listen wins over listen: in the file, which names a port no test
	// can bind, and over FEEDMILL_LISTEN, whose value it replaces is then
	// no error (at the start and at each reload).
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(os.Environ(), config.EnvListen+"=not an address")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait closes the pipe, so it is called once the log has been read.
	exited := make(chan error, 1)
	lines := logLines(stderr, func() { exited <- cmd.Wait() })
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()

	addr, _ := waitLog(t, lines, "listening")["addr"].(string)
	if !strings.HasPrefix(addr, "127.0.0.1:") || addr == "127.0.0.1:0" {
		t.Fatalf("listening on %q", addr)
	}
	waitLog(t, lines, "round done")
	healthz := func() int {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := healthz(); code != 200 {
		t.Errorf("/healthz: %d", code)
	}

	writeCfg("a", "b")
	cmd.Process.Signal(syscall.SIGHUP)
	if m := waitLog(t, lines, "config reloaded"); m["sources"] != 2.0 {
		t.Errorf("reloaded %v sources, want 2", m["sources"])
	}
	waitLog(t, lines, "round done")
	if _, err := os.Stat(filepath.Join(dir, "posts", "g", "s", "b", "Post of b.md")); err != nil {
		t.Errorf("the source added by the reload was not published: %v", err)
	}

	if err := os.WriteFile(cfgPath, []byte("sources:\n  - {group: g, source: s, channel: c, url: /c, colour: red}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	if m := waitLog(t, lines, "config reload failed; keeping the running configuration"); !strings.Contains(fmt.Sprint(m["error"]), "colour") {
		t.Errorf("reload error %v does not name the bad setting", m["error"])
	}
	if code := healthz(); code != 200 {
		t.Errorf("/healthz after a failed reload: %d", code)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	waitLog(t, lines, "stopped")
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10s of SIGTERM")
	}
}

// One store, one feedmill that writes: while serve runs, a run, a build
// and a second serve on its store exit 3 naming serve's pid, rather than
// fetching and writing everything a second time; feedmill sources, which
// only reads, still works.
func TestStoreLockedWhileServing(t *testing.T) {
	bin := binary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>x</guid><description>x</description></item></channel></rss>`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	cfg := fmt.Sprintf("rsshub: %s\noutput:\n  dir: posts\nsources:\n  - {group: g, source: s, channel: c, url: /a}\n", srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	serve := exec.Command(bin, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0", "--log-format", "json")
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := logLines(stderr, func() { exited <- serve.Wait() })
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	waitLog(t, lines, "round done")

	pid := fmt.Sprintf("pid %d", serve.Process.Pid)
	for _, args := range [][]string{{"run"}, {"build"}, {"serve", "--listen", "127.0.0.1:0"}} {
		// A second serve that started would run until killed.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		out, err := exec.CommandContext(ctx, bin, append(args, "--config", cfgPath)...).CombinedOutput()
		cancel()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(out), "in use by another feedmill process ("+pid+")") {
			t.Errorf("%s while serve runs: %v\n%s", args[0], err, out)
		}
	}
	out, err := exec.Command(bin, "sources", "--config", cfgPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 sources: 1 ok") && !strings.Contains(string(out), "1 source: 1 ok") {
		t.Errorf("sources while serve runs: %v\n%s", err, out)
	}
}

// serve names route-only sources from the catalog at start and again on
// each SIGHUP; a reload naming a route RSSHub does not have is refused and
// the running configuration kept.
func TestServeNamesRouteOnlySourcesOnReload(t *testing.T) {
	bin := binary(t)
	hub := newRSSHub(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	writeCfg := func(routes ...string) {
		body := "rsshub: " + hub.URL + "\noutput:\n  dir: posts\nsources:\n"
		for _, r := range routes {
			body += "  - " + r + "\n"
		}
		if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("/guancha/headline")
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0", "--log-format", "json", "--no-site")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := logLines(stderr, func() { exited <- cmd.Wait() })
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	waitLog(t, lines, "round done")
	golden, _ := os.ReadFile("../../testdata/golden/guancha-headline.md")
	if got, err := os.ReadFile(filepath.Join(dir, "posts/新媒体/观察者网/头条/美方书面拒绝_不东扩红线_，德法俄乌巴黎会谈8小时.md")); err != nil || string(got) != string(golden) {
		t.Errorf("the seed post differs from the golden one (err %v)", err)
	}

	writeCfg("/guancha/headline", "/oschina/news")
	cmd.Process.Signal(syscall.SIGHUP)
	if m := waitLog(t, lines, "config reloaded"); m["sources"] != 2.0 {
		t.Errorf("reloaded %v sources, want 2", m["sources"])
	}
	waitLog(t, lines, "round done")
	if _, err := os.Stat(filepath.Join(dir, "posts/编程/开源中国/资讯/Go 126 发布.md")); err != nil {
		t.Errorf("the route added by the reload was not named and published: %v", err)
	}

	writeCfg("/guancha/headline", "/oschina/newz/x")
	cmd.Process.Signal(syscall.SIGHUP)
	if m := waitLog(t, lines, "config reload failed; keeping the running configuration"); !strings.Contains(fmt.Sprint(m["error"]), "route /oschina/newz/x is not in RSSHub's catalog") {
		t.Errorf("reload error %v does not name the unknown route", m["error"])
	}
}
