package sqlite_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestListItemsAcrossSourcesNewestFirst(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "feedmill.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "a", Channel: "c", URL: "http://a/"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "b", Channel: "c", URL: "http://b/"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	if _, err := st.AddItems(ctx, a.ID, []feed.Item{
		{GUID: "a1", Title: "a1", Content: "<p>一</p>", Published: now.Add(-3 * day)},
		{GUID: "a2", Title: "a2 future", Content: "x", Published: now.Add(day)}, // future: counts as first seen
	}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddItems(ctx, b.ID, []feed.Item{
		{GUID: "b1", Title: "b1", Content: "yy", Published: now.Add(-1 * day)},
		{GUID: "b2", Title: "b2 undated", Content: "zzz"},
	}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Items are named as they are stored; EnsureSlugs names those
	// stored without a slug (by an older feedmill), the same way.
	if n, err := st.EnsureSlugs(ctx); err != nil || n != 0 {
		t.Fatalf("EnsureSlugs = %d, %v; want 0: AddItems names items", n, err)
	}
	named, err := st.ListItems(ctx, store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `UPDATE items SET slug = NULL`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if n, err := st.EnsureSlugs(ctx); err != nil || n != 4 {
		t.Fatalf("EnsureSlugs of unnamed items = %d, %v; want 4", n, err)
	}
	if n, err := st.EnsureSlugs(ctx); err != nil || n != 0 {
		t.Fatalf("second EnsureSlugs = %d, %v; want 0", n, err)
	}
	renamed, err := st.ListItems(ctx, store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range named {
		if named[i].Slug != renamed[i].Slug {
			t.Errorf("%s: named %q as stored, %q by EnsureSlugs", named[i].Title, named[i].Slug, renamed[i].Slug)
		}
	}
	all, err := st.ListItems(ctx, store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, m := range all {
		titles = append(titles, m.Title)
		if m.Slug == "" {
			t.Errorf("%s has no slug", m.Title)
		}
	}
	want := []string{"b2 undated", "a2 future", "b1", "a1"}
	if len(titles) != len(want) {
		t.Fatalf("titles = %q, want %q", titles, want)
	}
	for i := range want {
		if titles[i] != want[i] {
			t.Fatalf("titles = %q, want %q", titles, want)
		}
	}
	if got := all[0].Slug; got != store.ItemSlug("g/b/c", "guid:b2", 0) {
		t.Errorf("slug = %q, not derived from source key and identity", got)
	}

	tests := []struct {
		name string
		f    store.ItemFilter
		want int
	}{
		{"by source", store.ItemFilter{SourceIDs: []int64{a.ID}}, 2},
		{"limit", store.ItemFilter{Limit: 3}, 3},
		{"since", store.ItemFilter{Since: now.Add(-2 * day)}, 3},
		{"until", store.ItemFilter{Until: now.Add(-2 * day)}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.ListItems(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Errorf("got %d items, want %d", len(got), tc.want)
			}
		})
	}

	contents := map[int64]string{}
	ids := []int64{all[0].ID, all[3].ID, 99999}
	if err := st.ItemContents(ctx, ids, "", func(m store.ItemMeta, b store.ItemBody) error {
		contents[m.ID] = b.Content
		if m.Title == "" || m.Slug == "" || m.FirstSeen.IsZero() {
			t.Errorf("ItemContents gave %+v", m)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	brief, err := st.ListItems(ctx, store.ItemFilter{Brief: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range brief {
		if m.ID != all[i].ID || m.Slug != all[i].Slug || !m.Published.Equal(all[i].Published) || !m.FirstSeen.Equal(all[i].FirstSeen) || m.Title != "" {
			t.Errorf("brief item %d = %+v, full %+v", i, m, all[i])
		}
	}
	if len(contents) != 2 || contents[all[3].ID] != "<p>一</p>" || contents[all[0].ID] != "zzz" {
		t.Errorf("contents = %v", contents)
	}
}

func TestPauseAndSettings(t *testing.T) {
	ctx := t.Context()
	st := open(t)
	src, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "a", Channel: "c", URL: "http://a/"})
	if err != nil {
		t.Fatal(err)
	}
	if src.Paused {
		t.Fatal("a new source is paused")
	}
	if err := st.SetPaused(ctx, src.ID, true); err != nil {
		t.Fatal(err)
	}
	again, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "a", Channel: "c", URL: "http://a/"})
	if err != nil || !again.Paused {
		t.Fatalf("after pause: %+v, %v", again, err)
	}
	if err := st.SetPaused(ctx, 12345, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pausing a missing source: %v, want ErrNotFound", err)
	}
	if _, err := st.Setting(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing setting: %v", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := st.SetSetting(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Setting(ctx, "k"); err != nil || got != v {
			t.Errorf("setting = %q, %v; want %q", got, err, v)
		}
	}
}
