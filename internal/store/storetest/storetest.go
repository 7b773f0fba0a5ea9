// Package storetest is the behaviour every store.Store backend must have,
// as one suite that each backend's tests run against a fresh store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Backend is what the suite needs of a backend.
type Backend struct {
	// Open returns a fresh, empty store, closed when the test ends.
	Open func(t *testing.T) store.Store
	// ClearSlugs takes every item's slug away, as a feedmill from before
	// slugs left them, so that EnsureSlugs has items to name.
	ClearSlugs func(t *testing.T, s store.Store)
}

// Run runs the suite against a backend.
func Run(t *testing.T, b Backend) {
	open := b.Open
	cases := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, s store.Store)
	}{
		{"EnsureSourceIsIdempotent", testEnsureSource},
		{"FetchState", testFetchState},
		{"RecordFetches", testRecordFetches},
		{"SlugTakenByARenamedSource", testSlugTaken},
		{"InsertItemsOncePerIdentity", testAddItems},
		{"InsertItemsAsStored", testInsertItems},
		{"InsertManyItems", testInsertManyItems},
		{"InsertOddText", testInsertOddText},
		{"PostPaths", testPostPaths},
		{"SetPosted", testSetPosted},
		{"OutputsHaveTheirOwnPosts", testOutputs},
		{"UnnamedOutputIsTakenOver", testUnnamedOutput},
		{"RetireAndPostHashes", testRetire},
		{"PreparedBodies", testPrepared},
		{"FetchURL", testFetchURL},
		{"Batch", testBatch},
		{"PathTakenInsideBatch", testPathTakenInBatch},
		{"Schedule", testSchedule},
		{"Paused", testPaused},
		{"RenameSource", testRenameSource},
		{"Settings", testSettings},
		{"KnownIdentities", testKnownIdentities},
		{"ListItemsNewestFirst", testListItems},
		{"CountItems", testCountItems},
		{"ItemContents", testItemContents},
		{"EnsureSlugs", func(t *testing.T, ctx context.Context, s store.Store) { testEnsureSlugs(t, ctx, s, b.ClearSlugs) }},
		{"Close", testClose},
		{"CopyRoundTrip", func(t *testing.T, ctx context.Context, s store.Store) { testCopy(t, ctx, s, open) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, t.Context(), open(t))
		})
	}
}

// add stores items as a refresh does, without post paths, and returns
// how many were new.
func add(t *testing.T, ctx context.Context, s store.Store, sourceID int64, items []feed.Item, now time.Time) int {
	t.Helper()
	added, err := s.InsertItems(ctx, sourceID, items, 0, nil, now)
	if err != nil {
		t.Fatalf("InsertItems: %v", err)
	}
	return len(added)
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
	// A refusal is the last error, but not counted.
	if err := s.RecordRefusal(ctx, row.ID, "HTTP 429", at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	row, _ = s.EnsureSource(ctx, src)
	if row.ConsecutiveErrors != 2 || row.LastError != "HTTP 429" || !row.LastErrorAt.Equal(at.Add(2*time.Minute)) {
		t.Errorf("after a refusal: %+v", row)
	}
	if err := s.RecordSuccess(ctx, row.ID, store.FetchResult{At: at.Add(time.Hour), ETag: `"v1"`, LastModified: "Fri, 28 Jan 2022 10:00:00 GMT"}); err != nil {
		t.Fatal(err)
	}
	row, _ = s.EnsureSource(ctx, src)
	if row.ConsecutiveErrors != 0 || row.LastError != "" || row.ETag != `"v1"` || row.LastModified == "" || !row.LastSuccess.Equal(at.Add(time.Hour)) {
		t.Errorf("after success: %+v", row)
	}
	// A fetch that succeeded with a warning (items lost from a broken
	// document) shows it as the last error, without counting an error.
	warned := at.Add(2 * time.Hour)
	if err := s.RecordSuccess(ctx, row.ID, store.FetchResult{At: warned, ETag: `"v2"`, Warning: "lost 2 items: XML syntax error"}); err != nil {
		t.Fatal(err)
	}
	row, _ = s.EnsureSource(ctx, src)
	if row.ConsecutiveErrors != 0 || row.LastError != "lost 2 items: XML syntax error" || !row.LastErrorAt.Equal(warned) || !row.LastSuccess.Equal(warned) {
		t.Errorf("after a success with a warning: %+v", row)
	}
	moved := src
	moved.URL = "https://moved.example.com/"
	row, _ = s.EnsureSource(ctx, moved)
	if row.ETag != "" || row.LastModified != "" {
		t.Errorf("validators kept across a URL change: %+v", row)
	}
}

func testAddItems(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
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
	if n := add(t, ctx, s, row.ID, items, now); n != 3 {
		t.Fatalf("InsertItems added %d, want 3", n)
	}
	changed := items[0]
	changed.Title = "A changed"
	if n := add(t, ctx, s, row.ID, append(items, changed, feed.Item{GUID: "d", Title: "D"}), now.Add(time.Hour)); n != 1 {
		t.Fatalf("second InsertItems added %d; want 1 new", n)
	}
	got, err := s.Items(ctx, row.ID, out, true)
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
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	add(t, ctx, s, row.ID, []feed.Item{{GUID: "1", Title: "Same"}, {GUID: "2", Title: "Same"}}, time.Now())
	items, _ := s.Items(ctx, row.ID, out, true)
	const path = "新媒体/观察者网/头条/Same.md"
	if err := s.SetPostPath(ctx, out, items[0].ID, path); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPostPath(ctx, out, items[1].ID, path); !errors.Is(err, store.ErrPathTaken) {
		t.Errorf("second owner: err = %v, want ErrPathTaken", err)
	}
	id, ok, err := s.PathOwner(ctx, out, path)
	if err != nil || !ok || id != items[0].ID {
		t.Errorf("PathOwner = %d, %v, %v", id, ok, err)
	}
	if _, ok, _ := s.PathOwner(ctx, out, "nobody.md"); ok {
		t.Error("PathOwner found an owner for a free path")
	}
	if err := s.SetPostPath(ctx, out, 1<<40, "free.md"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPostPath of a missing item: %v, want ErrNotFound", err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: items[0].ID, Output: out}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: items[1].ID, Output: out}, {ItemID: 1 << 40, Output: out}}, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPosted of a missing item: %v", err)
	}
	// The failed batch marked nothing, not even the item that exists.
	unposted, _ := s.Items(ctx, row.ID, out, true)
	all, _ := s.Items(ctx, row.ID, out, false)
	if len(unposted) != 1 || len(all) != 2 || !all[0].Posted || all[0].PostPath != path {
		t.Errorf("unposted %d, all %+v", len(unposted), all)
	}
}

