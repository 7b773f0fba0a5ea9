// Command pipeline times feedmill's per-item path — parse, clean, store,
// post — against the old system's per-item work on the same feeds, read
// from local files so that no network time hides the CPU. See
// bench/README.md ("The per-item path against the old system").
//
// It writes N deterministic RSSHub-shaped feeds of M items, then, for each
// place (a folder on disk, one on tmpfs) and each of several rounds, runs
// the old system's work (oldsystem.py beside this file: Python and
// BeautifulSoup's html.parser) and `feedmill run` over them, alternating,
// each into a folder of its own, and prints wall time, CPU time and peak
// RSS of both and their ratios.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		feeds    = flag.Int("feeds", 200, "number of feeds (one source each)")
		items    = flag.Int("items", 20, "items per feed")
		rounds   = flag.Int("runs", 3, "rounds; each runs the old system and every feedmill binary once")
		where    = flag.String("where", "disk,tmpfs", "places to run in: disk, tmpfs or both")
		diskDir  = flag.String("disk", os.TempDir(), "a folder on disk to work under")
		tmpfsDir = flag.String("tmpfs", "/dev/shm", "a folder on tmpfs to work under")
		binaries = flag.String("feedmill", "", "comma-separated feedmill binaries to time (default: build ./cmd/feedmill)")
		python   = flag.String("python", "/usr/bin/python3", "the Python with bs4 (Debian: python3-bs4)")
		keep     = flag.Bool("keep", false, "keep the work folders (default: removed at exit)")
		old      = flag.Bool("old", true, "run the old system too (false: feedmill's binaries alone, for memory or A/B runs)")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, params{
		feeds: *feeds, items: *items, rounds: *rounds, places: strings.Split(*where, ","),
		disk: *diskDir, tmpfs: *tmpfsDir, binaries: *binaries, python: *python, keep: *keep, old: *old,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type params struct {
	feeds, items, rounds int
	places               []string
	disk, tmpfs          string
	binaries, python     string
	keep, old            bool
}

// measure is one timed command.
type measure struct {
	wall, cpu time.Duration
	rssKB     int64
	posts     int
}

func run(ctx context.Context, p params) error {
	script, err := filepath.Abs(filepath.Join("bench", "pipeline", "oldsystem.py"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("run from the repository's root: %w", err)
	}
	if out, err := exec.CommandContext(ctx, p.python, "-c", "import bs4").CombinedOutput(); err != nil {
		return fmt.Errorf("%s has no bs4 (apt-get install python3-bs4): %s", p.python, strings.TrimSpace(string(out)))
	}
	var bins []string
	if p.binaries == "" {
		dir, err := os.MkdirTemp("", "feedmill-pipeline-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "feedmill")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/feedmill")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
		bins = []string{bin}
	} else {
		for _, b := range strings.Split(p.binaries, ",") {
			abs, err := filepath.Abs(b)
			if err != nil {
				return err
			}
			bins = append(bins, abs)
		}
	}
	fmt.Printf("feedmill pipeline bench: %d feeds x %d items, %d rounds, %d CPUs, load %s\n",
		p.feeds, p.items, p.rounds, runtime.NumCPU(), loadAvg())
	for _, place := range p.places {
		var root string
		switch place {
		case "disk":
			root = p.disk
		case "tmpfs":
			root = p.tmpfs
		default:
			return fmt.Errorf("-where: %q is neither disk nor tmpfs", place)
		}
		base, err := os.MkdirTemp(root, "feedmill-pipeline-")
		if err != nil {
			return err
		}
		if !p.keep {
			defer os.RemoveAll(base)
		}
		if err := onePlace(ctx, p, place, base, script, bins); err != nil {
			return fmt.Errorf("%s: %w", place, err)
		}
	}
	return nil
}

func onePlace(ctx context.Context, p params, place, base, script string, bins []string) error {
	listing, err := writeFeeds(base, p.feeds, p.items)
	if err != nil {
		return err
	}
	forgetPeakRSS()
	want := p.feeds * p.items
	old := make([]measure, 0, p.rounds)
	fm := make([][]measure, len(bins))
	fmt.Printf("\n%s (%s)\n", place, base)
	for r := 1; r <= p.rounds; r++ {
		out := filepath.Join(base, fmt.Sprintf("round%d", r))
		if p.old {
			m, err := timed(ctx, exec.CommandContext(ctx, p.python, script, filepath.Join(out, "old"), "基准", listing))
			if err != nil {
				return fmt.Errorf("old system: %w", err)
			}
			if m.posts, err = countFiles(filepath.Join(out, "old")); err != nil {
				return err
			}
			old = append(old, m)
			fmt.Printf("  round %d  old system   %s\n", r, m)
		}
		for i, bin := range bins {
			dir := filepath.Join(out, fmt.Sprintf("feedmill%d", i))
			cfg, err := writeConfig(dir, base, p.feeds)
			if err != nil {
				return err
			}
			// Its per-source lines go to /dev/null, which is no terminal.
			m, err := timed(ctx, exec.CommandContext(ctx, bin, "run", "--config", cfg))
			if err != nil {
				return fmt.Errorf("%s: %w", bin, err)
			}
			if m.posts, err = countFiles(filepath.Join(dir, "posts")); err != nil {
				return err
			}
			fm[i] = append(fm[i], m)
			fmt.Printf("  round %d  feedmill%d    %s\n", r, i, m)
		}
	}
	var o measure
	if p.old {
		o = median(old)
		fmt.Printf("  median   old system   %s\n", o)
	}
	for i, ms := range fm {
		f := median(ms)
		fmt.Printf("  median   feedmill%d    %s  (%s)\n", i, f, bins[i])
		if p.old {
			fmt.Printf("           old ÷ feedmill%d: wall %.2fx, CPU %.2fx (target 10x); CPU per item %.0f µs\n",
				i, o.wall.Seconds()/f.wall.Seconds(), o.cpu.Seconds()/f.cpu.Seconds(), float64(f.cpu.Microseconds())/float64(want))
		} else {
			fmt.Printf("           CPU per item %.0f µs\n", float64(f.cpu.Microseconds())/float64(want))
		}
		for _, m := range ms {
			if m.posts != want {
				fmt.Printf("           warning: feedmill%d wrote %d posts, not %d\n", i, m.posts, want)
			}
		}
	}
	for _, m := range old {
		if m.posts != want {
			// Two items of one title share a file in the old system.
			fmt.Printf("           note: the old system wrote %d files for %d items\n", m.posts, want)
			break
		}
	}
	return nil
}

func (m measure) String() string {
	return fmt.Sprintf("wall %6.3f s  CPU %6.3f s  peak RSS %4d MB  %d posts",
		m.wall.Seconds(), m.cpu.Seconds(), m.rssKB>>10, m.posts)
}

// median takes each figure's median on its own.
func median(ms []measure) measure {
	pick := func(f func(measure) int64) int64 {
		v := make([]int64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return measure{
		wall:  time.Duration(pick(func(m measure) int64 { return int64(m.wall) })),
		cpu:   time.Duration(pick(func(m measure) int64 { return int64(m.cpu) })),
		rssKB: pick(func(m measure) int64 { return m.rssKB }),
		posts: int(pick(func(m measure) int64 { return int64(m.posts) })),
	}
}

// timed runs cmd and reads its wall time, and its CPU time and peak RSS
// from the kernel's accounting of the child.
func timed(ctx context.Context, cmd *exec.Cmd) (measure, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return measure{}, ctx.Err()
		}
		return measure{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return measure{}, errors.New("no rusage on this system")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return measure{wall: wall, cpu: cpu, rssKB: ru.Maxrss}, nil
}

// forgetPeakRSS returns the memory the feeds were built in and resets
// this process's peak RSS to what it holds now. A child started with
// vfork (as os/exec does) inherits its parent's peak RSS when it execs,
// so the rusage of every command timed after writing 1,000 feeds said
// 203 MB, the bench's own peak, whatever the command used.
func forgetPeakRSS() {
	debug.FreeOSMemory()
	// Linux 4.0 and later: "5" resets the peak RSS (VmHWM).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(path, ".md") {
			n++
		}
		return nil
	})
	return n, err
}

func writeConfig(dir, base string, feeds int) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("output:\n  dir: posts\nstore: feedmill.db\ntimezone: Asia/Shanghai\nsources:\n")
	for i := range feeds {
		fmt.Fprintf(&b, "  - {group: 基准, source: 源%03d, channel: 头条, url: \"file:%s\"}\n",
			i, filepath.Join(base, "feeds", fmt.Sprintf("f%03d.xml", i)))
	}
	path := filepath.Join(dir, "feedmill.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// writeFeeds writes the feeds and the old system's list of them, and
// returns the list's path. The same seed gives the same bytes.
func writeFeeds(base string, feeds, items int) (string, error) {
	dir := filepath.Join(base, "feeds")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(19, 2026))
	var list strings.Builder
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for f := range feeds {
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
<channel>
<title><![CDATA[源%03d - 头条]]></title>
<link>https://news.example.com/s%03d/</link>
<atom:link href="http://127.0.0.1:1200/bench/%03d" rel="self" type="application/rss+xml" />
<description><![CDATA[源%03d - 头条 - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)]]></description>
<generator>RSSHub</generator>
<language>zh-cn</language>
<lastBuildDate>%s</lastBuildDate>
<ttl>5</ttl>
`, f, f, f, f, start.Format(time.RFC1123))
		for i := range items {
			date := start.Add(-time.Duration(f*items+i) * 7 * time.Minute)
			link := fmt.Sprintf("https://news.example.com/s%03d/2026_12_%02d_%06d.shtml", f, 1+i%28, f*items+i)
			fmt.Fprintf(&b, "<item>\n<title><![CDATA[%s]]></title>\n<description><![CDATA[%s]]></description>\n<pubDate>%s</pubDate>\n<guid isPermaLink=\"false\">%s</guid>\n<link>%s</link>\n</item>\n",
				title(rng, f, i), body(rng, f, i), date.Format(time.RFC1123), link, link)
		}
		b.WriteString("</channel>\n</rss>\n")
		path := filepath.Join(dir, fmt.Sprintf("f%03d.xml", f))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(&list, "源%03d\t头条\t%s\n", f, path)
	}
	path := filepath.Join(base, "feeds.tsv")
	return path, os.WriteFile(path, []byte(list.String()), 0o644)
}

var words = []string{
	"外交部", "发言人", "记者会", "经济", "数据", "发布", "增长", "市场", "企业", "科技", "创新",
	"政策", "会议", "合作", "项目", "研究", "报告", "国际", "地区", "发展", "投资", "消费",
}

func phrase(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.String()
}

// title is unique per feed and has what the title rule replaces: a
// colon, curly quotes, brackets.
func title(rng *rand.Rand, f, i int) string {
	return fmt.Sprintf("%s：“%s”第%d号[快讯] %s", phrase(rng, 2), phrase(rng, 2), f*1000+i, phrase(rng, 3))
}

// body is about 5 KB of RSSHub-shaped HTML: images, paragraphs with
// curly quotes, a link, and braces as code or CSS text leaves them.
func body(rng *rand.Rand, f, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<img src="https://img.example.com/news/2026/12/%03d%04d.jpg" width="970px" height="374px" referrerpolicy="no-referrer">`, f, i)
	for b.Len() < 5000 {
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "\n<p><img src=\"https://img.example.com/news/2026/12/%03d%04d-%d.png\"></p>", f, i, b.Len())
		case 1:
			fmt.Fprintf(&b, "\n<p>“%s，”%s说，<a href=\"https://news.example.com/s%03d/%d.shtml\" target=\"_blank\">%s</a>。</p>", phrase(rng, 8), phrase(rng, 2), f, rng.IntN(1e6), phrase(rng, 3))
		case 2:
			fmt.Fprintf(&b, "\n<p>代码 <code>{\"id\": %d, \"tags\": {\"a\": 1}}</code> 与模板 {{ %s }}。</p>", rng.IntN(1e6), phrase(rng, 1))
		default:
			fmt.Fprintf(&b, "\n<p>\n%s，%s。%s“%s”%s。\n</p>", phrase(rng, 12), phrase(rng, 10), phrase(rng, 6), phrase(rng, 3), phrase(rng, 9))
		}
	}
	return b.String()
}
