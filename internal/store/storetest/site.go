package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// testPathTakenInBatch: a refresh reserves paths inside a batch and tries
// the next name when one is taken. The taken path must not spoil the
// transaction (PostgreSQL aborts one on a unique violation), so the
// writes before and after it are all kept.
func testPathTakenInBatch(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add(t, ctx, s, row.ID, []feed.Item{{GUID: "1", Title: "Same"}}, now)
	first, _ := s.Items(ctx, row.ID, out, false)
	if err := s.SetPostPath(ctx, out, first[0].ID, "g/s/c/Same.md"); err != nil {
		t.Fatal(err)
	}
	var second store.Item
	err = s.Batch(ctx, func(tx store.Store) error {
		added, err := tx.InsertItems(ctx, row.ID, []feed.Item{{GUID: "2", Title: "Same"}, {GUID: "3", Title: "Other"}}, out, []string{"g/s/c/Same.md", "g/s/c/Other.md"}, now)
		if err != nil {
			return fmt.Errorf("InsertItems with a taken path: %w", err)
		}
		if len(added) != 2 || added[0].PostPath != "" || added[1].PostPath != "g/s/c/Other.md" {
			return fmt.Errorf("InsertItems gave %+v", added)
		}
		second = added[0]
		if err := tx.SetPostPath(ctx, out, second.ID, "g/s/c/Same.md"); !errors.Is(err, store.ErrPathTaken) {
			return fmt.Errorf("SetPostPath of a taken path: %v, want ErrPathTaken", err)
		}
		if err := tx.SetPostPath(ctx, out, second.ID, "g/s/c/Other.md"); !errors.Is(err, store.ErrPathTaken) {
			return fmt.Errorf("SetPostPath of a path taken in this batch: %v, want ErrPathTaken", err)
		}
		// The batch goes on: the next name, and other writes.
		if err := tx.SetPostPath(ctx, out, second.ID, "g/s/c/Same-2.md"); err != nil {
			return err
		}
		return tx.RecordSuccess(ctx, row.ID, store.FetchResult{At: now, ETag: `"e"`})
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Items(ctx, row.ID, out, false)
	if err != nil || len(all) != 3 {
		t.Fatalf("items after the batch: %+v, %v", all, err)
	}
	paths := []string{all[0].PostPath, all[1].PostPath, all[2].PostPath}
	if !slices.Equal(paths, []string{"g/s/c/Same.md", "g/s/c/Same-2.md", "g/s/c/Other.md"}) {
		t.Errorf("paths after the batch: %q", paths)
	}
	if rows, _ := s.Sources(ctx); rows[0].ETag != `"e"` {
		t.Errorf("the write after the taken paths was lost: %+v", rows[0])
	}
}

func testSchedule(t *testing.T, ctx context.Context, s store.Store) {
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if !row.NextDue.IsZero() || !row.PausedUntil.IsZero() || row.FeedHint != 0 {
		t.Fatalf("new source has a schedule: %+v", row.Schedule)
	}
	due := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	want := store.Schedule{NextDue: due, PausedUntil: due.Add(time.Hour), FeedHint: time.Hour}
	if err := s.SetSchedule(ctx, row.ID, want); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0].Schedule; !got.NextDue.Equal(want.NextDue) || !got.PausedUntil.Equal(want.PausedUntil) || got.FeedHint != want.FeedHint {
		t.Errorf("schedule = %+v, want %+v", got, want)
	}
	// The same URL keeps the schedule; a new URL is a new route, which
	// nothing has paused yet.
	if row, err = s.EnsureSource(ctx, src); err != nil || !row.NextDue.Equal(due) {
		t.Errorf("same URL: schedule %+v, err %v", row.Schedule, err)
	}
	moved := src
	moved.URL = "https://rsshub.example/b"
	if row, err = s.EnsureSource(ctx, moved); err != nil || !row.NextDue.IsZero() || !row.PausedUntil.IsZero() || row.FeedHint != 0 {
		t.Errorf("new URL: schedule %+v, err %v", row.Schedule, err)
	}
	// A zero schedule clears it.
	if err := s.SetSchedule(ctx, row.ID, want); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSchedule(ctx, row.ID, store.Schedule{}); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.Sources(ctx); rows[0].Schedule != (store.Schedule{}) {
		t.Errorf("after a zero schedule: %+v", rows[0].Schedule)
	}
	if err := s.SetSchedule(ctx, 1<<40, want); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown source: err = %v, want ErrNotFound", err)
	}
}

