// Command refresh measures a refresh of many sources end to end: fetch,
// parse, store and publish, against a local server that answers after a
// fixed latency. See bench/README.md for how to run it and what it
// reports.
//
// The server runs in a child process (this program started with -serve),
// so the CPU time and peak memory reported are feedmill's alone.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func main() {
	def := config.Default()
	var (
		serve       = flag.Bool("serve", false, "run as the feed server (internal)")
		sources     = flag.Int("sources", 5000, "number of sources")
		items       = flag.Int("items", 20, "items per feed")
		latency     = flag.Duration("latency", 20*time.Millisecond, "how long the server takes to answer with a feed")
		latency304  = flag.Bool("latency-304", false, "make 304 answers wait the latency too")
		hosts       = flag.Int("hosts", 1, "number of hosts (listeners) the sources are spread over")
		concurrency = flag.Int("concurrency", def.Concurrency, "global fetch concurrency")
		// One server, as the floor (latency × sources ÷
		// concurrency) assumes: a user's own RSSHub, configured with
		// per_host as high as concurrency and no host_delay. The
		// defaults for other people's servers (per_host 2, host_delay
		// 100ms) are -hosts 250 -per-host 2 -host-delay 100ms.
		perHost    = flag.Int("per-host", def.Concurrency, "requests in flight per host")
		hostDelay  = flag.Duration("host-delay", 0, "least time between request starts to one host")
		dir        = flag.String("dir", "", "folder for the store and the posts (default: a temp folder, removed after)")
		cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the passes to `file`")
		traceFile  = flag.String("trace", "", "write an execution trace of the passes to `file` (go tool trace)")
		base       = flag.Bool("baseline", false, "after the passes, time creating as many files in the same folders with os.WriteFile and rename")
		settleFS   = flag.Bool("settle", true, "before the passes, wait while inodes freed in the last six minutes would slow down creating files (ext4 without a journal; see settle.go)")
	)
	flag.Parse()
	if *serve {
		if err := serveFeeds(*hosts, *sources, *items, *latency, *latency304); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	// As feedmill run does (cmd/feedmill: tuneGC), so that the peak
	// memory reported is a run's.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(refresh.GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(refresh.MemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, params{
		sources: *sources, items: *items, latency: *latency, latency304: *latency304, hosts: *hosts,
		concurrency: *concurrency, perHost: *perHost, hostDelay: *hostDelay, dir: *dir, cpuProfile: *cpuProfile, trace: *traceFile, baseline: *base, settle: *settleFS,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type params struct {
	sources, items, hosts, concurrency, perHost int
	latency, hostDelay                          time.Duration
	latency304, baseline, settle                bool
	dir, cpuProfile, trace                      string
}

func run(ctx context.Context, p params) error {
	if p.dir == "" {
		d, err := os.MkdirTemp("", "feedmill-bench-")
		if err != nil {
			return err
		}
		defer removeTree(d)
		p.dir = d
	}
	if p.settle {
		if err := settle(p.dir); err != nil {
			return err
		}
	}
	addrs, server, err := startServer(p)
	if err != nil {
		return err
	}
	defer func() {
		server.Process.Signal(os.Interrupt)
		server.Wait()
	}()

	st, err := sqlite.Open(ctx, filepath.Join(p.dir, "feedmill.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	def := config.Default()
	runner := &refresh.Runner{
		Fetch: fetch.New(fetch.Options{
			Timeout:        def.Timeout.Std(),
			ConnectTimeout: def.ConnectTimeout.Std(),
			MaxBytes:       def.MaxBytes,
			UserAgent:      def.UserAgent,
			Concurrency:    p.concurrency,
			PerHost:        p.perHost,
			HostDelay:      p.hostDelay,
		}),
		Store:       st,
		Outputs:     []refresh.Output{{Dir: filepath.Join(p.dir, "posts"), Format: hexo.Format{}, Name: "posts"}},
		Location:    time.UTC,
		Concurrency: p.concurrency,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	// Sources are listed host by host, as a configuration lists an
	// RSSHub's routes together.
	srcs := make([]feed.Source, p.sources)
	for i := range srcs {
		h := i * p.hosts / p.sources
		srcs[i] = feed.Source{
			Group: "bench", Name: fmt.Sprintf("host%03d", h), Channel: fmt.Sprintf("route%05d", i),
			URL: fmt.Sprintf("http://%s/feed/%d", addrs[h], i),
		}
	}

	if p.cpuProfile != "" {
		stopProfile, err := startProfile(p.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	if p.trace != "" {
		stopTrace, err := startTrace(p.trace)
		if err != nil {
			return err
		}
		defer stopTrace()
	}
	floor := p.latency * time.Duration(p.sources) / time.Duration(p.concurrency)
	fmt.Printf("feedmill bench: %d sources x %d items on %d hosts, latency %s, concurrency %d, per_host %d, host_delay %s, %d CPUs, load %s\n",
		p.sources, p.items, p.hosts, p.latency, p.concurrency, p.perHost, p.hostDelay, runtime.NumCPU(), loadAvg())
	var first, firstCPU time.Duration
	for pass := 1; pass <= 2; pass++ {
		cpu0, wchar0 := cpuTime(), writtenBytes()
		start := time.Now()
		results, err := runner.Run(ctx, srcs, nil)
		wall := time.Since(start)
		cpu := cpuTime() - cpu0
		if err != nil {
			return fmt.Errorf("pass %d: %w", pass, err)
		}
		failed, posts, notModified := 0, 0, 0
		var firstErr error
		for _, r := range results {
			if r.Err != nil {
				failed++
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", r.Source.Key(), r.Err)
				}
			}
			posts += r.Posts
			if r.NotModified {
				notModified++
			}
		}
		fmt.Printf("pass %d: wall %s, CPU %s (%.0f%% of one core), %d posts, %d not modified, %d failed",
			pass, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(), posts, notModified, failed)
		if pass == 1 {
			first, firstCPU = wall, cpu
			fmt.Printf("; floor %s, %.2fx the floor (target <= 1.5x)\n", floor, wall.Seconds()/floor.Seconds())
			fmt.Printf("  %s\n", perSource(results, p.concurrency))
			if w := writtenBytes(); w >= 0 && wchar0 >= 0 {
				fmt.Printf("  written by write calls (posts, store, WAL, checkpoints): %d MB\n", (w-wchar0)>>20)
			}
		} else {
			fmt.Printf("; %.1fx faster than pass 1 (target >= 5x)\n", first.Seconds()/wall.Seconds())
		}
		if firstErr != nil {
			fmt.Printf("  first failure: %v\n", firstErr)
		}
	}
	if p.baseline {
		bdir := filepath.Join(p.dir, "baseline")
		wall, cpu, err := baseline(bdir, p)
		removeTree(bdir)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		fmt.Printf("baseline: %d files written and renamed in the same folders: wall %s, CPU %s; pass 1 is %.2fx its wall, %.2fx its CPU\n",
			p.sources*p.items, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), first.Seconds()/wall.Seconds(), firstCPU.Seconds()/cpu.Seconds())
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("peak memory (maxrss) %d MB; Go heap now %d MB, runtime total %d MB\n", ru.Maxrss>>10, ms.HeapAlloc>>20, ms.Sys>>20)
	return nil
}

// perSource sums up how long the sources took from the request to the
// parsed feed (refresh.Result.Duration). At concurrency sources at a time,
// their mean bounds pass 1 from below, whatever comes after the parse.
func perSource(results []refresh.Result, concurrency int) string {
	ds := make([]time.Duration, 0, len(results))
	var sum time.Duration
	for _, r := range results {
		ds = append(ds, r.Duration)
		sum += r.Duration
	}
	if len(ds) == 0 {
		return "no sources"
	}
	slices.Sort(ds)
	q := func(f float64) time.Duration { return ds[int(f*float64(len(ds)-1))].Round(100 * time.Microsecond) }
	return fmt.Sprintf("per source, request to parsed feed: mean %s, p50 %s, p90 %s, p99 %s; %d at a time, that alone is %s",
		(sum / time.Duration(len(ds))).Round(100*time.Microsecond), q(.5), q(.9), q(.99), concurrency, (sum / time.Duration(max(1, concurrency))).Round(10*time.Millisecond))
}

// writtenBytes is what this process has written with write calls so far
// (wchar in /proc/self/io), or -1 where that is not known.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// startServer starts this program as the feed server and reads the
// addresses of its listeners.
func startServer(p params) ([]string, *exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(self, "-serve", "-hosts", strconv.Itoa(p.hosts), "-sources", strconv.Itoa(p.sources), "-items", strconv.Itoa(p.items),
		"-latency", p.latency.String(), fmt.Sprintf("-latency-304=%v", p.latency304))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	sc := bufio.NewScanner(out)
	var addrs []string
	for len(addrs) < p.hosts && sc.Scan() {
		addrs = append(addrs, sc.Text())
	}
	if len(addrs) < p.hosts {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, nil, fmt.Errorf("the server gave %d of %d addresses", len(addrs), p.hosts)
	}
	go io.Copy(io.Discard, out)
	return addrs, cmd, nil
}

// serveFeeds listens on hosts loopback ports and serves /feed/N: a feed of
// items items that never changes, after latency; a request carrying its
// ETag gets a 304, at once unless latency304 is set (a server checks a
// validator without building the feed). The feeds of the first sources
// are rendered before it listens, as RSSHub's cache would hold them: the
// server shares the CPUs with feedmill, and what it spends is not
// feedmill's cost.
func serveFeeds(hosts, sources, items int, latency time.Duration, latency304 bool) error {
	docs := make([][]byte, sources)
	for n := range docs {
		docs[n] = feedXML(n, items)
	}
	var answered, answerTime atomic.Int64 // feeds sent, and their handlers' time
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"feed-%d-v1"`, n)
		if r.Header.Get("If-None-Match") == etag {
			if latency304 {
				time.Sleep(latency)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
		time.Sleep(latency)
		doc := []byte(nil)
		if n >= 0 && n < len(docs) {
			doc = docs[n]
		} else {
			doc = feedXML(n, items)
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		w.Header().Set("ETag", etag)
		w.Write(doc)
		answered.Add(1)
		answerTime.Add(int64(time.Since(start)))
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	out := bufio.NewWriter(os.Stdout)
	for range hosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		fmt.Fprintln(out, ln.Addr().String())
		go srv.Serve(ln)
	}
	out.Flush()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if n := answered.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "bench server: %d feeds sent, %s from request to feed written on average (the latency is %s)\n",
			n, (time.Duration(answerTime.Load() / n)).Round(10*time.Microsecond), latency)
	}
	return nil
}

// feedXML is feed n: items items in the shape of an RSSHub route, with a
// paragraph of text and an image each.
func feedXML(n, items int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel><title><![CDATA[Route %d]]></title><link>https://example.com/route/%d</link><description><![CDATA[Route %d - Made with love by RSSHub]]></description><generator>RSSHub</generator><language>zh-cn</language><ttl>5</ttl>
`, n, n, n)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range items {
		fmt.Fprintf(&b, `<item><title><![CDATA[Route %d headline number %d about something that happened]]></title><description><![CDATA[<p><img src="https://img.example.com/%d/%d.jpg"></p><p>%s</p>]]></description><pubDate>%s</pubDate><guid isPermaLink="false">https://example.com/route/%d/%d</guid><link>https://example.com/route/%d/%d</link></item>
`, n, i, n, i, strings.Repeat("Some paragraph text of the article. ", 12), base.Add(-time.Duration(i)*time.Hour).Format(time.RFC1123), n, i, n, i)
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}
