package refresh_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// checkpointing counts the checkpoints of a store and the posts marked
// posted.
type checkpointing struct {
	*sqlite.Store
	checkpoints atomic.Int32
	marked      atomic.Int32
}

func (s *checkpointing) Checkpoint(ctx context.Context) error {
	s.checkpoints.Add(1)
	return s.Store.Checkpoint(ctx)
}

func (s *checkpointing) Batch(ctx context.Context, fn func(store.Store) error) error {
	return s.Store.Batch(ctx, func(tx store.Store) error { return fn(&marking{Store: tx, marked: &s.marked}) })
}

type marking struct {
	store.Store
	marked *atomic.Int32
}

func (m *marking) SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error {
	m.marked.Add(int32(len(posts)))
	return m.Store.SetPosted(ctx, posts, at)
}

// A Runner whose caller closes the store after Run (Closing) checkpoints
// the store's log once, and every post is still written and marked
// posted; one that does not leaves the log alone.
func TestClosingCheckpointsTheStore(t *testing.T) {
	const sources, items = 12, 5
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		w.Write(rssFeed(fmt.Sprintf("s%d", n), items))
	})
	var srcs []feed.Source
	for i := range sources {
		srcs = append(srcs, feed.Source{Group: "g", Name: "s", Channel: fmt.Sprintf("c%02d", i), URL: fmt.Sprintf("%s/feed/%d", srv.URL, i)})
	}
	for _, closing := range []bool{false, true} {
		t.Run(fmt.Sprintf("closing=%v", closing), func(t *testing.T) {
			r := newRunner(t, t.TempDir())
			st := &checkpointing{Store: r.Store.(*sqlite.Store)}
			r.Store, r.Closing = st, closing
			results, err := r.Run(t.Context(), srcs, nil)
			if err != nil {
				t.Fatal(err)
			}
			posts := 0
			for _, res := range results {
				posts += res.Posts
			}
			if posts != sources*items || st.marked.Load() != sources*items {
				t.Errorf("%d posts written, %d marked posted, want %d", posts, st.marked.Load(), sources*items)
			}
			want := int32(0)
			if closing {
				want = 1
			}
			if n := st.checkpoints.Load(); n != want {
				t.Errorf("%d checkpoints, want %d", n, want)
			}
		})
	}
}
