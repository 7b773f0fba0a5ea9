package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// feedmill run then feedmill build on the offline example: the site
// appears in public/ beside the configuration, and a second build writes
// nothing.
func TestBuildCommand(t *testing.T) {
	dir := t.TempDir()
	feeds := filepath.Join(dir, "feeds")
	if err := os.MkdirAll(feeds, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../examples/feeds/guancha-headline.xml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(feeds, "guancha-headline.xml"), data, 0o644)
	cfg := filepath.Join(dir, "feedmill.yaml")
	os.WriteFile(cfg, []byte(`output:
  dir: posts
site:
  title: 新闻
  per_page: 5
sources:
  - group: 新媒体
    source: 观察者网
    channel: 头条
    url: file:feeds/guancha-headline.xml
`), 0o644)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"run", "--config", cfg}, &out, &errOut); code != exitOK {
		t.Fatalf("run: %d\n%s%s", code, out.String(), errOut.String())
	}
	line := regexp.MustCompile(`^site: (\d+) of (\d+) pages written \((\d+) rendered, 0 removed\), (\d+) posts, in \S+ -> (.+)\nto view it: feedmill serve --config .+, then open http://127\.0\.0\.1:8080/ \(opened from the disk.*\n$`)
	out.Reset()
	if code := run(context.Background(), []string{"build", "--config", cfg}, &out, &errOut); code != exitOK {
		t.Fatalf("build: %d\n%s", code, errOut.String())
	}
	m := line.FindStringSubmatch(out.String())
	if m == nil || m[1] != m[2] || m[4] == "0" || m[5] != filepath.Join(dir, "public") {
		t.Fatalf("first build said %q", out.String())
	}
	index, err := os.ReadFile(filepath.Join(dir, "public", "index.html"))
	if err != nil || !strings.Contains(string(index), "美方书面拒绝") {
		t.Fatalf("public/index.html: %v", err)
	}
	out.Reset()
	run(context.Background(), []string{"build", "--config", cfg}, &out, &errOut)
	if m := line.FindStringSubmatch(out.String()); m == nil || m[1] != "0" || m[3] != "0" {
		t.Errorf("second build said %q", out.String())
	}
	out.Reset()
	run(context.Background(), []string{"build", "--config", cfg, "--full"}, &out, &errOut)
	if m := line.FindStringSubmatch(out.String()); m == nil || m[1] != "0" || m[3] != m[2] {
		t.Errorf("full build said %q", out.String())
	}
	if code := run(context.Background(), []string{"build", "--config", filepath.Join(dir, "missing.yaml")}, &out, &errOut); code != exitUsage {
		t.Errorf("missing config: exit %d", code)
	}
}

func TestSiteURL(t *testing.T) {
	for _, c := range []struct{ addr, base, want string }{
		{"127.0.0.1:8080", "", "http://127.0.0.1:8080/"},
		{":8080", "", "http://127.0.0.1:8080/"},
		{"0.0.0.0:9000", "https://news.example.com/", "http://127.0.0.1:9000/"},
		{"[::]:8080", "", "http://127.0.0.1:8080/"},
		{"[::1]:8080", "", "http://[::1]:8080/"},
		{"192.168.1.2:80", "https://example.com/news", "http://192.168.1.2:80/news/"},
	} {
		if got := siteURL(c.addr, c.base); got != c.want {
			t.Errorf("siteURL(%q, %q) = %q, want %q", c.addr, c.base, got, c.want)
		}
	}
}
