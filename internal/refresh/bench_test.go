package refresh_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// BenchmarkRun measures parse → post throughput: 10,000 items in 10 feeds
// served locally, into a fresh SQLite store and output folder each time.
//
//	go test -run '^$' -bench Run -benchtime 5x ./internal/refresh/
func BenchmarkRun(b *testing.B) {
	const sources, perSource = 10, 1000
	body := strings.Repeat("<p>观察者网讯，这是一段用于基准测试的正文，长度与真实新闻相近。</p>\n", 20) +
		`<img src="https://i.example.com/a.jpg" referrerpolicy="no-referrer">` + "\n"
	docs := make([]string, sources)
	for s := range sources {
		items := make([]string, perSource)
		for i := range perSource {
			when := time.Date(2022, 1, 28, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Minute).Format(time.RFC1123)
			items[i] = fmt.Sprintf("第%d条新闻：标题 %d-%d|%d-%d|%s|%s", i, s, i, s, i, when, body)
		}
		docs[s] = rss(items...)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s int
		fmt.Sscanf(r.URL.Path, "/feed/%d", &s)
		w.Write([]byte(docs[s]))
	}))
	defer srv.Close()
	srcs := make([]feed.Source, sources)
	for s := range sources {
		srcs[s] = feed.Source{Group: "g", Name: "s", Channel: fmt.Sprint(s), URL: fmt.Sprintf("%s/feed/%d", srv.URL, s)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		st, err := sqlite.Open(b.Context(), filepath.Join(dir, "feedmill.db"))
		if err != nil {
			b.Fatal(err)
		}
		r := &refresh.Runner{
			Fetch:       fetch.New(fetch.Options{Timeout: time.Minute, MaxBytes: 1 << 30, UserAgent: "bench"}),
			Store:       st,
			Outputs:     []refresh.Output{{Dir: filepath.Join(dir, "posts"), Format: hexo.Format{}, Name: "posts"}},
			Location:    time.UTC,
			Concurrency: 16,
		}
		b.StartTimer()
		res, err := r.Run(b.Context(), srcs, nil)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range res {
			if x.Err != nil || x.Posts != perSource {
				b.Fatalf("%+v", x)
			}
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(sources*perSource*b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkBaselineFiles is the floor BenchmarkRun is compared against in
// the same command: writing the same number of post-sized files with
// os.WriteFile, with no fetching, parsing, store or renames.
func BenchmarkBaselineFiles(b *testing.B) {
	const files = 10_000
	data := []byte(strings.Repeat("<p>观察者网讯，这是一段用于基准测试的正文，长度与真实新闻相近。</p>\n", 21))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		for s := range 10 {
			os.MkdirAll(filepath.Join(dir, fmt.Sprint(s)), 0o755)
		}
		b.StartTimer()
		for f := range files {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(f%10), fmt.Sprintf("%d.md", f)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "items/s")
}
