// Command site measures feedmill's own site build: it fills stores with
// 1,000 to 100,000 generated posts, builds each site in a child process
// (so that the peak memory, Maxrss, is the build's alone), then adds 100
// items to the largest store and measures the incremental build.
//
//	go run ./bench/site                       # 1,000, 5,000, 10,000, 100,000
//	go run ./bench/site -sizes 1000,5000      # fewer
//
// The stores hold each item's cleaned body, as feedmill run keeps them;
// -raw leaves them out, so that the build cleans every body itself.
//
// It is not part of go test: it takes minutes and a few GB of disk.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func main() {
	sizes := flag.String("sizes", "1000,5000,10000,100000", "comma-separated post counts")
	added := flag.Int("incremental", 100, "items added to the largest site before the incremental build")
	dir := flag.String("dir", "", "work folder for the stores (default: a temp folder, removed afterwards)")
	outRoot := flag.String("out", "", "folder the sites are written under (default: the work folder; /dev/shm takes the disk out of the figures)")
	repeat := flag.Int("repeat", 1, "build each full site this many times from scratch and report the fastest (the machine may be shared)")
	childStore := flag.String("child-store", "", "internal: build the site of this store and print its stats")
	childOut := flag.String("child-out", "", "internal: output folder of the child build")
	cpuprofile := flag.String("cpuprofile", "", "internal: write the child's CPU profile here")
	traceFile := flag.String("trace", "", "with -child-store: write an execution trace of the build here (go tool trace)")
	addTo := flag.String("add-to", "", "add -incremental new items to this store and exit (for profiling by hand)")
	raw := flag.Bool("raw", false, "store the items without the cleaned bodies feedmill run keeps, so that the build cleans every body")
	flag.Parse()
	keepBodies = !*raw
	ctx := context.Background()
	if *addTo != "" {
		if err := generate(ctx, *addTo, *added, int(time.Now().Unix()%1000000)); err != nil {
			fmt.Fprintln(os.Stderr, "add:", err)
			os.Exit(1)
		}
		return
	}
	if *childStore != "" {
		if err := child(ctx, *childStore, *childOut, *cpuprofile, *traceFile); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	cfg := benchConfig{sizes: *sizes, added: *added, dir: *dir, out: *outRoot, repeat: max(1, *repeat), profile: *cpuprofile}
	if err := bench(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type benchConfig struct {
	sizes   string
	added   int
	dir     string
	out     string
	repeat  int
	profile string
}

func bench(ctx context.Context, cfg benchConfig) error {
	dir := cfg.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "feedmill-bench-site-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Printf("feedmill site build benchmark: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	outRoot := cfg.out
	if outRoot == "" {
		outRoot = dir
	} else {
		d, err := os.MkdirTemp(outRoot, "feedmill-bench-site-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		outRoot = d
	}
	fmt.Printf("stores in %s, sites in %s; best of %d\n", dir, outRoot, cfg.repeat)
	fmt.Printf("%-26s %7s %7s %8s %9s %9s %9s %9s\n", "case", "posts", "pages", "written", "wall", "process", "CPU", "peak RSS")
	var last string
	for _, s := range strings.Split(cfg.sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("size %q: %w", s, err)
		}
		db := filepath.Join(dir, fmt.Sprintf("posts-%d.db", n))
		out := filepath.Join(outRoot, fmt.Sprintf("public-%d", n))
		t0 := time.Now()
		if _, err := os.Stat(db + ".done"); err != nil {
			os.Remove(db)
			if err := generate(ctx, db, n, 0); err != nil {
				return err
			}
			if err := os.WriteFile(db+".done", nil, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "  (generated %d posts in %s)\n", n, time.Since(t0).Round(time.Millisecond))
		}
		var best *result
		for range cfg.repeat {
			if err := os.RemoveAll(out); err != nil {
				return err
			}
			r, err := measure(db, out, cfg.profile)
			if err != nil {
				return err
			}
			if best == nil || r.wall < best.wall {
				best = r
			}
		}
		best.print(fmt.Sprintf("full build, %d posts", n))
		r, err := measure(db, out, "")
		if err != nil {
			return err
		}
		r.print("rebuild, nothing new")
		last = db + "\x00" + out
	}
	if cfg.added > 0 && last != "" {
		db, out, _ := strings.Cut(last, "\x00")
		// A store kept in -dir may have had new items before: each run adds
		// a fresh batch, newer than every item.
		if err := generate(ctx, db, cfg.added, int(time.Now().Unix()%1000000)); err != nil {
			return err
		}
		r, err := measure(db, out, "")
		if err != nil {
			return err
		}
		r.print(fmt.Sprintf("incremental, +%d items", cfg.added))
	}
	return nil
}

// result is one build as the parent saw it.
type result struct {
	stats childStats
	wall  time.Duration // the build (site.Stats.Duration)
	proc  time.Duration // the child process, start to exit: a cold feedmill build
	cpu   time.Duration // user + system
	rss   int64
}

func (r *result) print(name string) {
	fmt.Printf("%-26s %7d %7d %8d %8.3fs %8.3fs %8.3fs %6.1f MB\n", name, r.stats.Posts, r.stats.PagesTotal, r.stats.PagesWritten,
		r.stats.Duration.Seconds(), r.proc.Seconds(), r.cpu.Seconds(), float64(r.rss)/(1<<20))
}

// measure builds the site of the store db into out in a child process,
// so that its peak memory and CPU time are the build's alone. The wall
// time reported is the build's own (site.Stats.Duration): opening the
// store and starting the process are left out; "process" is the child's
// whole life, as a cron job running feedmill build sees it.
func measure(db, out, profile string) (*result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-child-store", db, "-child-out", out, "-cpuprofile", profile)
	cmd.Stderr = os.Stderr
	start := time.Now()
	data, err := cmd.Output()
	r := &result{proc: time.Since(start)}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &r.stats); err != nil {
		return nil, fmt.Errorf("child said %q: %w", data, err)
	}
	r.wall = r.stats.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	r.rss = r.stats.peak
	return r, nil
}

// peakRSS is the process's peak resident memory, VmHWM. Rusage's Maxrss
// of a child is no good here: a child started with vfork inherits the
// parent's high-water mark when it execs.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// childStats is what the child prints.
type childStats struct {
	site.Stats
	peak int64
}

func (c *childStats) UnmarshalJSON(data []byte) error {
	var v struct {
		Stats site.Stats
		Peak  int64
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	c.Stats, c.peak = v.Stats, v.Peak
	return nil
}

// memoryLimit is what feedmill build sets (cmd/feedmill/build.go).
const memoryLimit = 224 << 20

func child(ctx context.Context, db, out, profile, traceFile string) error {
	// The child builds as feedmill build does, with its soft memory limit.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := site.Options{}
	if os.Getenv("FEEDMILL_BENCH_DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if f := os.Getenv("FEEDMILL_BENCH_WROTE"); f != "" {
		var mu sync.Mutex
		w, err := os.Create(f)
		if err != nil {
			return err
		}
		defer w.Close()
		opts.OnWrite = func(rel string) { mu.Lock(); fmt.Fprintln(w, rel); mu.Unlock() }
	}
	stats, err := site.Build(ctx, st, site.Config{Dir: out, Title: "新闻聚合", BaseURL: "https://news.example.org/"}, opts)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(struct {
		Stats site.Stats
		Peak  int64
	}{stats, peakRSS()})
}

// The generated sites have 200 channels: 10 groups of 4 sources of 5
// channels, as a large RSSHub setup has.
var (
	groups   = []string{"新媒体", "传统媒体", "科技", "财经", "国际", "体育", "文化", "地方", "政务", "博客"}
	channels = []string{"头条", "要闻", "国际", "财经", "评论"}
	words    = []string{"国家统计局", "发布", "经济", "数据", "显示", "长江流域", "防汛", "应急", "响应", "嫦娥六号", "月背", "采样",
		"高校毕业生", "就业", "服务", "铁路", "客流", "高峰", "新能源汽车", "出口", "同比增长", "科学家", "发现", "化石", "会谈", "外交部", "回应"}
)

// keepBodies says generate keeps each item's cleaned body, as feedmill
// run does for its posts (store.SetPrepared).
var keepBodies = true

// generate adds n items spread over the 200 channels, one every five
// minutes back from a fixed date; batch 1 adds them after it (new items).
func generate(ctx context.Context, db string, n, batch int) error {
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	var ids []int64
	for g, group := range groups {
		for s := range 4 {
			for _, ch := range channels {
				row, err := st.EnsureSource(ctx, feed.Source{Group: group, Name: fmt.Sprintf("%s来源%d", group, s+1), Channel: ch,
					URL: fmt.Sprintf("https://rsshub.example/%d/%d/%s", g, s, ch)})
				if err != nil {
					return err
				}
				ids = append(ids, row.ID)
			}
		}
	}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	per := make([][]feed.Item, len(ids))
	for i := range n {
		var at time.Time
		if batch == 0 {
			at = base.Add(-time.Duration(n-i) * 5 * time.Minute)
		} else {
			at = base.Add(time.Duration(batch%86400)*time.Second + time.Duration(i+1)*time.Minute)
		}
		k := i % len(ids)
		per[k] = append(per[k], item(i, batch, at))
	}
	for k, items := range per {
		if len(items) == 0 {
			continue
		}
		seen := base
		if batch > 0 {
			seen = base.Add(30 * 24 * time.Hour) // new items are seen after the old ones
		}
		if _, err := st.InsertItems(ctx, ids[k], items, 0, nil, seen); err != nil {
			return err
		}
		if keepBodies {
			if err := keep(ctx, st, ids[k]); err != nil {
				return err
			}
		}
	}
	// Slugs are given as items arrive, a few per build; giving 100,000 at
	// once is a one-time cost of the first build, kept out of the figures.
	if batch == 0 {
		_, err = st.EnsureSlugs(ctx)
	}
	return err
}

// keep stores the cleaned bodies of the source's unposted items, as
// feedmill run keeps them with the default settings, and marks them
// posted.
func keep(ctx context.Context, st *sqlite.Store, sourceID int64) error {
	out, err := st.EnsureOutput(ctx, "hexo", "source/_posts")
	if err != nil {
		return err
	}
	items, err := st.Items(ctx, sourceID, out.ID, true)
	if err != nil {
		return err
	}
	bodies := make([]store.Prepared, len(items))
	posted := make([]store.Posted, len(items))
	for i, it := range items {
		opts := content.Options{Enclosures: it.Enclosures}
		r := content.Process(it.Content, it.Link, opts)
		bodies[i] = store.NewPrepared(it.ID, opts.Key(), it.Content, r.HTML, r.Image)
		posted[i] = store.Posted{ItemID: it.ID, Output: out.ID}
	}
	return st.Batch(ctx, func(tx store.Store) error {
		if err := tx.SetPosted(ctx, posted, time.Now()); err != nil {
			return err
		}
		return tx.SetPrepared(ctx, bodies)
	})
}

// item is a news item of about 2.5 KB of Chinese HTML with two images.
func item(i, batch int, at time.Time) feed.Item {
	w := func(k int) string { return words[(i*7+k*13)%len(words)] }
	title := fmt.Sprintf("%s%s%s：%s%s %d", w(0), w(1), w(2), w(3), w(4), i)
	var b strings.Builder
	fmt.Fprintf(&b, `<p><img src="https://img.example/%d/%d.jpg" alt=""></p>`, batch, i)
	for p := range 8 {
		b.WriteString("<p>")
		for s := range 6 {
			b.WriteString(w(p*6 + s))
			b.WriteString(w(p*6 + s + 1))
			b.WriteString("，")
		}
		fmt.Fprintf(&b, "记者从有关部门获悉，相关工作正在有序推进（第%d段）。</p>\n", p+1)
		if p == 4 {
			fmt.Fprintf(&b, `<figure><img data-src="https://img.example/%d/%d-b.jpg" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="图"><figcaption>资料图</figcaption></figure>`, batch, i)
		}
	}
	return feed.Item{GUID: fmt.Sprintf("bench-%d-%d", batch, i), Link: fmt.Sprintf("https://news.example/%d/%d.html", batch, i),
		Title: title, Content: b.String(), Published: at}
}
