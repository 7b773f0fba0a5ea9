// Command hexo times Hexo (and Hugo, and feedmill's own site build when
// present) over the same posts, written by feedmill's real pipeline. It is
// a benchmark, not a test: CI never runs it.
//
//	go run ./bench/hexo                         # 1,000 and 5,000 posts
//	go run ./bench/hexo -n 1000,5000 -hugo-n 5000 -theme landscape
//
// For each size it writes synthetic RSS feeds (100 channels, the golden
// guancha item's 11 KB body with a new title and date per item) and a
// feedmill.yaml, runs `feedmill run` (the real pipeline: fetch, parse,
// store, content, publish) into a fresh Hexo site's source/_posts, and
// times a cold `hexo generate` (wall time, CPU time and peak RSS via
// /usr/bin/time -v, else the process's rusage). At the Hugo sizes it
// converts the same posts to Hugo content (the same YAML front matter) and
// times `hugo`. When the feedmill binary has a build command (the site
// branch), it times `feedmill build` over the same store too.
//
// Hexo comes from .ci/deps/hexo.sh (FEEDMILL_HEXO_DIR); Hugo from -hugo,
// PATH or `go env GOPATH`/bin, installed with
// `go install github.com/gohugoio/hugo@v0.165.0`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/internal/hexotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/hexo:", err)
		os.Exit(1)
	}
}

// Taxonomy of the synthetic site: groups × sources × channels.
const (
	groups   = 5
	sources  = 4
	channels = 5
)

type options struct {
	sizes    []int
	hugoSize map[int]bool
	theme    string
	out      string
	hugo     string
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < groups*sources*channels {
			return nil, fmt.Errorf("%q: sizes are whole numbers of at least %d posts", f, groups*sources*channels)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench/hexo", flag.ContinueOnError)
	sizes := fs.String("n", "1000,5000", "comma-separated post counts to build")
	hugoSizes := fs.String("hugo-n", "5000", "comma-separated post counts to also time hugo at (\"\" for none)")
	theme := fs.String("theme", hexotest.Minimal, "Hexo theme: "+hexotest.Minimal+" (testdata/hexo/themes) or "+hexotest.Landscape)
	out := fs.String("out", filepath.Join("bench", "results", "hexo"), "work `folder` (replaced)")
	hugo := fs.String("hugo", "", "hugo `binary` (default: PATH, then $(go env GOPATH)/bin/hugo)")
	fmBin := fs.String("feedmill", "", "feedmill `binary` to run and build with (default: build ./cmd/feedmill of this checkout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var opts options
	var err error
	if opts.sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	hs, err := parseSizes(*hugoSizes)
	if err != nil {
		return err
	}
	opts.hugoSize = map[int]bool{}
	for _, n := range hs {
		opts.hugoSize[n] = true
	}
	opts.theme = *theme
	if opts.out, err = filepath.Abs(*out); err != nil {
		return err
	}
	install, err := hexotest.Find()
	if err != nil {
		return err
	}
	opts.hugo = findHugo(*hugo)

	if err := os.RemoveAll(opts.out); err != nil {
		return err
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return err
	}
	fm, err := findFeedmill(ctx, *fmBin, opts.out)
	if err != nil {
		return err
	}

	var rows []row
	for _, n := range opts.sizes {
		r, err := benchSize(ctx, opts, install, fm, n, stdout)
		if err != nil {
			return fmt.Errorf("%d posts: %w", n, err)
		}
		rows = append(rows, r...)
	}
	report := reportText(rows, opts, install)
	fmt.Fprint(stdout, "\n"+report)
	return os.WriteFile(filepath.Join(opts.out, "results.md"), []byte(report), 0o644)
}

// row is one timed build.
type row struct {
	tool  string
	posts int
	pages int // post pages in the output, to check the build is whole
	m     measure
	note  string
}

func benchSize(ctx context.Context, opts options, install string, fm feedmill, n int, log io.Writer) ([]row, error) {
	dir := filepath.Join(opts.out, fmt.Sprintf("n%d", n))
	site, err := hexotest.NewSite(filepath.Join(dir, "hexo"), install, opts.theme)
	if err != nil {
		return nil, err
	}
	cfgPath, err := writeFeeds(dir, site.PostsDir(), n)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "== %d posts: feedmill run into %s\n", n, site.PostsDir())
	m, output, err := timed(exec.CommandContext(ctx, fm.bin, "run", "--config", cfgPath))
	if err != nil {
		return nil, fmt.Errorf("feedmill run: %w\n%s", err, tail(output))
	}
	written, err := countPostPages(site.PostsDir(), func(rel string) bool { return strings.HasSuffix(rel, ".md") })
	if err != nil {
		return nil, err
	}
	if written != n {
		return nil, fmt.Errorf("feedmill wrote %d posts, want %d", written, n)
	}
	var rows []row
	rows = append(rows, row{tool: "feedmill run (write the posts)", posts: n, pages: written, m: m, note: "from file: feeds; posts synced to disk in batches"})

	fmt.Fprintf(log, "== %d posts: hexo generate (theme %s)\n", n, opts.theme)
	cmd := site.Command(ctx, "generate")
	m, output, err = timed(cmd)
	if err != nil {
		return nil, fmt.Errorf("hexo generate: %w\n%s", err, tail(output))
	}
	if line := errorLine(output); line != "" {
		return nil, fmt.Errorf("hexo generate logged %s", line)
	}
	pages, err := countPostPages(site.PublicDir(), func(rel string) bool {
		return regexp.MustCompile(`^\d{4}/\d\d/\d\d/.+/index\.html$`).MatchString(rel)
	})
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{tool: "hexo generate (" + opts.theme + ")", posts: n, pages: pages, m: m})

	if opts.hugoSize[n] {
		if opts.hugo == "" {
			rows = append(rows, row{tool: "hugo", posts: n, note: "not installed: GOBIN=... go install github.com/gohugoio/hugo@v0.165.0"})
		} else {
			fmt.Fprintf(log, "== %d posts: hugo\n", n)
			r, err := benchHugo(ctx, opts.hugo, site.PostsDir(), filepath.Join(dir, "hugo"), n)
			if err != nil {
				return nil, fmt.Errorf("hugo: %w", err)
			}
			rows = append(rows, r)
		}
	}

	if fm.build {
		fmt.Fprintf(log, "== %d posts: feedmill build\n", n)
		m, output, err := timed(exec.CommandContext(ctx, fm.bin, "build", "--config", cfgPath))
		if err != nil {
			return nil, fmt.Errorf("feedmill build: %w\n%s", err, tail(output))
		}
		rows = append(rows, row{tool: "feedmill build", posts: n, pages: -1, m: m, note: lastLine(output)})
	} else {
		rows = append(rows, row{tool: "feedmill build", posts: n, note: "not available: this feedmill has no build command yet (site branch)"})
	}
	return rows, nil
}

