package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

func testRetire(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	items := []feed.Item{{GUID: "1", Title: "one"}, {GUID: "2", Title: "two"}}
	add(t, ctx, s, row.ID, items, now)
	got, err := s.Items(ctx, row.ID, out, false)
	if err != nil || len(got) != 2 {
		t.Fatalf("items = %d, %v", len(got), err)
	}
	one, two := got[0], got[1]
	if one.PostHash != "" {
		t.Errorf("new item has hash %q", one.PostHash)
	}
	const path = "新媒体/观察者网/头条/one.md"
	if err := s.SetPostPath(ctx, out, one.ID, path); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: one.ID, Output: out, Hash: "abc"}, {ItemID: two.ID, Output: out, Hash: "def"}}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: one.ID, Output: out, Hash: "changed"}, {ItemID: 1 << 40, Output: out, Hash: "x"}}, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("hash of a missing item: %v, want ErrNotFound", err)
	}
	if err := s.SetPosted(ctx, nil, now); err != nil {
		t.Errorf("no posts: %v", err)
	}
	got, _ = s.Items(ctx, row.ID, out, false)
	if got[0].PostHash != "abc" || got[1].PostHash != "def" {
		t.Errorf("hashes = %q, %q; want abc, def (the failed call recorded none)", got[0].PostHash, got[1].PostHash)
	}

	if err := s.Retire(ctx, one.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Retire(ctx, one.ID, now.Add(time.Hour)); err != nil {
		t.Fatalf("retiring twice: %v", err)
	}
	if err := s.Retire(ctx, 1<<40, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retire a missing item: %v, want ErrNotFound", err)
	}
	if got, err := s.Items(ctx, row.ID, out, false); err != nil || len(got) != 1 || got[0].ID != two.ID {
		t.Errorf("Items after retiring one = %+v, %v; want only two", got, err)
	}
	// A retired item stays known: the feed listing it again adds nothing.
	if n := add(t, ctx, s, row.ID, items, now); n != 0 {
		t.Errorf("re-adding known items added %d", n)
	}
	known, err := s.KnownIdentities(ctx, row.ID, []string{items[0].Identity()})
	if err != nil || !known[items[0].Identity()] {
		t.Errorf("KnownIdentities forgot the retired item: %v, %v", known, err)
	}
	// It keeps its path, so no other item takes the name.
	if id, ok, err := s.PathOwner(ctx, out, path); err != nil || !ok || id != one.ID {
		t.Errorf("PathOwner = %d, %v, %v; want the retired item", id, ok, err)
	}
	if err := s.SetPostPath(ctx, out, two.ID, path); !errors.Is(err, store.ErrPathTaken) {
		t.Errorf("taking a retired item's path: %v, want ErrPathTaken", err)
	}
}
