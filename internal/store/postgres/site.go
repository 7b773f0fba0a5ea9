package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedmill/feedmill/internal/store"
)

// EnsureSlugs implements store.Store.
func (s *Store) EnsureSlugs(ctx context.Context) (int, error) {
	type row struct {
		id            int64
		key, identity string
	}
	var todo []row
	rows, err := s.q.Query(ctx, `SELECT i.id, s.key, i.identity FROM items AS i JOIN sources AS s ON s.id = i.source_id WHERE i.slug IS NULL ORDER BY i.id`)
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
	n := 0
	err = s.inTx(ctx, func(tx *Store) error {
		for _, r := range todo {
			// The slug is given only when no item has it (a collision of
			// hashes takes the longer form) and the item has none yet
			// (another process may have named it meanwhile).
			named := false
			for try := 0; try <= 8 && !named; try++ {
				tag, err := tx.q.Exec(ctx, `UPDATE items SET slug = $1 WHERE id = $2 AND slug IS NULL AND NOT EXISTS (SELECT 1 FROM items WHERE slug = $1)`,
					store.ItemSlug(r.key, r.identity, try), r.id)
				if err != nil {
					return fmt.Errorf("ensure slug of item %d: %w", r.id, err)
				}
				if tag.RowsAffected() == 1 {
					named = true
					n++
					break
				}
				var has bool
				if err := tx.q.QueryRow(ctx, `SELECT slug IS NOT NULL FROM items WHERE id = $1`, r.id).Scan(&has); err != nil {
					return fmt.Errorf("ensure slug of item %d: %w", r.id, err)
				}
				if has {
					named = true
				}
			}
			if !named {
				return fmt.Errorf("ensure slug of item %d: every form is taken", r.id)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// dateExpr is store.ItemMeta.Date in SQL.
const dateExpr = `(CASE WHEN published_at IS NULL OR published_at > first_seen_at THEN first_seen_at ELSE published_at END)`

// itemWhere turns an ItemFilter into SQL conditions.
func itemWhere(f store.ItemFilter) (string, []any) {
	// Retention takes retired items off the site.
	where := []string{"retired_at IS NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if len(f.SourceIDs) > 0 {
		where = append(where, "source_id = ANY("+arg(f.SourceIDs)+")")
	}
	if !f.Since.IsZero() {
		where = append(where, dateExpr+" >= "+arg(f.Since.UnixNano()))
	}
	if !f.Until.IsZero() {
		where = append(where, dateExpr+" < "+arg(f.Until.UnixNano()))
	}
	if f.AfterID > 0 {
		where = append(where, "id > "+arg(f.AfterID))
	}
	if f.MaxID > 0 {
		where = append(where, "id <= "+arg(f.MaxID))
	}
	return strings.Join(where, " AND "), args
}

// ListItems implements store.Store.
func (s *Store) ListItems(ctx context.Context, f store.ItemFilter) ([]store.ItemMeta, error) {
	where, args := itemWhere(f)
	cols := `id, source_id, COALESCE(slug, ''), link, title, author, image, published_at, first_seen_at, random_n`
	if f.Brief {
		// The items_brief index covers these.
		cols = `id, source_id, COALESCE(slug, ''), published_at, first_seen_at`
	}
	q := `SELECT ` + cols + ` FROM items WHERE ` + where + ` ORDER BY ` + dateExpr + ` DESC, id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	var out []store.ItemMeta
	for rows.Next() {
		var m store.ItemMeta
		var pub *int64
		var seen int64
		var err error
		if f.Brief {
			err = rows.Scan(&m.ID, &m.SourceID, &m.Slug, &pub, &seen)
		} else {
			err = rows.Scan(&m.ID, &m.SourceID, &m.Slug, &m.Link, &m.Title, &m.Author, &m.Image, &pub, &seen, &m.RandomN)
		}
		if err != nil {
			return nil, fmt.Errorf("scan item: %w", err)
		}
		m.Published = fromNano(pub)
		m.FirstSeen = time.Unix(0, seen).UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	return out, nil
}

// CountItems implements store.Store.
func (s *Store) CountItems(ctx context.Context, f store.ItemFilter) (int, error) {
	where, args := itemWhere(f)
	var n int
	if err := s.q.QueryRow(ctx, `SELECT COUNT(*) FROM items WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count items: %w", err)
	}
	return n, nil
}

// ItemContents implements store.Store.
func (s *Store) ItemContents(ctx context.Context, ids []int64, prepared string, fn func(m store.ItemMeta, body store.ItemBody) error) error {
	// Chunks keep the rows in flight few.
	const chunk = 256
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		part := ids[:n]
		ids = ids[n:]
		rows, err := s.q.Query(ctx, `SELECT i.id, i.source_id, COALESCE(i.slug, ''), i.link, i.title, i.author, i.image, i.published_at, i.first_seen_at, i.random_n,
	p.item_id IS NOT NULL, CASE WHEN p.item_id IS NULL OR p.edits IS NOT NULL THEN '' ELSE COALESCE(p.html, i.content) END, COALESCE(p.image, ''), p.edits,
	CASE WHEN p.item_id IS NULL OR p.edits IS NOT NULL THEN i.content ELSE '' END, CASE WHEN p.item_id IS NULL OR p.edits IS NOT NULL THEN i.enclosures ELSE '' END
FROM items AS i LEFT JOIN prepared AS p ON p.item_id = i.id AND p.key = $1 AND $1 <> ''
WHERE i.id = ANY($2)`, prepared, part)
		if err != nil {
			return fmt.Errorf("item contents: %w", err)
		}
		if err := scanContents(rows, prepared, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanContents(rows pgx.Rows, prepared string, fn func(m store.ItemMeta, body store.ItemBody) error) error {
	defer rows.Close()
	for rows.Next() {
		var m store.ItemMeta
		var pub *int64
		var seen int64
		var content, encs string
		var have bool
		var p store.Prepared
		if err := rows.Scan(&m.ID, &m.SourceID, &m.Slug, &m.Link, &m.Title, &m.Author, &m.Image, &pub, &seen, &m.RandomN, &have, &p.HTML, &p.Image, &p.Edits, &content, &encs); err != nil {
			return fmt.Errorf("scan item content: %w", err)
		}
		m.Published = fromNano(pub)
		m.FirstSeen = time.Unix(0, seen).UTC()
		var kept *store.Prepared
		if have {
			p.ItemID, p.Key = m.ID, prepared
			kept = &p
		}
		if err := fn(m, store.KeptBody(content, encs, kept)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("item contents: %w", err)
	}
	return nil
}