// writeFeeds writes the feeds of n posts and a feedmill.yaml that reads
// them into postsDir, and returns the config's path.
func writeFeeds(dir, postsDir string, n int) (string, error) {
	body, err := goldenBody()
	if err != nil {
		return "", err
	}
	feeds := filepath.Join(dir, "feeds")
	if err := os.MkdirAll(feeds, 0o755); err != nil {
		return "", err
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "# written by bench/hexo\noutput:\n  dir: %s\nstore: feedmill.db\nmax_items: 0\nconcurrency: 4\nsources:\n", postsDir)
	chans := groups * sources * channels
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	item := 0
	for c := range chans {
		g, s, ch := c/(sources*channels), c/channels%sources, c%channels
		// Every name is unique: Hugo's categories are flat terms, and this
		// way Hugo has as many category pages as Hexo's nested ones.
		group, source, channel := fmt.Sprintf("分组%d", g+1), fmt.Sprintf("来源%d-%d", g+1, s+1), fmt.Sprintf("频道%d-%d-%d", g+1, s+1, ch+1)
		per := n / chans
		if c < n%chans {
			per++
		}
		var x strings.Builder
		fmt.Fprintf(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>%s - %s</title><link>https://news.example/%d</link><description>bench</description>\n", source, channel, c)
		for i := range per {
			item++
			// A new date every 37 minutes, so they spread over months.
			date := base.Add(-time.Duration(item*37) * time.Minute)
			title := fmt.Sprintf("第%d条：%s%s的新闻，美方书面拒绝“不东扩红线”", item, source, channel)
			fmt.Fprintf(&x, "<item><title>%s</title><link>https://news.example/%d/%d</link><guid>https://news.example/%d/%d</guid><pubDate>%s</pubDate><description><![CDATA[<p>第%d条。</p>%s]]></description></item>\n",
				html.EscapeString(title), c, i, c, i, date.Format(time.RFC1123Z), item, body)
		}
		x.WriteString("</channel></rss>\n")
		name := fmt.Sprintf("c%03d.xml", c)
		if err := os.WriteFile(filepath.Join(feeds, name), []byte(x.String()), 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(&cfg, "  - {group: %s, source: %s, channel: %s, url: \"file:feeds/%s\"}\n", group, source, channel, name)
	}
	path := filepath.Join(dir, "feedmill.yaml")
	return path, os.WriteFile(path, []byte(cfg.String()), 0o644)
}

// goldenBody is the body of the golden guancha item: a real 11 KB news
// item with images and blank lines.
func goldenBody() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "golden", "guancha-headline.xml"))
	if err != nil {
		return "", err
	}
	var doc struct {
		Items []struct {
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("golden feed: %w", err)
	}
	if len(doc.Items) == 0 {
		return "", errors.New("golden feed has no item")
	}
	return strings.ReplaceAll(doc.Items[0].Description, "]]>", "]]&gt;"), nil
}

