package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// testPrepared: the bodies a refresh keeps reach ItemContents only under
// their own key, replace each other, go with a failed batch and with a
// retired item; a body kept as edits to the content reads in full, and
// one whose edits do not apply reads as none kept.
func testPrepared(t *testing.T, ctx context.Context, s store.Store) {
	out := output(t, ctx, s)
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	encs := []feed.Enclosure{{URL: "https://example.com/a.mp3", Type: "audio/mpeg"}}
	if _, err := s.InsertItems(ctx, row.ID, []feed.Item{
		{GUID: "1", Title: "one", Content: "<p>raw one</p>", Enclosures: encs},
		{GUID: "2", Title: "two", Content: "<p>raw two</p>"},
		{GUID: "3", Title: "three", Content: "<p>raw three</p>"},
		{GUID: "4", Title: "four", Content: longRaw, Enclosures: encs},
		{GUID: "5", Title: "five", Content: longRaw, Enclosures: encs},
	}, 0, nil, now); err != nil {
		t.Fatal(err)
	}
	added, err := s.Items(ctx, row.ID, out, false)
	if err != nil || len(added) != 5 {
		t.Fatalf("items: %d, %v", len(added), err)
	}
	if _, err := s.EnsureSlugs(ctx); err != nil {
		t.Fatal(err)
	}
	one, two, three, four, five := added[0].ID, added[1].ID, added[2].ID, added[3].ID, added[4].ID
	if err := s.SetPrepared(ctx, []store.Prepared{
		{ItemID: one, Key: "k1", HTML: "<p>one, old</p>", Image: "old.jpg"},
		{ItemID: two, Key: "k2", HTML: "<p>two</p>"},
	}); err != nil {
		t.Fatal(err)
	}
	// A later body replaces the first; an unknown item fails the lot.
	if err := s.SetPrepared(ctx, []store.Prepared{{ItemID: one, Key: "k1", HTML: "<p>one</p>", Image: "a.jpg"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPrepared(ctx, []store.Prepared{{ItemID: three, Key: "k1", HTML: "x"}, {ItemID: 1 << 40, Key: "k1", HTML: "y"}}); err == nil {
		t.Error("SetPrepared of an unknown item: no error")
	}
	if err := s.SetPrepared(ctx, nil); err != nil {
		t.Errorf("no bodies: %v", err)
	}
	// A body the content stage left unchanged is the content, kept once.
	if err := s.SetPrepared(ctx, []store.Prepared{{ItemID: two, Key: "k3", Unchanged: true, Image: "two.jpg"}}); err != nil {
		t.Fatal(err)
	}

	// Bodies kept as edits to their content; the second's edits are
	// damaged.
	edited := store.NewPrepared(four, "k4", longRaw, longHTML, "four.jpg")
	if edited.Edits == nil || edited.HTML != "" {
		t.Fatalf("NewPrepared kept %d bytes of HTML, %d of edits", len(edited.HTML), len(edited.Edits))
	}
	damaged := store.NewPrepared(five, "k4", longRaw, longHTML, "five.jpg")
	damaged.Edits[len(damaged.Edits)-1] ^= 1
	if err := s.SetPrepared(ctx, []store.Prepared{edited, damaged}); err != nil {
		t.Fatal(err)
	}

	read := func(key string) map[int64]store.ItemBody {
		t.Helper()
		got := map[int64]store.ItemBody{}
		if err := s.ItemContents(ctx, []int64{one, two, three, four, five, 1 << 40}, key, func(m store.ItemMeta, b store.ItemBody) error {
			if m.Title == "" || m.Slug == "" {
				t.Errorf("item %d: meta %+v", m.ID, m)
			}
			got[m.ID] = b
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read("k1")
	if len(got) != 5 {
		t.Fatalf("ItemContents gave %d items, want 5", len(got))
	}
	if p := got[one].Prepared; p == nil || p.HTML != "<p>one</p>" || p.Image != "a.jpg" || p.Key != "k1" || p.ItemID != one || got[one].Content != "" || got[one].Enclosures != nil {
		t.Errorf("item one under k1: %+v, prepared %+v", got[one], got[one].Prepared)
	}
	if got[two].Prepared != nil || got[two].Content != "<p>raw two</p>" {
		t.Errorf("item two, kept under k2, read under k1: %+v", got[two])
	}
	if got[three].Prepared != nil || got[three].Content != "<p>raw three</p>" {
		t.Errorf("item three, whose batch failed: %+v", got[three])
	}
	for id, b := range read("") {
		if b.Prepared != nil || b.Content == "" {
			t.Errorf("item %d with no key: %+v", id, b)
		}
		if id == one && len(b.Enclosures) != 1 {
			t.Errorf("item one's enclosures: %+v", b.Enclosures)
		}
	}
	if p := read("k2")[two].Prepared; p != nil {
		t.Errorf("item two under k2, replaced by its body under k3: %+v", p)
	}
	if b := read("k3")[two]; b.Prepared == nil || b.Prepared.HTML != "<p>raw two</p>" || b.Prepared.Image != "two.jpg" || b.Content != "" {
		t.Errorf("item two, unchanged under k3: %+v, prepared %+v", b, b.Prepared)
	}
	got = read("k4")
	if b := got[four]; b.Prepared == nil || b.Prepared.HTML != longHTML || b.Prepared.Edits != nil || b.Prepared.Image != "four.jpg" || b.Prepared.ItemID != four || b.Content != "" || b.Enclosures != nil {
		t.Errorf("item four, kept as edits under k4: content %d bytes, prepared %+v", len(b.Content), b.Prepared)
	}
	if b := got[five]; b.Prepared != nil || b.Content != longRaw || len(b.Enclosures) != 1 {
		t.Errorf("item five, its edits damaged: %d bytes of content, %d enclosures, prepared %+v", len(b.Content), len(b.Enclosures), b.Prepared)
	}
	if b := read("k1")[four]; b.Prepared != nil || b.Content != longRaw {
		t.Errorf("item four, kept as edits under k4, read under k1: %+v", b.Prepared)
	}

	if err := s.Retire(ctx, one, now); err != nil {
		t.Fatal(err)
	}
	if b := read("k1")[one]; b.Prepared != nil || b.Content != "<p>raw one</p>" {
		t.Errorf("retired item one: %+v", b)
	}
}

// longRaw is a body as a feed gives it, and longHTML the body the content
// stage makes of it: the same but for an attribute on each image.
var (
	longRaw  = strings.Repeat(`<p><img src="https://example.com/a.jpg"></p><p>Some text of the article, long enough to be worth keeping as edits.</p>`, 20)
	longHTML = strings.ReplaceAll(longRaw, `.jpg">`, `.jpg" referrerpolicy="no-referrer">`)
)
