package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/feedmill/feedmill/internal/store"
)

// EnsureOutput implements store.Store.
func (s *Store) EnsureOutput(ctx context.Context, format, dir string) (store.Output, error) {
	if s.tx == nil {
		var out store.Output
		err := s.Batch(ctx, func(tx store.Store) error {
			var err error
			out, err = tx.EnsureOutput(ctx, format, dir)
			return err
		})
		return out, err
	}
	o := store.Output{Format: format, Dir: dir}
	err := s.db.QueryRowContext(ctx, `SELECT id FROM outputs WHERE format = ? AND dir = ?`, format, dir).Scan(&o.ID)
	if err == nil {
		return o, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("ensure output: %w", err)
	}
	// The one output of a store from before outputs, its folder unnamed.
	err = s.db.QueryRowContext(ctx, `UPDATE outputs SET dir = ? WHERE id = (SELECT MIN(id) FROM outputs WHERE format = ? AND dir = '') RETURNING id`, dir, format).Scan(&o.ID)
	if err == nil {
		return o, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("ensure output: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `INSERT INTO outputs (format, dir) VALUES (?, ?) RETURNING id`, format, dir).Scan(&o.ID); err != nil {
		return o, fmt.Errorf("ensure output: %w", err)
	}
	return o, nil
}

// Outputs implements store.Store.
func (s *Store) Outputs(ctx context.Context) ([]store.Output, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, format, dir FROM outputs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query outputs: %w", err)
	}
	defer rows.Close()
	var out []store.Output
	for rows.Next() {
		var o store.Output
		if err := rows.Scan(&o.ID, &o.Format, &o.Dir); err != nil {
			return nil, fmt.Errorf("scan output: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
