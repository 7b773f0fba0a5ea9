// Command fleet measures a fleet of fetchers over PostgreSQL: N
// `feedmill serve --role fetch` processes refresh S sources of I items
// from a local server that answers after a fixed latency, twice (the
// second pass all 304s), for each N given. It prints each pass's time
// against its floor (latency × sources ÷ total concurrency), and the
// store's cost per item on PostgreSQL against SQLite's, measured in the
// same run. See bench/README.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/postgres"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func main() {
	var (
		serve       = flag.Bool("serve", false, "run as the feed server (internal)")
		admin       = flag.String("postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "a database to create the bench's databases from")
		sources     = flag.Int("sources", 5000, "number of sources")
		items       = flag.Int("items", 20, "items per feed")
		latency     = flag.Duration("latency", 200*time.Millisecond, "how long the server takes to answer with a feed (a 304 at once)")
		fetchers    = flag.String("fetchers", "1,2,4", "numbers of fetch processes to run, one measurement each")
		concurrency = flag.Int("concurrency", 16, "fetch concurrency of each process")
		bin         = flag.String("feedmill", "", "the feedmill binary, or several separated by commas, measured in turn for each number of fetchers (default: built from ./cmd/feedmill)")
	)
	flag.Parse()
	if *serve {
		serveFeeds(*items, *latency)
		return
	}
	if err := run(*admin, *sources, *items, *latency, *fetchers, *concurrency, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench fleet:", err)
		os.Exit(1)
	}
}

func run(admin string, sources, items int, latency time.Duration, fetchers string, concurrency int, bin string) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "feedmill-bench-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "feedmill")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/feedmill").CombinedOutput(); err != nil {
			return fmt.Errorf("build feedmill: %v\n%s", err, out)
		}
	}
	bins := strings.Split(bin, ",")
	// The server is a child process, so that its CPU is not the fleet's.
	self, _ := os.Executable()
	srv := exec.Command(self, "-serve", "-items", strconv.Itoa(items), "-latency", latency.String())
	srv.Stderr = os.Stderr
	out, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill()
	buf := make([]byte, 64)
	n, err := out.Read(buf)
	if err != nil {
		return fmt.Errorf("bench server: %w", err)
	}
	base := strings.TrimSpace(string(buf[:n]))

	for _, group := range []int{1, 64} {
		pgItem, sqliteItem, err := storeCost(ctx, admin, tmp, group)
		if err != nil {
			return err
		}
		fmt.Printf("store cost per item (InsertItems + SetPrepared of 20-item feeds, %d a transaction, one process): postgres %s, sqlite %s (%.1fx); load %s\n",
			group, pgItem.Round(time.Microsecond/10), sqliteItem.Round(time.Microsecond/10), float64(pgItem)/float64(sqliteItem), loadAverage())
	}

	for _, f := range strings.Split(fetchers, ",") {
		nf, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || nf < 1 {
			return fmt.Errorf("-fetchers %q", fetchers)
		}
		// Binaries take turns, so that a change in the machine's load
		// falls on each about alike.
		for _, b := range bins {
			if err := measure(ctx, admin, tmp, b, base, sources, nf, concurrency, latency); err != nil {
				return err
			}
		}
	}
	return nil
}

