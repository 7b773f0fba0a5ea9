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

// testCopy: a store's rows, exported and imported into an empty store,
// export the same again; a store with rows refuses an import, and a
// failed import leaves the store empty.
func testCopy(t *testing.T, ctx context.Context, s store.Store, open func(t *testing.T) store.Store) {
	from, ok := s.(store.Copier)
	if !ok {
		t.Fatal("the backend is not a store.Copier")
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	out := output(t, ctx, s)
	hugo, err := s.EnsureOutput(ctx, "hugo", "site/content")
	if err != nil {
		t.Fatal(err)
	}
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://example.com/c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFailure(ctx, other.ID, "HTTP 500", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSchedule(ctx, row.ID, store.Schedule{NextDue: now, PausedUntil: now.Add(time.Hour), FeedHint: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused(ctx, other.ID, true); err != nil {
		t.Fatal(err)
	}
	added, err := s.InsertItems(ctx, row.ID, []feed.Item{
		{GUID: "1", Title: "一", Content: "<p>1</p>", Categories: []string{"x"}, Enclosures: []feed.Enclosure{{URL: "https://e/a.mp3"}}, Published: now.Add(-time.Hour)},
		{GUID: "2", Title: "二", Content: "<p>2</p>"},
		{GUID: "3", Title: "三", Content: "<p>3</p>"},
	}, out, []string{"g/s/c/一.md", "", ""}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: added[0].ID, Output: out, Hash: "h1"}}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPostPath(ctx, hugo.ID, added[1].ID, "posts/g/s/c/二.html"); err != nil {
		t.Fatal(err)
	}
	if err := s.Retire(ctx, added[2].ID, now); err != nil {
		t.Fatal(err)
	}
	// The other source's item has its body kept as edits to its content.
	edited, err := s.InsertItems(ctx, other.ID, []feed.Item{{GUID: "e", Title: "改", Content: longRaw}}, 0, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPrepared(ctx, []store.Prepared{{ItemID: added[0].ID, Key: "k", HTML: "<p>one</p>", Image: "i.jpg"}, {ItemID: added[1].ID, Key: "k", Unchanged: true},
		store.NewPrepared(edited[0].ID, "k", longRaw, longHTML, "e.jpg")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, "image_proxy_key", "secret"); err != nil {
		t.Fatal(err)
	}

	export := func(c store.Copier) ([]store.Row, store.Counts) {
		t.Helper()
		var rows []store.Row
		n, err := c.Export(ctx, func(r store.Row) error {
			rows = append(rows, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows, n
	}
	rows, n := export(from)
	if want := (store.Counts{Sources: 2, Items: 4, Outputs: 2, Posts: 2, Prepared: 3, Settings: 1}); n != want {
		t.Fatalf("Export counted %v, want %v", n, want)
	}
	replay := func(yield func(store.Row) error) error {
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}

	to := open(t)
	// A failed copy keeps nothing.
	boom := errors.New("boom")
	if _, err := to.(store.Copier).Import(ctx, func(yield func(store.Row) error) error {
		if err := replay(yield); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Import with a failing source: %v", err)
	}
	if got, _ := to.Sources(ctx); len(got) != 0 {
		t.Fatalf("a failed Import left %d sources", len(got))
	}
	got, err := to.(store.Copier).Import(ctx, replay)
	if err != nil || got != n {
		t.Fatalf("Import = %v, %v; want %v", got, err, n)
	}
	again, _ := export(to.(store.Copier))
	if !reflect.DeepEqual(rows, again) {
		for i := range min(len(rows), len(again)) {
			if !reflect.DeepEqual(rows[i], again[i]) {
				t.Errorf("row %d exported as\n%+v\nafter the copy\n%+v", i, deref(rows[i]), deref(again[i]))
			}
		}
		t.Fatalf("the copy exports %d rows, the original %d", len(again), len(rows))
	}
	if _, err := to.(store.Copier).Import(ctx, replay); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("Import into a store with rows: %v, want ErrNotEmpty", err)
	}
	// The body kept as edits reads in full from the copy.
	if err := to.ItemContents(ctx, []int64{edited[0].ID}, "k", func(m store.ItemMeta, b store.ItemBody) error {
		if b.Prepared == nil || b.Prepared.HTML != longHTML || b.Prepared.Image != "e.jpg" {
			t.Errorf("the body kept as edits, after the copy: %+v", b.Prepared)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The copy goes on as the original: new rows get new IDs.
	more, err := to.InsertItems(ctx, row.ID, []feed.Item{{GUID: "4", Title: "四"}}, 0, nil, now)
	if err != nil || len(more) != 1 || more[0].ID <= added[2].ID {
		t.Errorf("an item added after the copy: %+v, %v", more, err)
	}
	if s2, err := to.EnsureSource(ctx, feed.Source{Group: "g", Name: "new", Channel: "c", URL: "https://example.com/n"}); err != nil || s2.ID <= other.ID {
		t.Errorf("a source added after the copy: %+v, %v", s2, err)
	}
	if o, err := to.EnsureOutput(ctx, "jekyll", "_posts"); err != nil || o.ID <= hugo.ID {
		t.Errorf("an output added after the copy: %+v, %v", o, err)
	}
	// The copy's records are the original's, output by output (the
	// third item is the one added after the copy).
	for _, c := range []struct {
		output int64
		want   string
	}{{out, "true g/s/c/一.md h1|false  |false  |"}, {hugo.ID, "false  |false posts/g/s/c/二.html |false  |"}} {
		items, err := to.Items(ctx, row.ID, c.output, false)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, it := range items {
			got += fmt.Sprintf("%v %s %s|", it.Posted, it.PostPath, it.PostHash)
		}
		if got != c.want {
			t.Errorf("output %d after the copy: %q, want %q", c.output, got, c.want)
		}
	}
}

func deref(r store.Row) any {
	switch {
	case r.Source != nil:
		return *r.Source
	case r.Item != nil:
		return *r.Item
	case r.Output != nil:
		return *r.Output
	case r.Post != nil:
		return *r.Post
	case r.Prepared != nil:
		return *r.Prepared
	case r.Setting != nil:
		return *r.Setting
	}
	return nil
}
