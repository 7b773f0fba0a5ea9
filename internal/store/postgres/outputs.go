package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/feedmill/feedmill/internal/store"
)

// EnsureOutput implements store.Store. Processes starting together agree
// on one row: the outputs table is locked for the few statements.
func (s *Store) EnsureOutput(ctx context.Context, format, dir string) (store.Output, error) {
	o := store.Output{Format: format, Dir: dir}
	err := s.inTx(ctx, func(tx *Store) error {
		err := tx.q.QueryRow(ctx, `SELECT id FROM outputs WHERE format = $1 AND dir = $2`, format, dir).Scan(&o.ID)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.q.Exec(ctx, `LOCK TABLE outputs IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		err = tx.q.QueryRow(ctx, `SELECT id FROM outputs WHERE format = $1 AND dir = $2`, format, dir).Scan(&o.ID)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// The one output of a store from before outputs, its folder
		// unnamed.
		err = tx.q.QueryRow(ctx, `UPDATE outputs SET dir = $1 WHERE id = (SELECT MIN(id) FROM outputs WHERE format = $2 AND dir = '') RETURNING id`, dir, format).Scan(&o.ID)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.q.QueryRow(ctx, `INSERT INTO outputs (format, dir) VALUES ($1, $2) RETURNING id`, format, dir).Scan(&o.ID); err != nil {
			return err
		}
		// Every item the store keeps is a post pending in the new output
		// (see migration 4).
		_, err = tx.q.Exec(ctx, `INSERT INTO posts (item_id, output_id) SELECT id, $1 FROM items WHERE retired_at IS NULL ON CONFLICT DO NOTHING`, o.ID)
		return err
	})
	if err != nil {
		return o, fmt.Errorf("ensure output: %w", err)
	}
	return o, nil
}

// Outputs implements store.Store.
func (s *Store) Outputs(ctx context.Context) ([]store.Output, error) {
	rows, err := s.q.Query(ctx, `SELECT id, format, dir FROM outputs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query outputs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Output, error) {
		var o store.Output
		err := r.Scan(&o.ID, &o.Format, &o.Dir)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("query outputs: %w", err)
	}
	return out, nil
}
