// Package storetest is the behaviour every store.Store backend must have,
// as one suite that each backend's tests run against a fresh store.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Run runs the suite; open returns a fresh, empty store for each case.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, s store.Store)
	}{
		{"EnsureSourceIsIdempotent", testEnsureSource},
		{"FetchState", testFetchState},
		{"AddItemsOncePerIdentity", testAddItems},
		{"PostPaths", testPostPaths},
		{"RetireAndPostHashes", testRetire},
		{"FetchURL", testFetchURL},
		{"Batch", testBatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, t.Context(), open(t))
		})
	}
}

var src = feed.Source{Group: "新媒体", Name: "观察者网", Channel: "头条", URL: "https://rsshub.example.com/guancha/headline"}

func testEnsureSource(t *testing.T, ctx context.Context, s store.Store) {
	a, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.Key != "新媒体/观察者网/头条" || a.URL != src.URL {
		t.Errorf("first %+v, second %+v", a, b)
	}
	moved := src
	moved.URL = "https://other.example.com/feed"
	c, err := s.EnsureSource(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != a.ID || c.URL != moved.URL {
		t.Errorf("after URL change: %+v", c)
	}
	all, err := s.Sources(ctx)
	if err != nil || len(all) != 1 {
		t.Errorf("Sources = %v, %v", all, err)
	}
}

func testFetchState(t *testing.T, ctx context.Context, s store.Store) {
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2022, 1, 28, 10, 0, 0, 0, time.UTC)
	for i := range 2 {
		if err := s.RecordFailure(ctx, row.ID, "HTTP 500", at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	row, _ = s.EnsureSource(ctx, src)
	if row.ConsecutiveErrors != 2 || row.LastError != "HTTP 500" || !row.LastErrorAt.Equal(at.Add(time.Minute)) {
		t.Errorf("after failures: %+v", row)
	}
	if err := s.RecordSuccess(ctx, row.ID, store.FetchResult{At: at.Add(time.Hour), ETag: `"v1"`, LastModified: "Fri, 28 Jan 2022 10:00:00 GMT"}); err != nil {
		t.Fatal(err)
	}
	row, _ = s.EnsureSource(ctx, src)
	if row.ConsecutiveErrors != 0 || row.LastError != "" || row.ETag != `"v1"` || row.LastModified == "" || !row.LastSuccess.Equal(at.Add(time.Hour)) {
		t.Errorf("after success: %+v", row)
	}
	moved := src
	moved.URL = "https://moved.example.com/"
	row, _ = s.EnsureSource(ctx, moved)
	if row.ETag != "" || row.LastModified != "" {
		t.Errorf("validators kept across a URL change: %+v", row)
	}
}

func testAddItems(t *testing.T, ctx context.Context, s store.Store) {
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	pub := time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC)
	items := []feed.Item{
		{GUID: "a", Title: "A", Content: "<p>a</p>", Published: pub, Categories: []string{"x"}, Enclosures: []feed.Enclosure{{URL: "https://e/a.mp3", Type: "audio/mpeg"}}},
		{Link: "https://b", Title: "B"},
		{Title: "C", Content: "c"},
	}
	now := time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC)
	n, err := s.AddItems(ctx, row.ID, items, now)
	if err != nil || n != 3 {
		t.Fatalf("AddItems = %d, %v", n, err)
	}
	changed := items[0]
	changed.Title = "A changed"
	n, err = s.AddItems(ctx, row.ID, append(items, changed, feed.Item{GUID: "d", Title: "D"}), now.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("second AddItems = %d, %v; want 1 new", n, err)
	}
	got, err := s.Items(ctx, row.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d unposted items", len(got))
	}
	a := got[0]
	if a.Title != "A" || a.Identity != "guid:a" || !a.Published.Equal(pub) || !a.FirstSeen.Equal(now) || a.Posted || a.PostPath != "" ||
		len(a.Categories) != 1 || len(a.Enclosures) != 1 || a.Enclosures[0].Type != "audio/mpeg" || a.RandomN < 0 || a.RandomN > 10000 {
		t.Errorf("stored item: %+v", a)
	}
	if !got[1].Published.IsZero() {
		t.Errorf("undated item has date %v", got[1].Published)
	}
}

func testPostPaths(t *testing.T, ctx context.Context, s store.Store) {
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddItems(ctx, row.ID, []feed.Item{{GUID: "1", Title: "Same"}, {GUID: "2", Title: "Same"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Items(ctx, row.ID, true)
	const path = "新媒体/观察者网/头条/Same.md"
	if err := s.SetPostPath(ctx, items[0].ID, path); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPostPath(ctx, items[1].ID, path); !errors.Is(err, store.ErrPathTaken) {
		t.Errorf("second owner: err = %v, want ErrPathTaken", err)
	}
	id, ok, err := s.PathOwner(ctx, path)
	if err != nil || !ok || id != items[0].ID {
		t.Errorf("PathOwner = %d, %v, %v", id, ok, err)
	}
	if _, ok, _ := s.PathOwner(ctx, "nobody.md"); ok {
		t.Error("PathOwner found an owner for a free path")
	}
	if err := s.MarkPosted(ctx, []int64{items[0].ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPosted(ctx, []int64{items[1].ID, 1 << 40}, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkPosted of a missing item: %v", err)
	}
	// The failed batch marked nothing, not even the item that exists.
	unposted, _ := s.Items(ctx, row.ID, true)
	all, _ := s.Items(ctx, row.ID, false)
	if len(unposted) != 1 || len(all) != 2 || !all[0].Posted || all[0].PostPath != path {
		t.Errorf("unposted %d, all %+v", len(unposted), all)
	}
}