// feedmill is the binary the bench runs.
type feedmill struct {
	bin   string
	build bool // it has the build command
}

// findFeedmill builds cmd/feedmill of this checkout into dir, unless bin
// names a binary already built, and says whether it has a build command.
// One binary does both the run and the build, so the store is always of
// the schema that binary knows.
func findFeedmill(ctx context.Context, bin, dir string) (feedmill, error) {
	if bin == "" {
		bin = filepath.Join(dir, "feedmill")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/feedmill")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			return feedmill{}, fmt.Errorf("build feedmill: %w\n%s", err, out)
		}
	}
	// The hook for the site branch: `feedmill build --help` exits 0 once
	// the build command exists.
	err := exec.CommandContext(ctx, bin, "build", "--help").Run()
	return feedmill{bin: bin, build: err == nil}, nil
}

func findHugo(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p, err := exec.LookPath("hugo"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for i, l := range lines {
			p := filepath.Join(l, "hugo")
			if i == 1 {
				p = filepath.Join(l, "bin", "hugo")
			}
			if l != "" {
				if _, err := os.Stat(p); err == nil {
					return p
				}
			}
		}
	}
	return ""
}

// hugoLayouts render what the minimal Hexo theme renders: a paginated
// home page, a page per category term and per post, and Hugo's default
// RSS (of the 20 newest posts, as feedmill's site feeds) and sitemap.
// Pages list 20 posts, as in the Hexo site and feedmill's.
var hugoLayouts = map[string]string{
	"hugo.yaml": `baseURL: http://example.com/
title: feedmill hugo bench
locale: zh-CN
pagination:
  pagerSize: 20
services:
  rss:
    limit: 20
taxonomies:
  category: categories
markup:
  goldmark:
    renderer:
      unsafe: true
`,
	"layouts/baseof.html": `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><nav><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<ul>{{ range site.Taxonomies.categories.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
`,
	"layouts/list.html": `{{ define "main" }}<h1>{{ .Title }}</h1>
<ul class="posts">{{ range (.Paginate .RegularPagesRecursive).Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2006-01-02" }}</time></li>{{ end }}</ul>
{{ partial "pagination.html" . }}{{ end }}
`,
	"layouts/taxonomy.html": `{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>{{ end }}
`,
	"layouts/single.html": `{{ define "main" }}<article class="post"><h1 class="post-title">{{ .Title }}</h1>
<p class="meta">{{ .Params.author }} <time>{{ .Date.Format "2006-01-02" }}</time>
{{ range .GetTerms "categories" }}<a class="post-category" href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
{{ with .Params.headimg }}<img class="headimg" src="{{ . }}" referrerpolicy="no-referrer">{{ end }}
<div class="post-body">{{ .Content }}</div></article>{{ end }}
`,
	"layouts/_partials/pagination.html": `{{ $p := .Paginator }}{{ if gt $p.TotalPages 1 }}<nav class="pages">{{ with $p.Prev }}<a href="{{ .URL }}">prev</a>{{ end }} {{ $p.PageNumber }}/{{ $p.TotalPages }} {{ with $p.Next }}<a href="{{ .URL }}">next</a>{{ end }}</nav>{{ end }}`,
}

// benchHugo makes a Hugo site of the Hexo posts in postsDir (the same
// front matter and body, minus the blank first line Hugo does not take)
// and times `hugo`.
func benchHugo(ctx context.Context, bin, postsDir, dir string, n int) (row, error) {
	for name, text := range hugoLayouts {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return row{}, err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return row{}, err
		}
	}
	content := filepath.Join(dir, "content", "posts")
	converted := 0
	err := filepath.WalkDir(postsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".md" {
			return err
		}
		rel, err := filepath.Rel(postsDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		target := filepath.Join(content, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		converted++
		return os.WriteFile(target, bytes.TrimPrefix(data, []byte("\n")), 0o644)
	})
	if err != nil {
		return row{}, err
	}
	if converted != n {
		return row{}, fmt.Errorf("converted %d posts, want %d", converted, n)
	}
	cmd := exec.CommandContext(ctx, bin, "--quiet", "--destination", "public")
	cmd.Dir = dir
	m, output, err := timed(cmd)
	if err != nil {
		return row{}, fmt.Errorf("%w\n%s", err, tail(output))
	}
	pages, err := countPostPages(filepath.Join(dir, "public"), func(rel string) bool {
		return strings.HasPrefix(rel, "posts/") && strings.Count(rel, "/") == 5 && strings.HasSuffix(rel, "/index.html")
	})
	if err != nil {
		return row{}, err
	}
	version, _ := exec.CommandContext(ctx, bin, "version").Output()
	return row{tool: "hugo", posts: n, pages: pages, m: m, note: strings.TrimSpace(string(version))}, nil
}

