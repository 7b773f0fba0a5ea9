package sqlite

import (
	"context"

	"github.com/feedmill/feedmill/internal/store"
)

// RecordFetches implements store.Store: the statements of one fetch at a
// time, in one transaction, which costs SQLite no round trips.
func (s *Store) RecordFetches(ctx context.Context, fetches []store.Fetch) error {
	if len(fetches) == 0 {
		return nil
	}
	return s.Batch(ctx, func(tx store.Store) error {
		for _, f := range store.LastFetches(fetches) {
			var err error
			switch f.Outcome {
			case store.FetchFailed:
				err = tx.RecordFailure(ctx, f.SourceID, f.Err, f.At)
			case store.FetchRefused:
				err = tx.RecordRefusal(ctx, f.SourceID, f.Err, f.At)
			default:
				err = tx.RecordSuccess(ctx, f.SourceID, f.Result)
			}
			if err != nil {
				return err
			}
			if err := tx.SetSchedule(ctx, f.SourceID, f.Schedule); err != nil {
				return err
			}
		}
		return nil
	})
}
