package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
	"github.com/feedmill/feedmill/internal/store/storetest"
)

func TestStore(t *testing.T) {
	db := pgtest.Database(t)
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store {
			s, err := Open(t.Context(), pgtest.Schema(t, db))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		ClearSlugs: func(t *testing.T, s store.Store) {
			if _, err := s.(*Store).pool.Exec(t.Context(), `UPDATE items SET slug = NULL`); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// Feedmills started together over a new database migrate it once: the
// advisory lock makes the others wait, then find it up to date.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := pgtest.Database(t)
	stores := make([]*Store, 6)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range stores {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		defer s.Close()
	}
	var rows, version int
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT COUNT(*), MAX(version) FROM feedmill_schema`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != len(migrations) {
		t.Errorf("feedmill_schema has %d rows, version %d; want 1, %d", rows, version, len(migrations))
	}
	if _, err := stores[1].EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"}); err != nil {
		t.Fatal(err)
	}
	if got, err := stores[5].Sources(t.Context()); err != nil || len(got) != 1 {
		t.Errorf("another process sees %v, %v", got, err)
	}
}

// A database migrated by a newer feedmill is refused, not damaged.
func TestNewerSchemaRefused(t *testing.T) {
	dsn := pgtest.Database(t)
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(t.Context(), `UPDATE feedmill_schema SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(context.Background(), dsn); err == nil {
		s.Close()
		t.Fatal("opened a database of a newer schema")
	}
}