// testInsertItems checks that InsertItems returns the new items exactly as
// Items reads them back, which lets a refresh skip the read.
func testInsertItems(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2022, 2, 1, 8, 0, 0, 123456789, loc)
	add(t, ctx, s, row.ID, []feed.Item{{GUID: "old", Title: "Old"}}, now)
	items := []feed.Item{
		{GUID: "a", Title: "A", Author: "甲", Content: "<p>a</p>", Image: "https://e/a.jpg", Published: time.Date(2022, 1, 28, 18, 30, 43, 5, loc),
			Categories: []string{"x", "y"}, Enclosures: []feed.Enclosure{{URL: "https://e/a.mp3", Type: "audio/mpeg", Length: "7"}}},
		{GUID: "old", Title: "Old again"},
		{Link: "https://b", Title: "B", Categories: []string{}},
	}
	old, err := s.Items(ctx, row.ID, out, false)
	if err != nil || len(old) != 1 {
		t.Fatalf("Items = %v, %v", old, err)
	}
	if err := s.SetPostPath(ctx, out, old[0].ID, "g/s/c/taken.md"); err != nil {
		t.Fatal(err)
	}
	// A's path is free, the known item's is ignored, B's is taken.
	added, err := s.InsertItems(ctx, row.ID, items, out, []string{"g/s/c/a.md", "g/s/c/old.md", "g/s/c/taken.md"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].Title != "A" || added[1].Title != "B" {
		t.Fatalf("InsertItems returned %+v, want A and B", added)
	}
	if added[0].PostPath != "g/s/c/a.md" || added[1].PostPath != "" {
		t.Errorf("post paths %q, %q; want g/s/c/a.md and none (taken)", added[0].PostPath, added[1].PostPath)
	}
	if id, ok, err := s.PathOwner(ctx, out, "g/s/c/old.md"); ok || err != nil {
		t.Errorf("a known item's path was reserved for %d (%v)", id, err)
	}
	// New items are named as they are stored: nothing is left to name.
	if n, err := s.EnsureSlugs(ctx); n != 0 || err != nil {
		t.Errorf("EnsureSlugs after InsertItems named %d, %v; want none", n, err)
	}
	stored, err := s.Items(ctx, row.ID, out, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 3 {
		t.Fatalf("%d items stored, want 3", len(stored))
	}
	for i, want := range stored[1:] {
		if !reflect.DeepEqual(added[i], want) {
			t.Errorf("InsertItems gave\n%+v\nItems reads\n%+v", added[i], want)
		}
	}
	again, err := s.InsertItems(ctx, row.ID, items, 0, nil, now)
	if err != nil || len(again) != 0 {
		t.Errorf("InsertItems of known items = %+v, %v", again, err)
	}
}

// testInsertOddText: text a feed can carry that a database may not take
// as it is (a NUL byte, invalid UTF-8) is stored without failing, and
// read back as InsertItems said it was stored.
func testInsertOddText(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	items := []feed.Item{
		{GUID: "nul\x00guid", Title: "a\x00b", Content: "<p>\x00</p>", Categories: []string{"x\x00"}},
		{GUID: "bad", Title: "bad \xff utf-8", Author: "\xc3"},
		{GUID: "fine", Title: "中文"},
	}
	added, err := s.InsertItems(ctx, row.ID, items, 0, nil, time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(added) != 3 {
		t.Fatalf("InsertItems = %d items, %v", len(added), err)
	}
	stored, err := s.Items(ctx, row.ID, out, false)
	if err != nil || len(stored) != 3 {
		t.Fatalf("Items = %d, %v", len(stored), err)
	}
	for i := range added {
		if !reflect.DeepEqual(added[i], stored[i]) {
			t.Errorf("InsertItems gave\n%+v\nItems reads\n%+v", added[i], stored[i])
		}
	}
	// The same feed again adds nothing.
	if again, err := s.InsertItems(ctx, row.ID, items, 0, nil, time.Now()); err != nil || len(again) != 0 {
		t.Errorf("the same items again: %d added, %v", len(again), err)
	}
}

// testInsertManyItems stores feeds long enough to be stored many items
// to a statement, with a duplicate and a taken path among them.
func testInsertManyItems(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2022, 2, 1, 8, 0, 0, 0, time.UTC)
	var items []feed.Item
	var paths []string
	for i := range 90 {
		items = append(items, feed.Item{GUID: fmt.Sprint(i), Title: fmt.Sprint("T", i), Content: fmt.Sprint("<p>", i, "</p>")})
		paths = append(paths, fmt.Sprintf("g/s/c/T%d.md", i))
	}
	items[7].GUID = "3" // a duplicate: the first of the two is stored
	if _, err := s.InsertItems(ctx, row.ID, items[:1], out, []string{"g/s/c/T70.md"}, now); err != nil {
		t.Fatal(err)
	}
	added, err := s.InsertItems(ctx, row.ID, items, out, paths, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 88 {
		t.Fatalf("%d items added, want 88 (90 less a known one and a duplicate)", len(added))
	}
	stored, err := s.Items(ctx, row.ID, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 89 {
		t.Fatalf("%d items stored, want 89", len(stored))
	}
	for i, want := range stored[1:] {
		if !reflect.DeepEqual(added[i], want) {
			t.Fatalf("InsertItems gave\n%+v\nItems reads\n%+v", added[i], want)
		}
		want := fmt.Sprintf("g/s/c/%s.md", want.Title)
		if want == "g/s/c/T70.md" {
			want = "" // item 0 holds it
		}
		if added[i].PostPath != want {
			t.Errorf("%s: post path %q, want %q", added[i].Title, added[i].PostPath, want)
		}
	}
	if added[2].Title != "T3" || added[6].Title != "T8" {
		t.Errorf("the duplicate GUID 3 was stored as %s, %s", added[2].Title, added[6].Title)
	}
	// Marking many at once: each gets its own hash, "" keeps the hash it
	// has, and an item given twice gets the last one.
	var posted []store.Posted
	for i, it := range added {
		posted = append(posted, store.Posted{ItemID: it.ID, Output: out, Hash: fmt.Sprint("h", i)})
	}
	posted[5].Hash = ""
	posted = append(posted, store.Posted{ItemID: added[0].ID, Output: out, Hash: "again"})
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: added[5].ID, Output: out, Hash: "kept"}}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosted(ctx, posted, now); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Items(ctx, row.ID, out, true); len(left) != 1 || err != nil { // item 0, never marked
		t.Fatalf("%d items left unposted (%v), want 1", len(left), err)
	}
	all, err := s.Items(ctx, row.ID, out, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range all[1:] {
		want := fmt.Sprint("h", i)
		switch i {
		case 0:
			want = "again"
		case 5:
			want = "kept"
		}
		if !it.Posted || it.PostHash != want {
			t.Errorf("%s: posted %v, hash %q; want %q", it.Title, it.Posted, it.PostHash, want)
		}
	}
}

func testSetPosted(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	added, err := s.InsertItems(ctx, row.ID, []feed.Item{{GUID: "1", Title: "One"}, {GUID: "2", Title: "Two"}, {GUID: "3", Title: "Three"}}, 0, nil, time.Now())
	if err != nil || len(added) != 3 {
		t.Fatalf("InsertItems = %d, %v", len(added), err)
	}
	at := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: added[1].ID, Output: out, Hash: "kept"}}, at); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: added[2].ID, Output: out, Hash: "h3"}, {ItemID: 1 << 40, Output: out, Hash: "x"}}, at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPosted of a missing item: %v", err)
	}
	if left, _ := s.Items(ctx, row.ID, out, true); len(left) != 2 {
		t.Fatalf("a failed SetPosted marked %d items", 2-len(left))
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: added[0].ID, Output: out, Hash: "h1"}, {ItemID: added[1].ID, Output: out}}, at); err != nil {
		t.Fatal(err)
	}
	all, err := s.Items(ctx, row.ID, out, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range all {
		got[it.Title] = fmt.Sprintf("%v %s", it.Posted, it.PostHash)
	}
	want := map[string]string{"One": "true h1", "Two": "true kept", "Three": "false "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after SetPosted: %v, want %v", got, want)
	}
}

// output returns the ID of a Hexo output of the store, for post records.
func output(t *testing.T, ctx context.Context, s store.Store) int64 {
	t.Helper()
	o, err := s.EnsureOutput(ctx, "hexo", "source/_posts")
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}
