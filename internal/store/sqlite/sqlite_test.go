package sqlite

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store {
			s, err := Open(t.Context(), ":memory:")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		ClearSlugs: func(t *testing.T, s store.Store) {
			if _, err := s.(*Store).pool.ExecContext(t.Context(), `UPDATE items SET slug = NULL`); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a b", "feedmill.db")
	if _, err := Open(t.Context(), path); err == nil {
		t.Fatal("opening in a missing folder should fail")
	}
	path = filepath.Join(t.TempDir(), "中文 db.sqlite")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Sources(t.Context())
	if err != nil || len(rows) != 1 {
		t.Fatalf("after reopen: %v, %v", rows, err)
	}
}

// A new database gets 16 kB pages; one made with SQLite's 4 kB pages (by
// an earlier feedmill) keeps them and still checkpoints its WAL at 64 MB.
func TestPageSize(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	db, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE kept (a)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cases := []struct {
		path            string
		pageSize, pages int
	}{
		{filepath.Join(dir, "new.db"), 16384, 4096},
		{old, 4096, 16384},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			s, err := Open(t.Context(), tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var size, checkpoint int
			var mode string
			for q, v := range map[string]any{`PRAGMA page_size`: &size, `PRAGMA wal_autocheckpoint`: &checkpoint, `PRAGMA journal_mode`: &mode} {
				if err := s.pool.QueryRow(q).Scan(v); err != nil {
					t.Fatal(err)
				}
			}
			if size != tc.pageSize || checkpoint != tc.pages || mode != "wal" {
				t.Fatalf("page_size %d, wal_autocheckpoint %d, journal_mode %s; want %d, %d, wal", size, checkpoint, mode, tc.pageSize, tc.pages)
			}
			if _, err := s.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"}); err != nil {
				t.Fatal(err)
			}
		})
	}
	var n int
	db, err = sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM kept`).Scan(&n); err != nil {
		t.Fatalf("the old database's own table: %v", err)
	}
}

// Two feedmills opening a database that does not exist yet both get it,
// with the new page size, whichever makes it.
func TestConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), path) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		defer s.Close()
		var size int
		if err := s.pool.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil || size != newPageSize {
			t.Fatalf("open %d: page_size %d, %v", i, size, err)
		}
	}
	if _, err := stores[0].EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"}); err != nil {
		t.Fatal(err)
	}
	if rows, err := stores[3].Sources(t.Context()); err != nil || len(rows) != 1 {
		t.Fatalf("the other store sees %v, %v", rows, err)
	}
}
