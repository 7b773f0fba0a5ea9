package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
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
