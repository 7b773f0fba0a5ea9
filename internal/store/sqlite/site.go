package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/store"
)

// SetPaused implements store.Store.
func (s *Store) SetPaused(ctx context.Context, sourceID int64, paused bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE sources SET paused = ? WHERE id = ?`, paused, sourceID)
	if err != nil {
		return fmt.Errorf("set paused: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// EnsureSlugs implements store.Store.
func (s *Store) EnsureSlugs(ctx context.Context) (int, error) {
	type row struct {
		id            int64
		key, identity string
	}
	var todo []row
	rows, err := s.db.QueryContext(ctx, `SELECT i.id, s.key, i.identity FROM items i JOIN sources s ON s.id = i.source_id WHERE i.slug IS NULL ORDER BY i.id`)
	if err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.key, &r.identity); err != nil {
			rows.Close()
			return 0, fmt.Errorf("ensure slugs: %w", err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	if len(todo) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE items SET slug = ? WHERE id = ?`)
	if err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	defer stmt.Close()
	for _, r := range todo {
		for n := 0; ; n++ {
			_, err := stmt.ExecContext(ctx, store.ItemSlug(r.key, r.identity, n), r.id)
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "UNIQUE constraint failed") || n > 8 {
				return 0, fmt.Errorf("ensure slug of item %d: %w", r.id, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	return len(todo), nil
}

// dateExpr is store.ItemMeta.Date in SQL.
const dateExpr = `(CASE WHEN published_at IS NULL OR published_at > first_seen_at THEN first_seen_at ELSE published_at END)`

// ListItems implements store.Store.
func (s *Store) ListItems(ctx context.Context, f store.ItemFilter) ([]store.ItemMeta, error) {
	var where []string
	var args []any
	if len(f.SourceIDs) > 0 {
		marks := strings.Repeat(",?", len(f.SourceIDs))[1:]
		where = append(where, "source_id IN ("+marks+")")
		for _, id := range f.SourceIDs {
			args = append(args, id)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, dateExpr+" >= ?")
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		where = append(where, dateExpr+" < ?")
		args = append(args, f.Until.UnixNano())
	}
	// The columns are those of the items_meta index, so that SQLite reads
	// the index alone and never the rows with their bodies.
	q := `SELECT id, source_id, COALESCE(slug, ''), link, title, author, image, published_at, first_seen_at, random_n FROM items INDEXED BY items_meta`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// A limited list is sorted by SQLite, which keeps only the top rows;
	// a whole list is sorted below, much faster than SQLite's sorter.
	if f.Limit > 0 {
		q += " ORDER BY " + dateExpr + " DESC, id DESC" + fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	var out []store.ItemMeta
	for rows.Next() {
		var m store.ItemMeta
		var pub sql.NullInt64
		var seen int64
		if err := rows.Scan(&m.ID, &m.SourceID, &m.Slug, &m.Link, &m.Title, &m.Author, &m.Image, &pub, &seen, &m.RandomN); err != nil {
			return nil, fmt.Errorf("scan item: %w", err)
		}
		m.Published = fromNano(pub)
		m.FirstSeen = time.Unix(0, seen).UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	if f.Limit == 0 {
		slices.SortFunc(out, func(a, b store.ItemMeta) int {
			if c := b.Date().Compare(a.Date()); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
	}
	return out, nil
}

// ItemContents implements store.Store.
func (s *Store) ItemContents(ctx context.Context, ids []int64, fn func(id int64, content string) error) error {
	// Chunks keep the statement under SQLite's parameter limit and the
	// rows in flight few.
	const chunk = 256
	args := make([]any, 0, chunk)
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		args = args[:0]
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		ids = ids[n:]
		rows, err := s.db.QueryContext(ctx, `SELECT id, content FROM items WHERE id IN (`+strings.Repeat(",?", n)[1:]+`)`, args...)
		if err != nil {
			return fmt.Errorf("item contents: %w", err)
		}
		for rows.Next() {
			var id int64
			var c string
			if err := rows.Scan(&id, &c); err != nil {
				rows.Close()
				return fmt.Errorf("scan item content: %w", err)
			}
			if err := fn(id, c); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("item contents: %w", err)
		}
	}
	return nil
}

// Setting implements store.Store.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SetSetting implements store.Store.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}
