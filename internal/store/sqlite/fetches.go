package sqlite

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/internal/store"
)

// The statements of RecordFetches: a fetch's outcome and the source's
// schedule in one UPDATE. OR FAIL, as for the single ones (see
// qRecordSuccess): a statement that changes one row has nothing to undo
// when it fails, so SQLite need not keep a statement journal for it.
const (
	qFetchSuccess = `UPDATE OR FAIL sources SET etag = ?, last_modified = ?, last_success_at = ?, last_error = ?, last_error_at = CASE WHEN ? = '' THEN last_error_at ELSE ? END, consecutive_errors = 0, next_due_at = ?, paused_until = ?, feed_hint = ? WHERE id = ?`
	qFetchFailure = `UPDATE OR FAIL sources SET last_error = ?, last_error_at = ?, consecutive_errors = consecutive_errors + 1, next_due_at = ?, paused_until = ?, feed_hint = ? WHERE id = ?`
	qFetchRefusal = `UPDATE OR FAIL sources SET last_error = ?, last_error_at = ?, next_due_at = ?, paused_until = ?, feed_hint = ? WHERE id = ?`
)

// RecordFetches implements store.Store: a statement for each fetch, in
// one transaction, which costs SQLite no round trips.
func (s *Store) RecordFetches(ctx context.Context, fetches []store.Fetch) error {
	if len(fetches) == 0 {
		return nil
	}
	if s.tx == nil {
		return s.Batch(ctx, func(tx store.Store) error { return tx.RecordFetches(ctx, fetches) })
	}
	for _, f := range store.LastFetches(fetches) {
		sc := f.Schedule
		due, paused, hint := unixNano(sc.NextDue), unixNano(sc.PausedUntil), int64(sc.FeedHint)
		var q string
		var args []any
		switch f.Outcome {
		case store.FetchFailed:
			q, args = qFetchFailure, []any{f.Err, unixNano(f.At), due, paused, hint, f.SourceID}
		case store.FetchRefused:
			q, args = qFetchRefusal, []any{f.Err, unixNano(f.At), due, paused, hint, f.SourceID}
		default:
			r := f.Result
			q, args = qFetchSuccess, []any{r.ETag, r.LastModified, unixNano(r.At), r.Warning, r.Warning, unixNano(r.At), due, paused, hint, f.SourceID}
		}
		res, err := s.db.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("record fetch: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("record fetch: source %d: %w", f.SourceID, store.ErrNotFound)
		}
	}
	return nil
}