// measure runs nf fetchers over a fresh database: pass 1 fetches every
// source, pass 2 (every source made due again) gets 304s.
func measure(ctx context.Context, admin, tmp, bin, base string, sources, nf, concurrency int, latency time.Duration) error {
	dsn, drop, err := createDB(ctx, admin)
	if err != nil {
		return err
	}
	defer drop()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	cfgPath := filepath.Join(tmp, fmt.Sprintf("fleet-%d.yaml", nf))
	var cfg strings.Builder
	// One host, as the floor assumes: per_host lets every
	// process's workers in at once; no host_delay.
	fmt.Fprintf(&cfg, "store: %s\noutput:\n  dir: %s\nconcurrency: %d\nper_host: %d\nhost_delay: 0s\ninterval: 1h\nsources:\n",
		dsn, filepath.Join(tmp, "out"), concurrency, nf*concurrency)
	for i := range sources {
		fmt.Fprintf(&cfg, "  - {group: g%d, source: s%d, channel: c%d, url: %s/f/%d}\n", i/500, i/50, i, base, i)
	}
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	// Rows first, so that the fetchers start from the same state.
	var srcs []feed.Source
	for i := range sources {
		srcs = append(srcs, feed.Source{Group: fmt.Sprintf("g%d", i/500), Name: fmt.Sprintf("s%d", i/50), Channel: fmt.Sprintf("c%d", i), URL: fmt.Sprintf("%s/f/%d", base, i)})
	}
	if err := st.Batch(ctx, func(tx store.Store) error {
		for _, s := range srcs {
			if _, err := tx.EnsureSource(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var procs []*exec.Cmd
	start := time.Now()
	for range nf {
		cmd := exec.Command(bin, "serve", "--config", cfgPath, "--role", "fetch", "--listen", "127.0.0.1:0", "--no-site")
		log, _ := os.Create(filepath.Join(tmp, fmt.Sprintf("fetch-%d-%d.log", nf, len(procs))))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
	}
	defer func() {
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
		}
	}()
	count := func(q string, args ...any) int {
		var n int
		if err := st.Pool().QueryRow(ctx, q, args...).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	wait := func(since time.Time) (time.Duration, error) {
		deadline := time.Now().Add(30 * time.Minute)
		for count(`SELECT COUNT(*) FROM sources WHERE last_success_at >= $1`, since.UnixNano()) < sources {
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("%d fetchers: not done after 30 minutes", nf)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(since), nil
	}
	pass1, err := wait(start)
	if err != nil {
		return err
	}
	stored := count(`SELECT COUNT(*) FROM items`)
	floor := time.Duration(float64(latency) * float64(sources) / float64(nf*concurrency))
	if _, err := st.Pool().Exec(ctx, `UPDATE sources SET next_due_at = NULL`); err != nil {
		return err
	}
	start2 := time.Now()
	pass2, err := wait(start2)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d fetcher(s) x %d workers: pass 1 %s (floor %s, %.2fx), %d items stored; pass 2 (all 304) %s, %.1fx faster than pass 1; load %s\n",
		filepath.Base(bin), nf, concurrency, pass1.Round(time.Millisecond), floor.Round(time.Millisecond), float64(pass1)/float64(floor), stored,
		pass2.Round(time.Millisecond), float64(pass1)/float64(pass2), loadAverage())
	return nil
}

// storeCost times storing feeds on both backends: InsertItems then
// SetPrepared, with group feeds in a transaction (1: a commit each; a
// fetcher stages the sources fetched together in one).
func storeCost(ctx context.Context, admin, tmp string, group int) (pg, lite time.Duration, err error) {
	const nsrc, nitems = 320, 20
	dsn, drop, err := createDB(ctx, admin)
	if err != nil {
		return 0, 0, err
	}
	defer drop()
	p, err := postgres.Open(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	l, err := sqlite.Open(ctx, filepath.Join(tmp, fmt.Sprintf("cost-%d.db", group)))
	if err != nil {
		return 0, 0, err
	}
	defer l.Close()
	for i, st := range []store.Store{p, l} {
		var took time.Duration
		for first := 0; first < nsrc; first += group {
			type src struct {
				id  int64
				its []feed.Item
			}
			var srcs []src
			for s := first; s < min(nsrc, first+group); s++ {
				row, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: fmt.Sprint(s), URL: fmt.Sprint("https://e/", s)})
				if err != nil {
					return 0, 0, err
				}
				its := make([]feed.Item, nitems)
				for k := range its {
					its[k] = feed.Item{GUID: fmt.Sprint(s, "-", k), Title: fmt.Sprint("item ", k), Content: strings.Repeat("<p>body text</p>", 40)}
				}
				srcs = append(srcs, src{row.ID, its})
			}
			t0 := time.Now()
			err = st.Batch(ctx, func(tx store.Store) error {
				for _, s := range srcs {
					added, err := tx.InsertItems(ctx, s.id, s.its, 0, nil, time.Now())
					if err != nil {
						return err
					}
					bodies := make([]store.Prepared, len(added))
					for k, it := range added {
						bodies[k] = store.Prepared{ItemID: it.ID, Key: "k", HTML: it.Content}
					}
					if err := tx.SetPrepared(ctx, bodies); err != nil {
						return err
					}
				}
				return nil
			})
			took += time.Since(t0)
			if err != nil {
				return 0, 0, err
			}
		}
		per := took / (nsrc * nitems)
		if i == 0 {
			pg = per
		} else {
			lite = per
		}
	}
	return pg, lite, nil
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes.
func loadAverage() string {
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

func createDB(ctx context.Context, admin string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "feedmill_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	}
	return u.String(), drop, nil
}

// serveFeeds answers /f/N with a feed of items items after latency, and
// with a 304 at once to a request that names its ETag. It prints its
// base URL.
func serveFeeds(items int, latency time.Duration) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	var served atomic.Int64
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := strings.TrimPrefix(r.URL.Path, "/f/")
		etag := `"` + n + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		time.Sleep(latency)
		served.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>`)
		for i := range items {
			fmt.Fprintf(&b, `<item><title>%s item %d</title><guid>%s-%d</guid><pubDate>Mon, 07 Dec 2026 %02d:00:00 GMT</pubDate><description>&lt;p&gt;%s&lt;/p&gt;</description></item>`,
				n, i, n, i, i%24, strings.Repeat("body text ", 40))
		}
		b.WriteString(`</channel></rss>`)
		fmt.Fprint(w, b.String())
	}))
}
