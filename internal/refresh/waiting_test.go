package refresh_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store"
)

// stalling holds the first transaction that stores items until gate is
// closed, as a commit that waits for a slow disk's flush does.
type stalling struct {
	store.Store
	once    *sync.Once
	stalled chan struct{}
	gate    chan struct{}
}

func (s *stalling) Batch(ctx context.Context, fn func(store.Store) error) error {
	return s.Store.Batch(ctx, func(tx store.Store) error {
		return fn(&stalling{Store: tx, once: s.once, stalled: s.stalled, gate: s.gate})
	})
}

func (s *stalling) InsertItems(ctx context.Context, sourceID int64, items []feed.Item, output int64, paths []string, now time.Time) ([]store.Item, error) {
	s.once.Do(func() {
		close(s.stalled)
		<-s.gate
	})
	return s.Store.InsertItems(ctx, sourceID, items, output, paths, now)
}

// While the writer waits, the workers go on fetching: the sources fetched
// meanwhile wait for it, and none is lost. With little room for them
// (waitingBytes), the workers wait too.
func TestFetchesGoOnWhileTheWriterWaits(t *testing.T) {
	t.Run("room", func(t *testing.T) { testWriterWaits(t, false) })
	t.Run("no room", func(t *testing.T) {
		defer refresh.SetWaitingBytes(4 << 10)() // room for a few of these feeds
		testWriterWaits(t, true)
	})
}

func testWriterWaits(t *testing.T, full bool) {
	const sources = 30 // fewer than the sources that may wait (waitingSources × 2 workers)
	var requests atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		time.Sleep(5 * time.Millisecond) // a few sources to a staging group
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		w.Write(rssFeed(fmt.Sprintf("s%d", n), 2))
	})
	out := t.TempDir()
	r := newRunner(t, out)
	r.Concurrency = 2
	st := &stalling{Store: r.Store.(store.Store), once: &sync.Once{}, stalled: make(chan struct{}), gate: make(chan struct{})}
	r.Store = st
	var srcs []feed.Source
	for i := range sources {
		srcs = append(srcs, feed.Source{Group: "g", Name: "s", Channel: fmt.Sprintf("c%02d", i), URL: fmt.Sprintf("%s/feed/%d", srv.URL, i)})
	}
	done := make(chan error, 1)
	var posts int
	go func() {
		results, err := r.Run(t.Context(), srcs, nil)
		for _, res := range results {
			posts += res.Posts
		}
		done <- err
	}()
	<-st.stalled
	if full {
		time.Sleep(300 * time.Millisecond) // the time to fetch them all
		if got := requests.Load(); got >= sources/2 {
			t.Errorf("%d of %d sources fetched with room for a few to wait", got, sources)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !full && requests.Load() < sources {
		if time.Now().After(deadline) {
			got := requests.Load()
			close(st.gate)
			<-done
			t.Fatalf("the workers fetched %d of %d sources while the writer waited, then stopped", got, sources)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(st.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if posts != 2*sources {
		t.Errorf("%d posts, want %d", posts, 2*sources)
	}
	files, _ := filepath.Glob(filepath.Join(out, "g", "s", "*", "*.md"))
	if len(files) != 2*sources {
		t.Errorf("%d post files, want %d", len(files), 2*sources)
	}
}

// flushRecorder records the bytes of prepared bodies each flush stores
// (HTML, or edits), and how many.
type flushRecorder struct {
	store.Store
	mu      *sync.Mutex
	flushes *[]int
	bodies  *int
}

func (s *flushRecorder) Batch(ctx context.Context, fn func(store.Store) error) error {
	return s.Store.Batch(ctx, func(tx store.Store) error {
		return fn(&flushRecorder{Store: tx, mu: s.mu, flushes: s.flushes, bodies: s.bodies})
	})
}

func (s *flushRecorder) SetPrepared(ctx context.Context, ps []store.Prepared) error {
	n := 0
	for _, p := range ps {
		n += len(p.HTML) + len(p.Edits)
	}
	s.mu.Lock()
	*s.flushes = append(*s.flushes, n)
	*s.bodies += len(ps)
	s.mu.Unlock()
	return s.Store.SetPrepared(ctx, ps)
}

// The bodies a run keeps until they are stored with their posts (here
// changed by cleaning: the image gets its policy; kept as that edit) are
// bounded in bytes, not only in posts: large bodies go to the store in
// more, smaller flushes, and every post is still written once.
func TestFlushesHoldBoundedBodies(t *testing.T) {
	const (
		sources = 40
		items   = 5
		body    = 8 << 10 // a source holds 40 kB of bodies
		bound   = 64 << 10
	)
	defer refresh.SetFlushBytes(bound)()
	defer refresh.SetWaitingBytes(bound)()
	text := strings.Repeat("x", body)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		n := strings.TrimPrefix(r.URL.Path, "/feed/")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>http://example.com/</link>`, n)
		for i := range items {
			fmt.Fprintf(w, "<item><title>%s %d</title><link>http://example.com/%s/%d</link><guid>%s-%d</guid><description>&lt;p&gt;&lt;img src=\"a.jpg\"&gt;%s&lt;/p&gt;</description></item>\n", n, i, n, i, n, i, text)
		}
		w.Write([]byte("</channel></rss>"))
	})
	out := t.TempDir()
	r := newRunner(t, out)
	var flushes []int
	var bodies int
	r.Store = &flushRecorder{Store: r.Store.(store.Store), mu: &sync.Mutex{}, flushes: &flushes, bodies: &bodies}
	var srcs []feed.Source
	for i := range sources {
		srcs = append(srcs, feed.Source{Group: "g", Name: "s", Channel: fmt.Sprintf("c%02d", i), URL: fmt.Sprintf("%s/feed/%d", srv.URL, i)})
	}
	results, err := r.Run(t.Context(), srcs, nil)
	if err != nil {
		t.Fatal(err)
	}
	posts := 0
	for _, res := range results {
		if res.Err != nil {
			t.Fatalf("%s: %v", res.Source.Key(), res.Err)
		}
		posts += res.Posts
	}
	if posts != sources*items {
		t.Errorf("%d posts, want %d", posts, sources*items)
	}
	// A batch is cut once it holds bound (plus the sources staged with
	// the last, at most the waiting room and a source), and the flusher
	// takes at most two such batches more at once.
	const most = 3*bound + bound + items*body
	for _, n := range flushes {
		if n > most {
			t.Errorf("a flush stored %d bytes of bodies, more than %d; flushes: %v", n, most, flushes)
		}
	}
	if bodies != sources*items {
		t.Errorf("the flushes stored %d bodies, want %d", bodies, sources*items)
	}
}
