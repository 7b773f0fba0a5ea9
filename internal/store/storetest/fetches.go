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

// RecordFetches leaves each source as RecordSuccess, RecordFailure or
// RecordRefusal then SetSchedule leave it, fetch by fetch; a source given
// twice as its last fetch says; and an unknown source fails the call,
// which then records nothing.
func testRecordFetches(t *testing.T, ctx context.Context, s store.Store) {
	at := time.Date(2022, 1, 28, 10, 0, 0, 0, time.UTC)
	sched := store.Schedule{NextDue: at.Add(time.Hour), PausedUntil: at.Add(30 * time.Minute), FeedHint: 2 * time.Hour}
	cases := []struct {
		name string
		// before is recorded on both sources first: failures, then a
		// success when ok.
		failures int
		ok       bool
		fetch    store.Fetch
	}{
		{name: "success", failures: 2, fetch: store.Fetch{Result: store.FetchResult{At: at, ETag: `"v1"`, LastModified: "Fri, 28 Jan 2022 10:00:00 GMT"}, Schedule: sched}},
		{name: "success with a warning", fetch: store.Fetch{Result: store.FetchResult{At: at, ETag: `"v2"`, Warning: "lost 2 items"}}},
		{name: "success keeps the last error's time", failures: 1, fetch: store.Fetch{Result: store.FetchResult{At: at.Add(time.Minute)}}},
		{name: "failure counted", failures: 2, ok: true, fetch: store.Fetch{Outcome: store.FetchFailed, Err: "HTTP 500", At: at, Schedule: sched}},
		{name: "refusal not counted", failures: 1, ok: true, fetch: store.Fetch{Outcome: store.FetchRefused, Err: "HTTP 429", At: at, Schedule: store.Schedule{PausedUntil: at.Add(time.Hour)}}},
	}
	mk := func(set string, i int) store.Source {
		row, err := s.EnsureSource(ctx, feed.Source{Group: set, Name: "s", Channel: fmt.Sprint(i), URL: fmt.Sprintf("https://e/%s/%d", set, i)})
		if err != nil {
			t.Fatal(err)
		}
		for k := range cases[i].failures {
			if err := s.RecordFailure(ctx, row.ID, "HTTP 503", at.Add(-time.Duration(k+1)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if cases[i].ok {
			if err := s.RecordSuccess(ctx, row.ID, store.FetchResult{At: at.Add(-time.Minute), ETag: `"old"`}); err != nil {
				t.Fatal(err)
			}
		}
		return row
	}
	var fetches []store.Fetch
	one := make([]store.Source, len(cases))
	all := make([]store.Source, len(cases))
	for i, c := range cases {
		one[i], all[i] = mk("one", i), mk("all", i)
		f := c.fetch
		var err error
		switch f.Outcome {
		case store.FetchFailed:
			err = s.RecordFailure(ctx, one[i].ID, f.Err, f.At)
		case store.FetchRefused:
			err = s.RecordRefusal(ctx, one[i].ID, f.Err, f.At)
		default:
			err = s.RecordSuccess(ctx, one[i].ID, f.Result)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSchedule(ctx, one[i].ID, f.Schedule); err != nil {
			t.Fatal(err)
		}
		f.SourceID = all[i].ID
		// Given twice: the last one counts.
		first := store.Fetch{SourceID: all[i].ID, Outcome: store.FetchFailed, Err: "first", At: at.Add(-time.Hour), Schedule: sched}
		fetches = append(fetches, first, f)
	}
	if err := s.RecordFetches(ctx, fetches); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Source{}
	for _, row := range rows {
		byID[row.ID] = row
	}
	state := func(row store.Source) store.Source {
		row.ID, row.Key, row.URL = 0, "", ""
		return row
	}
	for i, c := range cases {
		if got, want := state(byID[all[i].ID]), state(byID[one[i].ID]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: RecordFetches left\n%+v\none at a time:\n%+v", c.name, got, want)
		}
	}
	// An unknown source: nothing is recorded.
	bad := []store.Fetch{
		{SourceID: all[0].ID, Outcome: store.FetchFailed, Err: "not kept", At: at.Add(time.Hour)},
		{SourceID: 1 << 40, Outcome: store.FetchFailed, Err: "x", At: at},
	}
	if err := s.RecordFetches(ctx, bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordFetches with an unknown source: %v, want ErrNotFound", err)
	}
	rows, _ = s.Sources(ctx)
	for _, row := range rows {
		if row.ID == all[0].ID && !reflect.DeepEqual(row, byID[row.ID]) {
			t.Errorf("a failed RecordFetches changed a source:\n%+v\nwas\n%+v", row, byID[row.ID])
		}
	}
	if err := s.RecordFetches(ctx, nil); err != nil {
		t.Errorf("RecordFetches of nothing: %v", err)
	}
}
