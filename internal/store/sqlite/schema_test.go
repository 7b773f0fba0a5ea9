package sqlite

import (
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
