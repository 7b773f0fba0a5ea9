package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// testSlugTaken: a source renamed keeps its items' slugs, so a new source
// under its old key stores an item of the same identity without the slug
// (EnsureSlugs then lengthens it), in the order given among the others.
func testSlugTaken(t *testing.T, ctx context.Context, s store.Store) {
	old := feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://e/old"}
	a, err := s.EnsureSource(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC)
	add(t, ctx, s, a.ID, []feed.Item{{GUID: "x", Title: "old x"}}, now)
	if err := s.RenameSource(ctx, a.ID, "g/s/moved"); err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://e/new"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID == a.ID {
		t.Fatal("the old key still names the renamed source")
	}
	added, err := s.InsertItems(ctx, b.ID, []feed.Item{{GUID: "w", Title: "w"}, {GUID: "x", Title: "new x"}, {GUID: "y", Title: "y"}}, 0, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 3 || added[0].Title != "w" || added[1].Title != "new x" || added[2].Title != "y" ||
		!(added[0].ID < added[1].ID && added[1].ID < added[2].ID) {
		t.Fatalf("InsertItems returned %+v, want w, new x, y with growing IDs", added)
	}
	metas, err := s.ListItems(ctx, store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	slugs := map[string]string{}
	for _, m := range metas {
		slugs[m.Title] = m.Slug
	}
	taken := store.ItemSlug("g/s/c", added[1].Identity, 0)
	if slugs["old x"] != taken || slugs["new x"] != "" || slugs["y"] != store.ItemSlug("g/s/c", added[2].Identity, 0) {
		t.Fatalf("slugs %v; want the old item to keep %q and the new one none", slugs, taken)
	}
	if n, err := s.EnsureSlugs(ctx); err != nil || n != 1 {
		t.Fatalf("EnsureSlugs = %d, %v; want 1", n, err)
	}
	metas, _ = s.ListItems(ctx, store.ItemFilter{})
	for _, m := range metas {
		if m.Title == "new x" && m.Slug != store.ItemSlug("g/s/c", added[1].Identity, 1) {
			t.Errorf("new x named %q, want %q", m.Slug, store.ItemSlug("g/s/c", added[1].Identity, 1))
		}
	}
}