// measure is one timed command.
type measure struct {
	wall   time.Duration
	cpu    time.Duration // user + system; steadier than wall on a busy machine
	maxRSS int64         // KiB; 0 when unknown
}

// timed runs cmd under /usr/bin/time -v when it is there, else with Go's
// own clock and the child's rusage, and returns its combined output.
func timed(cmd *exec.Cmd) (measure, []byte, error) {
	var out bytes.Buffer
	var timeOut bytes.Buffer
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		f, err := os.CreateTemp("", "bench-time-*.txt")
		if err != nil {
			return measure{}, nil, err
		}
		f.Close()
		defer os.Remove(f.Name())
		cmd.Args = append([]string{"/usr/bin/time", "-v", "-o", f.Name()}, cmd.Args...)
		cmd.Path = "/usr/bin/time"
		cmd.Err = nil
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err = cmd.Run()
		wall := time.Since(start)
		data, _ := os.ReadFile(f.Name())
		timeOut.Write(data)
		m := parseTime(timeOut.Bytes())
		if m.wall == 0 {
			m.wall = wall
		}
		return m, out.Bytes(), err
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	m := measure{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.maxRSS = ru.Maxrss
		}
		m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return m, out.Bytes(), err
}

// parseTime reads GNU time's -v report.
func parseTime(data []byte) measure {
	var m measure
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "Elapsed (wall clock) time"):
			// h:mm:ss or m:ss.cc
			parts := strings.Split(v, ":")
			var secs float64
			for _, p := range parts {
				f, _ := strconv.ParseFloat(p, 64)
				secs = secs*60 + f
			}
			m.wall = time.Duration(secs * float64(time.Second))
		case k == "User time (seconds)" || k == "System time (seconds)":
			f, _ := strconv.ParseFloat(v, 64)
			m.cpu += time.Duration(f * float64(time.Second))
		case k == "Maximum resident set size (kbytes)":
			m.maxRSS, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return m
}

func countPostPages(public string, isPost func(rel string) bool) (int, error) {
	n := 0
	err := filepath.WalkDir(public, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(public, p)
		if err != nil {
			return err
		}
		if isPost(filepath.ToSlash(rel)) {
			n++
		}
		return nil
	})
	return n, err
}

func errorLine(out []byte) string {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "ERROR") || strings.Contains(l, "FATAL") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func tail(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func reportText(rows []row, opts options, install string) string {
	var b strings.Builder
	node, _ := exec.Command("node", "--version").Output()
	hexoVersion := "?"
	if data, err := os.ReadFile(filepath.Join(install, "node_modules", "hexo", "package.json")); err == nil {
		if m := regexp.MustCompile(`"version":\s*"([^"]+)"`).FindSubmatch(data); m != nil {
			hexoVersion = string(m[1])
		}
	}
	fmt.Fprintf(&b, "Hexo %s on Node %s, %d CPUs, %s/%s, %s\n\n", hexoVersion, strings.TrimSpace(string(node)), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
	load, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(load)); len(f) >= 3 {
		fmt.Fprintf(&b, "Load average at the end: %s %s %s\n\n", f[0], f[1], f[2])
	}
	b.WriteString("| build | posts | post pages | wall | CPU (user+sys) | peak RSS | note |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		wall, cpu, rss, pages := "—", "—", "—", "—"
		if r.m.wall > 0 {
			wall = fmt.Sprintf("%.2f s", r.m.wall.Seconds())
		}
		if r.m.cpu > 0 {
			cpu = fmt.Sprintf("%.2f s", r.m.cpu.Seconds())
		}
		if r.m.maxRSS > 0 {
			rss = fmt.Sprintf("%d MB", r.m.maxRSS/1024)
		}
		if r.pages >= 0 && r.m.wall > 0 {
			pages = strconv.Itoa(r.pages)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", r.tool, r.posts, pages, wall, cpu, rss, r.note)
	}
	return b.String()
}
