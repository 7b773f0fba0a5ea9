package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// testFetchURL: a moved source is fetched from its new URL until its
// configured URL changes.
func testFetchURL(t *testing.T, ctx context.Context, s store.Store) {
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if row.FetchURL != "" {
		t.Errorf("new source has FetchURL %q", row.FetchURL)
	}
	if err := s.SetFetchURL(ctx, row.ID, "https://moved.example.com/feed"); err != nil {
		t.Fatal(err)
	}
	if row, _ = s.EnsureSource(ctx, src); row.FetchURL != "https://moved.example.com/feed" {
		t.Errorf("after SetFetchURL and the same configured URL: FetchURL %q", row.FetchURL)
	}
	changed := src
	changed.URL = "https://other.example.com/feed"
	if row, _ = s.EnsureSource(ctx, changed); row.FetchURL != "" {
		t.Errorf("after the configured URL changed: FetchURL %q, want it cleared", row.FetchURL)
	}
	if err := s.SetFetchURL(ctx, 999999, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetFetchURL of a missing source: %v, want ErrNotFound", err)
	}
}

// testBatch: a batch keeps all its writes or none.
func testBatch(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	items := []feed.Item{{GUID: "a", Title: "A"}, {GUID: "b", Title: "B"}}
	boom := errors.New("boom")
	err = s.Batch(ctx, func(tx store.Store) error {
		if _, err := tx.InsertItems(ctx, row.ID, items, 0, nil, time.Now()); err != nil {
			return err
		}
		if err := tx.RecordFailure(ctx, row.ID, "x", time.Now()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Batch = %v, want fn's error", err)
	}
	got, _ := s.Items(ctx, row.ID, out, false)
	rows, _ := s.Sources(ctx)
	if len(got) != 0 || rows[0].ConsecutiveErrors != 0 {
		t.Errorf("a failed batch left %d items and %d errors", len(got), rows[0].ConsecutiveErrors)
	}
	err = s.Batch(ctx, func(tx store.Store) error {
		if _, err := tx.InsertItems(ctx, row.ID, items, 0, nil, time.Now()); err != nil {
			return err
		}
		stored, err := tx.Items(ctx, row.ID, out, true)
		if err != nil || len(stored) != 2 {
			return errors.Join(err, errors.New("the batch does not see its own items"))
		}
		// A batch inside a batch joins it.
		return tx.Batch(ctx, func(inner store.Store) error {
			return inner.SetPosted(ctx, []store.Posted{{ItemID: stored[0].ID, Output: out}}, time.Now())
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	unposted, _ := s.Items(ctx, row.ID, out, true)
	if all, _ := s.Items(ctx, row.ID, out, false); len(all) != 2 || len(unposted) != 1 {
		t.Errorf("after a committed batch: %d items, %d unposted; want 2, 1", len(all), len(unposted))
	}
}
