package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// An item's source is checked at commit (migration 8): the rows of a
// source that does not exist still fail their transaction, the store
// stays whole, and reopening it changes nothing more.
func TestItemsSourceCheckedAtCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	var def string
	if err := s.pool.QueryRowContext(t.Context(), `SELECT sql FROM sqlite_schema WHERE name = 'items'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "REFERENCES sources(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,") {
		t.Fatalf("items table:\n%s", def)
	}
	row, err := s.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Batch(t.Context(), func(tx store.Store) error {
		if _, err := tx.InsertItems(t.Context(), row.ID, []feed.Item{{GUID: "1"}, {GUID: "2"}}, 0, nil, time.Now()); err != nil {
			return err
		}
		// Past InsertItems, which looks the source up first.
		_, err := tx.(*Store).db.ExecContext(t.Context(), insertItemsQuery(1), row.ID+1, "guid:x", "x", "", "", "", "", "", "", "", nil, 0, 0, "slug-x")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		t.Fatalf("a batch with an item of no source: %v, want a foreign key failure", err)
	}
	if items, err := s.Items(t.Context(), row.ID, 0, false); err != nil || len(items) != 0 {
		t.Fatalf("after the failed batch: %d items, %v; want none", len(items), err)
	}
	s.Close()
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var check string
	if err := s.pool.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	if _, err := s.InsertItems(t.Context(), row.ID, []feed.Item{{GUID: "1"}, {GUID: "2"}}, 0, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// A post record's item and output are checked at commit (migration 9):
// a record of an item that does not exist still fails its transaction,
// and the calls that may name a missing item or output say so at once.
func TestPostsCheckedAtCommit(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var def string
	if err := s.pool.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'posts'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"REFERENCES items(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,", "REFERENCES outputs(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"} {
		if !strings.Contains(def, want) {
			t.Fatalf("posts table, want %q:\n%s", want, def)
		}
	}
	row, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.EnsureOutput(ctx, "hexo", "posts")
	if err != nil {
		t.Fatal(err)
	}
	added, err := s.InsertItems(ctx, row.ID, []feed.Item{{GUID: "1"}, {GUID: "2"}}, out.ID, []string{"1.md", "2.md"}, time.Now())
	if err != nil || len(added) != 2 || added[1].PostPath != "2.md" {
		t.Fatalf("InsertItems: %+v, %v", added, err)
	}
	err = s.Batch(ctx, func(tx store.Store) error {
		if err := tx.SetPosted(ctx, []store.Posted{{ItemID: added[0].ID, Output: out.ID, Hash: "h"}}, time.Now()); err != nil {
			return err
		}
		// Past the calls, which look the item up.
		_, err := tx.(*Store).db.ExecContext(ctx, insertPostsQuery(1), added[1].ID+10, out.ID, "x.md")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		t.Fatalf("a batch with a post of no item: %v, want a foreign key failure", err)
	}
	if items, err := s.Items(ctx, row.ID, out.ID, true); err != nil || len(items) != 2 {
		t.Fatalf("after the failed batch: %d unposted items, %v; want 2", len(items), err)
	}
	if _, err := s.InsertItems(ctx, row.ID, []feed.Item{{GUID: "3"}}, out.ID+1, []string{"3.md"}, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InsertItems reserving in a missing output: %v, want ErrNotFound", err)
	}
	if added, err := s.InsertItems(ctx, row.ID, []feed.Item{{GUID: "3"}}, out.ID+1, []string{""}, time.Now()); err != nil || len(added) != 1 {
		t.Errorf("InsertItems reserving nothing in a missing output: %+v, %v", added, err)
	}
	var check string
	if err := s.pool.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&check); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("foreign_key_check: %q, %v", check, err)
	}
}
