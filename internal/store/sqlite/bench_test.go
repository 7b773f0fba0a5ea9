package sqlite_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// BenchmarkRefreshWrites makes the store writes of a first refresh of 500
// sources of 20 items, as internal/refresh batches them: the items of 64
// sources stored with their post paths in one transaction, then marked
// posted, with their prepared bodies and the sources' fetch records, in
// another. It is the store's share of bench/refresh's first pass.
func BenchmarkRefreshWrites(b *testing.B) {
	const sources, perSource, group = 500, 20, 64
	body := "<p><img src=\"https://img.example.com/1.jpg\"></p><p>" + strings.Repeat("Some paragraph text of the article. ", 12) + "</p>"
	// The body as the content stage prepares it: the image gets its policy.
	cleaned := strings.Replace(body, `.jpg">`, `.jpg" referrerpolicy="no-referrer">`, 1)
	srcs := make([]feed.Source, sources)
	items := make([][]feed.Item, sources)
	paths := make([][]string, sources)
	for s := range sources {
		srcs[s] = feed.Source{Group: "g", Name: fmt.Sprint("s", s/10), Channel: fmt.Sprint("c", s), URL: fmt.Sprintf("http://h/%d", s)}
		for i := range perSource {
			title := fmt.Sprintf("Route %d headline number %d about something that happened", s, i)
			items[s] = append(items[s], feed.Item{GUID: fmt.Sprintf("https://example.com/route/%d/%d", s, i), Link: fmt.Sprintf("https://example.com/route/%d/%d", s, i),
				Title: title, Content: body, Published: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(-time.Duration(i) * time.Hour)})
			paths[s] = append(paths[s], srcs[s].Group+"/"+srcs[s].Name+"/"+srcs[s].Channel+"/"+title+".md")
		}
	}
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "feedmill.db"))
		if err != nil {
			b.Fatal(err)
		}
		out, err := st.EnsureOutput(b.Context(), "hexo", "source/_posts")
		if err != nil {
			b.Fatal(err)
		}
		rows := make([]store.Source, sources)
		for s, src := range srcs {
			if rows[s], err = st.EnsureSource(b.Context(), src); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		cpu0 := cpuTime()
		ctx := b.Context()
		now := time.Now()
		for start := 0; start < sources; start += group {
			end := min(sources, start+group)
			var posted []store.Posted
			var prepared []store.Prepared
			err := st.Batch(ctx, func(tx store.Store) error {
				for s := start; s < end; s++ {
					if _, err := tx.Items(ctx, rows[s].ID, out.ID, true); err != nil {
						return err
					}
					added, err := tx.InsertItems(ctx, rows[s].ID, items[s], out.ID, paths[s], now)
					if err != nil {
						return err
					}
					for _, it := range added {
						posted = append(posted, store.Posted{ItemID: it.ID, Output: out.ID, Hash: "0123456789abcdef0123456789abcdef"})
						prepared = append(prepared, store.NewPrepared(it.ID, "0123456789abcdef01234567", body, cleaned, ""))
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			err = st.Batch(ctx, func(tx store.Store) error {
				if err := tx.SetPosted(ctx, posted, now); err != nil {
					return err
				}
				if err := tx.SetPrepared(ctx, prepared); err != nil {
					return err
				}
				for s := start; s < end; s++ {
					if err := tx.RecordSuccess(ctx, rows[s].ID, store.FetchResult{ETag: `"x"`, At: now}); err != nil {
						return err
					}
					if err := tx.SetSchedule(ctx, rows[s].ID, store.Schedule{NextDue: now.Add(time.Hour)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime() - cpu0
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sources*perSource), "ns/item")
	// CPU time is steadier than wall time on a machine others share.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*sources*perSource), "cpu-ns/item")
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEnsureSources ensures 5,000 sources in one transaction, as a
// run does before its first fetch: on a new store (every source is
// inserted), then again (every source is there).
func BenchmarkEnsureSources(b *testing.B) {
	srcs := make([]feed.Source, 5000)
	for i := range srcs {
		srcs[i] = feed.Source{Group: "bench", Name: fmt.Sprintf("host%03d", i/20), Channel: fmt.Sprintf("route%05d", i), URL: fmt.Sprintf("http://h/feed/%d", i)}
	}
	ensure := func(st *sqlite.Store) {
		err := st.Batch(b.Context(), func(tx store.Store) error {
			for _, src := range srcs {
				if _, err := tx.EnsureSource(b.Context(), src); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "feedmill.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ensure(st)
		ensure(st)
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkRecordFetches records the fetches of 5,000 sources in one
// call, as a refresh's pass of 304s does batch by batch: a success with
// its validators and the next due time for each.
func BenchmarkRecordFetches(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "feedmill.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fetches := make([]store.Fetch, 5000)
	err = st.Batch(b.Context(), func(tx store.Store) error {
		for i := range fetches {
			row, err := tx.EnsureSource(b.Context(), feed.Source{Group: "bench", Name: fmt.Sprintf("host%03d", i/20), Channel: fmt.Sprintf("route%05d", i), URL: fmt.Sprintf("http://h/feed/%d", i)})
			if err != nil {
				return err
			}
			fetches[i].SourceID = row.ID
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	cpu0 := cpuTime()
	for b.Loop() {
		now = now.Add(time.Minute)
		for i := range fetches {
			fetches[i].Result = store.FetchResult{At: now, ETag: `"0123456789abcdef"`, LastModified: now.Format(time.RFC1123)}
			fetches[i].Schedule = store.Schedule{NextDue: now.Add(time.Hour)}
		}
		if err := st.RecordFetches(b.Context(), fetches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(fetches)), "ns/fetch")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*len(fetches)), "cpu-ns/fetch")
}
