package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Checkpoint copies the write-ahead log into the database and truncates
// it, as the close would; what was written stays, and the store goes on
// writing. Inside a batch it does nothing.
func TestCheckpointTruncatesTheLog(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ensure := func(st store.Store, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if _, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: fmt.Sprint(i), URL: fmt.Sprintf("https://example.com/%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	walSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	ensure(s, 0, 10)
	if walSize() == 0 {
		t.Fatal("no log was written")
	}
	err = s.Batch(ctx, func(tx store.Store) error {
		ensure(tx, 10, 20)
		before := walSize()
		if err := tx.(interface{ Checkpoint(context.Context) error }).Checkpoint(ctx); err != nil {
			return err
		}
		if after := walSize(); after != before {
			t.Errorf("a checkpoint inside a batch changed the log: %d -> %d bytes", before, after)
		}
		return nil
	})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	if err := s.Checkpoint(ctx); err != nil {
		s.Close()
		t.Fatal(err)
	}
	if n := walSize(); n != 0 {
		t.Errorf("the log has %d bytes after a checkpoint, want 0", n)
	}
	ensure(s, 20, 30)
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 30 {
		t.Errorf("%d sources after the checkpoint and a reopen, want 30", len(rows))
	}
}

// A checkpoint does not wait for another process reading the store, as
// the truncation of the log would (up to the busy timeout): it copies
// what it can at once, and the store goes on.
func TestCheckpointDoesNotWaitForReaders(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "0", URL: "https://example.com/0"}); err != nil {
		t.Fatal(err)
	}
	reader, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sources`).Scan(&n); err != nil { // holds its snapshot of the log
		t.Fatal(err)
	}
	if _, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "1", URL: "https://example.com/1"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > busyTimeout*time.Millisecond/2 {
		t.Errorf("the checkpoint waited %v for a reader", took)
	}
	if _, err := s.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "2", URL: "https://example.com/2"}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Sources(ctx)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d sources, %v; want 3", len(rows), err)
	}
}
