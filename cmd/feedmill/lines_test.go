package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Lines come in the configuration's order whatever order the sources
// finish in, the summary's counts add up to the configured sources, a
// failure names the URL it fetched, and piped output has no counter.
func TestRunOutputOrderCountsAndURLs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			// Finishes last though it comes first: its line must still
			// be printed first.
			time.Sleep(300 * time.Millisecond)
		case "/broken":
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><title>%s</title><guid>%s</guid></item></channel></rss>`, r.URL.Path, r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()
	var cfg strings.Builder
	cfg.WriteString("rsshub: " + base + "\nsources:\n  - {group: g, source: s, channel: slow, url: /slow}\n")
	for _, c := range []string{"e", "d", "broken", "c", "b", "a"} {
		fmt.Fprintf(&cfg, "  - {group: g, source: s, channel: %s, url: /%s}\n", c, c)
	}
	cfg.WriteString("  - {group: g, source: s, channel: paused, url: /paused}\n")
	path := writeConfig(t, cfg.String())
	if code, out, errOut := runCLI(t, "pause", "--config", path, "g/s/paused"); code != 0 {
		t.Fatalf("pause: %d %s%s", code, out, errOut)
	}

	code, out, _ := runCLI(t, "run", "--config", path)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^(?:ok|failing|paused) +(g/s/\S+)`).FindAllStringSubmatch(out, -1) {
		keys = append(keys, m[1])
	}
	if want := "g/s/slow g/s/e g/s/d g/s/broken g/s/c g/s/b g/s/a g/s/paused"; strings.Join(keys, " ") != want {
		t.Errorf("lines in the order %s, want %s:\n%s", strings.Join(keys, " "), want, out)
	}
	if !strings.Contains(out, "failing      g/s/broken  "+base+"/broken: fetch: HTTP 502") {
		t.Errorf("the failure does not name its URL:\n%s", out)
	}
	if !strings.Contains(out, "8 sources: 6 ok, 1 failed, 1 paused (skipped);") {
		t.Errorf("summary does not add up to 8:\n%s", out)
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("piped output has terminal controls: %q", out)
	}

	// --quiet: the failures and the summary only.
	_, out, _ = runCLI(t, "run", "--quiet", "--config", path)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "failing") || !strings.HasPrefix(lines[1], "8 sources: ") {
		t.Errorf("--quiet printed:\n%s", out)
	}
}

// On a terminal a counter of the sources done is drawn after the lines
// and rewritten in place; it is gone at the end.
func TestLinesCounter(t *testing.T) {
	var b bytes.Buffer
	l := newLines(&b, 3, false)
	l.progress = true // as on a terminal
	l.set(1, "second", false)
	if got := b.String(); got != "1/3 sources done…" {
		t.Fatalf("after the second source: %q", got)
	}
	l.set(0, "first", false)
	l.set(2, "third", false)
	l.finish()
	if got, want := b.String(), "1/3 sources done…\r\x1b[Kfirst\nsecond\n2/3 sources done…\r\x1b[Kthird\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestHelpCommand(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := runCLI(t, "help", c.name)
		if code != 0 || !strings.HasPrefix(out, "Usage: feedmill "+c.name) {
			t.Errorf("help %s: exit %d\n%s", c.name, code, out)
		}
	}
	if code, _, errOut := runCLI(t, "help", "nope"); code != exitUsage || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Errorf("help nope: exit %d %s", code, errOut)
	}
	_, out, _ := runCLI(t, "run", "--help")
	if !strings.Contains(out, "3 when") {
		t.Errorf("run --help says nothing of exit status 3:\n%s", out)
	}
}
