package postgres

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
)

// A store from before outputs keeps its posts: the items' post columns
// become the records of its one output, in the format the output_format
// setting named, which the first run's EnsureOutput names.
func TestMigrationMakesTheOneOutput(t *testing.T) {
	dsn := pgtest.Database(t)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:2] {
		if _, err := conn.Exec(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(t.Context(), `
CREATE TABLE feedmill_schema (version INTEGER NOT NULL);
INSERT INTO feedmill_schema VALUES (2);
INSERT INTO settings (name, value) VALUES ('output_format', 'jekyll');
INSERT INTO sources (id, key, url, created_at) VALUES (1, 'g/s/c', 'https://example.com/feed', 0);
INSERT INTO items (id, source_id, identity, guid, link, title, author, content, image, categories, enclosures, first_seen_at, random_n, post_path, posted_at, post_hash)
VALUES (1, 1, 'guid:1', '1', '', 'One', '', '', '', '', '', 0, 1, '2026-01-01-one.html', 5, 'h1'),
       (2, 1, 'guid:2', '2', '', 'Two', '', '', '', '', '', 0, 1, '2026-01-01-two.html', NULL, ''),
       (3, 1, 'guid:3', '3', '', 'Three', '', '', '', '', '', 0, 1, NULL, NULL, '');`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())

	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fresh, err := s.EnsureOutput(t.Context(), "hexo", "source/_posts")
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.EnsureOutput(t.Context(), "jekyll", "_posts")
	if err != nil || out.ID == fresh.ID {
		t.Fatalf("EnsureOutput = %+v, %v", out, err)
	}
	items, err := s.Items(t.Context(), 1, out.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, it := range items {
		got += fmt.Sprintf("%s:%v:%s:%s ", it.Title, it.Posted, it.PostPath, it.PostHash)
	}
	if want := "One:true:2026-01-01-one.html:h1 Two:false:2026-01-01-two.html: Three:false:: "; got != want {
		t.Errorf("records of the store's output: %q, want %q", got, want)
	}
	if unposted, err := s.Items(t.Context(), 1, fresh.ID, true); err != nil || len(unposted) != 3 {
		t.Errorf("a new output has %d items to write, %v; want 3", len(unposted), err)
	}
	// New outputs take IDs after the migrated one.
	if o, err := s.EnsureOutput(t.Context(), "hugo", "content"); err != nil || o.ID == out.ID || o.ID == fresh.ID {
		t.Errorf("another output = %+v, %v", o, err)
	}
}

// The publisher finds the sources with posts to write in every output:
// an item stored by a fetcher (no path) is pending in each output, a new
// output has every kept item pending, and a copied store keeps them so.
func TestUnpostedSourcesPerOutput(t *testing.T) {
	open := func() *Store {
		s, err := Open(t.Context(), pgtest.Database(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := open()
	ctx := t.Context()
	hexo, err := s.EnsureOutput(ctx, "hexo", "posts")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "a", URL: "https://example.com/a"})
	b, _ := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "b", URL: "https://example.com/b"})
	unposted := func(s *Store, outputs ...int64) []int64 {
		t.Helper()
		ids, err := s.UnpostedSources(ctx, outputs)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	added, err := s.InsertItems(ctx, a.ID, []feed.Item{{GUID: "1", Title: "One"}, {GUID: "2", Title: "Two"}}, 0, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := unposted(s, hexo.ID); !slices.Equal(got, []int64{a.ID}) {
		t.Fatalf("after a fetcher stored two items: %v, want [%d]", got, a.ID)
	}
	var posted []store.Posted
	for _, it := range added {
		posted = append(posted, store.Posted{ItemID: it.ID, Output: hexo.ID})
	}
	if err := s.SetPosted(ctx, posted, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := unposted(s, hexo.ID); len(got) != 0 {
		t.Fatalf("after every post is written: %v", got)
	}
	// A path reserved as the item is stored fills its pending record.
	if more, err := s.InsertItems(ctx, b.ID, []feed.Item{{GUID: "3", Title: "Three"}}, hexo.ID, []string{"g/s/b/Three.md"}, time.Now()); err != nil || more[0].PostPath != "g/s/b/Three.md" {
		t.Fatalf("InsertItems with a path = %+v, %v", more, err)
	}
	if got := unposted(s, hexo.ID); !slices.Equal(got, []int64{b.ID}) {
		t.Fatalf("after an item with a reserved path: %v, want [%d]", got, b.ID)
	}
	hugo, err := s.EnsureOutput(ctx, "hugo", "content")
	if err != nil {
		t.Fatal(err)
	}
	if got := unposted(s, hexo.ID, hugo.ID); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Errorf("after an output was added: %v, want both sources", got)
	}
	// A copy keeps what is pending.
	to := open()
	_, err = to.Import(ctx, func(yield func(store.Row) error) error {
		_, err := s.Export(ctx, yield)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := unposted(to, hexo.ID, hugo.ID); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Errorf("in the copy: %v, want both sources", got)
	}
	if got := unposted(to, hexo.ID); !slices.Equal(got, []int64{b.ID}) {
		t.Errorf("in the copy, hexo: %v, want [%d]", got, b.ID)
	}
}
