package sqlite_test

import (
	"errors"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func TestSchedule(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://rsshub.example/a"}
	row, err := st.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if !row.NextDue.IsZero() || !row.PausedUntil.IsZero() {
		t.Fatalf("new source has a schedule: %+v", row.Schedule)
	}
	due := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	want := store.Schedule{NextDue: due, PausedUntil: due, FeedHint: time.Hour}
	if err := st.SetSchedule(ctx, row.ID, want); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0].Schedule; !got.NextDue.Equal(want.NextDue) || !got.PausedUntil.Equal(want.PausedUntil) || got.FeedHint != want.FeedHint {
		t.Errorf("schedule = %+v, want %+v", got, want)
	}

	// The same URL keeps the schedule; a new URL is a new route, which
	// nothing has paused yet.
	if row, err = st.EnsureSource(ctx, src); err != nil || !row.NextDue.Equal(due) {
		t.Errorf("same URL: schedule %+v, err %v", row.Schedule, err)
	}
	src.URL = "https://rsshub.example/b"
	if row, err = st.EnsureSource(ctx, src); err != nil || !row.NextDue.IsZero() || !row.PausedUntil.IsZero() || row.FeedHint != 0 {
		t.Errorf("new URL: schedule %+v, err %v", row.Schedule, err)
	}

	if err := st.SetSchedule(ctx, 999, want); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown source: err = %v, want ErrNotFound", err)
	}
}