func testPaused(t *testing.T, ctx context.Context, s store.Store) {
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if row.Paused {
		t.Fatal("a new source is paused")
	}
	if err := s.SetPaused(ctx, row.ID, true); err != nil {
		t.Fatal(err)
	}
	// A pause outlives a changed URL: the user paused the route's slot.
	moved := src
	moved.URL = "https://other.example.com/feed"
	if again, err := s.EnsureSource(ctx, moved); err != nil || !again.Paused {
		t.Fatalf("after pause: %+v, %v", again, err)
	}
	if err := s.SetPaused(ctx, row.ID, false); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.Sources(ctx); rows[0].Paused {
		t.Error("resumed source still paused")
	}
	if err := s.SetPaused(ctx, 1<<40, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pausing a missing source: %v, want ErrNotFound", err)
	}
}

func testSettings(t *testing.T, ctx context.Context, s store.Store) {
	if _, err := s.Setting(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing setting: %v, want ErrNotFound", err)
	}
	for _, v := range []string{"one", "two", "", "中文\x01 'quoted'"} {
		if err := s.SetSetting(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Setting(ctx, "k"); err != nil || got != v {
			t.Errorf("setting = %q, %v; want %q", got, err, v)
		}
	}
	if err := s.SetSetting(ctx, "other", "x"); err != nil {
		t.Fatal(err)
	}
	// AddSetting keeps a value stored before, and returns it.
	for _, tc := range []struct{ name, value, want string }{
		{"added", "first", "first"},
		{"added", "second", "first"},
		{"other", "y", "x"},
	} {
		if got, err := s.AddSetting(ctx, tc.name, tc.value); err != nil || got != tc.want {
			t.Errorf("AddSetting(%q, %q) = %q, %v; want %q", tc.name, tc.value, got, err, tc.want)
		}
		if got, _ := s.Setting(ctx, tc.name); got != tc.want {
			t.Errorf("after AddSetting(%q, %q) the setting is %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	if got, _ := s.Setting(ctx, "k"); got != "中文\x01 'quoted'" {
		t.Errorf("another setting changed k to %q", got)
	}
	// A failed batch keeps no setting.
	boom := errors.New("boom")
	if err := s.Batch(ctx, func(tx store.Store) error {
		if err := tx.SetSetting(ctx, "k", "lost"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got, _ := s.Setting(ctx, "k"); got == "lost" {
		t.Error("a failed batch kept its setting")
	}
}

func testKnownIdentities(t *testing.T, ctx context.Context, s store.Store) {
	a, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "a", URL: "https://example.com/a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "b", URL: "https://example.com/b"})
	if err != nil {
		t.Fatal(err)
	}
	// More items than a backend's query chunk, to cross its boundary.
	var items []feed.Item
	for i := range 1200 {
		items = append(items, feed.Item{GUID: fmt.Sprint(i), Title: "t"})
	}
	add(t, ctx, s, a.ID, items, time.Now())
	ask := []string{"guid:0", "guid:599", "guid:1199", "guid:1200", "link:x"}
	for i := range 1000 {
		ask = append(ask, fmt.Sprintf("guid:%d", 5000+i))
	}
	known, err := s.KnownIdentities(ctx, a.ID, ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 3 || !known["guid:0"] || !known["guid:599"] || !known["guid:1199"] {
		t.Errorf("known = %v", known)
	}
	if known, err := s.KnownIdentities(ctx, b.ID, ask); err != nil || len(known) != 0 {
		t.Errorf("other source: %v, %v", known, err)
	}
	if known, err := s.KnownIdentities(ctx, a.ID, nil); err != nil || len(known) != 0 {
		t.Errorf("no identities: %v, %v", known, err)
	}
}

// listFixture stores two sources' items with dates that test Date(): a
// future date counts as first seen, an undated item too.
func listFixture(t *testing.T, ctx context.Context, s store.Store) (a, b store.Source, now time.Time) {
	var err error
	if a, err = s.EnsureSource(ctx, feed.Source{Group: "g", Name: "a", Channel: "c", URL: "http://a/"}); err != nil {
		t.Fatal(err)
	}
	if b, err = s.EnsureSource(ctx, feed.Source{Group: "g", Name: "b", Channel: "c", URL: "http://b/"}); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	add(t, ctx, s, a.ID, []feed.Item{
		{GUID: "a1", Title: "a1", Author: "甲", Image: "https://e/a1.jpg", Content: "<p>一</p>", Published: now.Add(-3 * day)},
		{GUID: "a2", Title: "a2 future", Content: "x", Published: now.Add(day)},
	}, now)
	add(t, ctx, s, b.ID, []feed.Item{
		{GUID: "b1", Title: "b1", Link: "https://b/1", Content: "yy", Published: now.Add(-1 * day)},
		{GUID: "b2", Title: "b2 undated", Content: "zzz"},
	}, now.Add(time.Hour))
	return a, b, now
}

func testListItems(t *testing.T, ctx context.Context, s store.Store) {
	a, _, now := listFixture(t, ctx, s)
	day := 24 * time.Hour
	all, err := s.ListItems(ctx, store.ItemFilter{})
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
	if want := []string{"b2 undated", "a2 future", "b1", "a1"}; !slices.Equal(titles, want) {
		t.Fatalf("titles = %q, want %q", titles, want)
	}
	if got := all[0].Slug; got != store.ItemSlug("g/b/c", "guid:b2", 0) {
		t.Errorf("slug = %q, not derived from source key and identity", got)
	}
	if m := all[3]; m.Author != "甲" || m.Image != "https://e/a1.jpg" || !m.Published.Equal(now.Add(-3*day)) || !m.FirstSeen.Equal(now) || m.SourceID != a.ID {
		t.Errorf("a1 listed as %+v", m)
	}
	if all[2].Link != "https://b/1" {
		t.Errorf("b1's link %q", all[2].Link)
	}

	tests := []struct {
		name string
		f    store.ItemFilter
		want []string
	}{
		{"all", store.ItemFilter{}, []string{"b2 undated", "a2 future", "b1", "a1"}},
		{"by source", store.ItemFilter{SourceIDs: []int64{a.ID}}, []string{"a2 future", "a1"}},
		{"limit", store.ItemFilter{Limit: 3}, []string{"b2 undated", "a2 future", "b1"}},
		{"since", store.ItemFilter{Since: now.Add(-2 * day)}, []string{"b2 undated", "a2 future", "b1"}},
		{"until", store.ItemFilter{Until: now.Add(-2 * day)}, []string{"a1"}},
		{"since is inclusive", store.ItemFilter{Since: now.Add(-3 * day), Until: now.Add(-3*day + 1)}, []string{"a1"}},
		{"after ID", store.ItemFilter{AfterID: all[1].ID}, []string{"b2 undated", "b1"}},
		{"max ID", store.ItemFilter{MaxID: all[1].ID}, []string{"a2 future", "a1"}},
	}
	for _, tc := range tests {
		for _, brief := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/brief=%v", tc.name, brief), func(t *testing.T) {
				f := tc.f
				f.Brief = brief
				got, err := s.ListItems(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				byID := map[int64]string{}
				for _, m := range all {
					byID[m.ID] = m.Title
				}
				var titles []string
				for _, m := range got {
					titles = append(titles, byID[m.ID])
				}
				if !slices.Equal(titles, tc.want) {
					t.Errorf("got %q, want %q", titles, tc.want)
				}
				if n, err := s.CountItems(ctx, f); err != nil || n != len(tc.want) && f.Limit == 0 {
					t.Errorf("CountItems = %d, %v; want %d", n, err, len(tc.want))
				}
			})
		}
	}
	brief, err := s.ListItems(ctx, store.ItemFilter{Brief: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range brief {
		if m.ID != all[i].ID || m.SourceID != all[i].SourceID || m.Slug != all[i].Slug || !m.Published.Equal(all[i].Published) || !m.FirstSeen.Equal(all[i].FirstSeen) || m.Title != "" {
			t.Errorf("brief item %d = %+v, full %+v", i, m, all[i])
		}
	}
	// Retired items are off every list.
	if err := s.Retire(ctx, all[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListItems(ctx, store.ItemFilter{}); len(got) != 3 || got[0].ID == all[0].ID {
		t.Errorf("after retiring %s: %+v", all[0].Title, got)
	}
	if empty, err := s.ListItems(ctx, store.ItemFilter{SourceIDs: []int64{1 << 40}}); err != nil || len(empty) != 0 {
		t.Errorf("unknown source: %v, %v", empty, err)
	}
}

func testCountItems(t *testing.T, ctx context.Context, s store.Store) {
	if n, err := s.CountItems(ctx, store.ItemFilter{}); err != nil || n != 0 {
		t.Errorf("empty store: %d, %v", n, err)
	}
	a, b, now := listFixture(t, ctx, s)
	all, _ := s.ListItems(ctx, store.ItemFilter{})
	for _, tc := range []struct {
		f    store.ItemFilter
		want int
	}{
		{store.ItemFilter{}, 4},
		{store.ItemFilter{Limit: 1, Brief: true}, 4}, // Limit and Brief aside
		{store.ItemFilter{SourceIDs: []int64{a.ID, b.ID}}, 4},
		{store.ItemFilter{SourceIDs: []int64{b.ID}}, 2},
		{store.ItemFilter{MaxID: all[0].ID}, 4},
		{store.ItemFilter{Until: now}, 2},
	} {
		if n, err := s.CountItems(ctx, tc.f); err != nil || n != tc.want {
			t.Errorf("CountItems(%+v) = %d, %v; want %d", tc.f, n, err, tc.want)
		}
	}
	if err := s.Retire(ctx, all[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountItems(ctx, store.ItemFilter{MaxID: all[0].ID}); err != nil || n != 3 {
		t.Errorf("after retiring one: %d, %v; want 3", n, err)
	}
}

func testItemContents(t *testing.T, ctx context.Context, s store.Store) {
	listFixture(t, ctx, s)
	all, _ := s.ListItems(ctx, store.ItemFilter{})
	contents := map[int64]string{}
	ids := []int64{all[0].ID, all[3].ID, 1 << 40}
	if err := s.ItemContents(ctx, ids, "", func(m store.ItemMeta, b store.ItemBody) error {
		contents[m.ID] = b.Content
		want := all[slices.IndexFunc(all, func(x store.ItemMeta) bool { return x.ID == m.ID })]
		if m != want {
			t.Errorf("ItemContents gave %+v, ListItems %+v", m, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(contents) != 2 || contents[all[3].ID] != "<p>一</p>" || contents[all[0].ID] != "zzz" {
		t.Errorf("contents = %v", contents)
	}
	// An error from fn stops it and is returned.
	stop := errors.New("stop")
	calls := 0
	err := s.ItemContents(ctx, []int64{all[0].ID, all[1].ID, all[2].ID}, "", func(store.ItemMeta, store.ItemBody) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ItemContents after fn failed: %v, %d calls", err, calls)
	}
	if err := s.ItemContents(ctx, nil, "", func(store.ItemMeta, store.ItemBody) error {
		t.Error("called for no IDs")
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// testEnsureSlugs: items stored without a slug get the one InsertItems
// would have given them, once.
func testEnsureSlugs(t *testing.T, ctx context.Context, s store.Store, clear func(t *testing.T, s store.Store)) {
	listFixture(t, ctx, s)
	if n, err := s.EnsureSlugs(ctx); err != nil || n != 0 {
		t.Fatalf("EnsureSlugs = %d, %v; want 0: InsertItems names items", n, err)
	}
	named, err := s.ListItems(ctx, store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if clear == nil {
		t.Fatal("the backend gives no way to clear slugs")
	}
	clear(t, s)
	if got, _ := s.ListItems(ctx, store.ItemFilter{}); got[0].Slug != "" {
		t.Fatalf("ClearSlugs left %q", got[0].Slug)
	}
	if n, err := s.EnsureSlugs(ctx); err != nil || n != 4 {
		t.Fatalf("EnsureSlugs of unnamed items = %d, %v; want 4", n, err)
	}
	if n, err := s.EnsureSlugs(ctx); err != nil || n != 0 {
		t.Fatalf("second EnsureSlugs = %d, %v; want 0", n, err)
	}
	renamed, err := s.ListItems(ctx, store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range named {
		if named[i].Slug != renamed[i].Slug {
			t.Errorf("%s: named %q as stored, %q by EnsureSlugs", named[i].Title, named[i].Slug, renamed[i].Slug)
		}
	}
}

func testClose(t *testing.T, ctx context.Context, s store.Store) {
	if _, err := s.EnsureSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Sources(ctx); err == nil {
		t.Error("Sources after Close: no error")
	}
}

func testRenameSource(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if add(t, ctx, s, row.ID, []feed.Item{{GUID: "a", Title: "A"}}, time.Unix(1700000000, 0)) != 1 {
		t.Fatal("item not added")
	}
	if err := s.RecordFailure(ctx, row.ID, "boom", time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	renamed := src
	renamed.Channel = "要闻"
	if err := s.RenameSource(ctx, row.ID, renamed.Key()); err != nil {
		t.Fatal(err)
	}
	again, err := s.EnsureSource(ctx, renamed)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != row.ID || again.Key != renamed.Key() || again.LastError != "boom" || again.ConsecutiveErrors != 1 {
		t.Errorf("renamed row %+v, want the row %d under %s with its state", again, row.ID, renamed.Key())
	}
	if items, err := s.Items(ctx, row.ID, out, false); err != nil || len(items) != 1 {
		t.Errorf("items after rename: %d, %v", len(items), err)
	}
	if rows, _ := s.Sources(ctx); len(rows) != 1 {
		t.Errorf("%d source rows after a rename, want 1", len(rows))
	}
	// Renaming to itself is fine; to another's key is not.
	if err := s.RenameSource(ctx, row.ID, renamed.Key()); err != nil {
		t.Errorf("rename to its own key: %v", err)
	}
	other, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RenameSource(ctx, other.ID, renamed.Key()); !errors.Is(err, store.ErrKeyTaken) {
		t.Errorf("rename onto a taken key: %v, want ErrKeyTaken", err)
	}
	if err := s.RenameSource(ctx, 1<<40, "x/y/z"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renaming a missing source: %v, want ErrNotFound", err)
	}
}
