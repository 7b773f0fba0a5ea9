package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/store"
)

// RenameSource implements store.Store.
func (s *Store) RenameSource(ctx context.Context, sourceID int64, key string) error {
	var other int64
	switch err := s.db.QueryRowContext(ctx, `SELECT id FROM sources WHERE key = ?`, key).Scan(&other); {
	case err == nil && other != sourceID:
		return store.ErrKeyTaken
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("rename source: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE sources SET key = ? WHERE id = ?`, key, sourceID)
	if err != nil {
		return fmt.Errorf("rename source: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

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
	// The partial index items_unslugged makes this cheap when, as on most
	// builds, only the newest items (or none) lack a slug.
	rows, err := s.db.QueryContext(ctx, `SELECT id, source_id, identity FROM items INDEXED BY items_unslugged WHERE slug IS NULL ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	sourceIDs := map[int64]string{}
	for rows.Next() {
		var r row
		var src int64
		if err := rows.Scan(&r.id, &src, &r.identity); err != nil {
			rows.Close()
			return 0, fmt.Errorf("ensure slugs: %w", err)
		}
		sourceIDs[src] = ""
		r.key = strconv.FormatInt(src, 10) // resolved below
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("ensure slugs: %w", err)
	}
	if len(todo) == 0 {
		return 0, nil
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return 0, err
	}
	keys := map[string]string{}
	for _, src := range srcs {
		keys[strconv.FormatInt(src.ID, 10)] = src.Key
	}
	for i := range todo {
		todo[i].key = keys[todo[i].key]
	}
	tx := s.tx
	if tx == nil {
		if tx, err = s.pool.BeginTx(ctx, nil); err != nil {
			return 0, fmt.Errorf("ensure slugs: %w", err)
		}
		defer tx.Rollback()
	}
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
			if !isUnique(err) || n > 8 {
				return 0, fmt.Errorf("ensure slug of item %d: %w", r.id, err)
			}
		}
	}
	if s.tx == nil {
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("ensure slugs: %w", err)
		}
	}
	return len(todo), nil
}

// dateExpr is store.ItemMeta.Date in SQL.
const dateExpr = `(CASE WHEN published_at IS NULL OR published_at > first_seen_at THEN first_seen_at ELSE published_at END)`

// ListItems implements store.Store.
func (s *Store) ListItems(ctx context.Context, f store.ItemFilter) ([]store.ItemMeta, error) {
	where, args := itemWhere(f)
	if f.Brief {
		// The newest items alone are read by rowid, not by scanning the
		// whole brief index.
		return s.listBrief(ctx, where, args, f.Limit, f.AfterID == 0)
	}
	q := `SELECT id, source_id, COALESCE(slug, ''), link, title, author, image, published_at, first_seen_at, random_n FROM items`
	q += " WHERE " + strings.Join(where, " AND ")
	q += " ORDER BY " + dateExpr + " DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
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
	return out, nil
}

// CountItems implements store.Store. It counts entries of the small
// items_brief index, never reading the rows with their bodies.
func (s *Store) CountItems(ctx context.Context, f store.ItemFilter) (int, error) {
	where, args := itemWhere(f)
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM items INDEXED BY items_brief WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count items: %w", err)
	}
	return n, nil
}

// itemWhere turns an ItemFilter into SQL conditions.
func itemWhere(f store.ItemFilter) ([]string, []any) {
	// Retention takes retired items off the site.
	where := []string{"retired_at IS NULL"}
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
	if f.AfterID > 0 {
		where = append(where, "id > ?")
		args = append(args, f.AfterID)
	}
	if f.MaxID > 0 {
		where = append(where, "id <= ?")
		args = append(args, f.MaxID)
	}
	return where, args
}

// listBrief is ListItems with Brief. Its columns are those of the
// items_brief index, so that SQLite reads that small index alone and
// never the rows with their bodies, and it sorts in Go on a precomputed
// key, several times faster than SQLite's sorter.
func (s *Store) listBrief(ctx context.Context, where []string, args []any, limit int, byIndex bool) ([]store.ItemMeta, error) {
	q := `SELECT id, source_id, slug, published_at, first_seen_at FROM items`
	if byIndex {
		q += ` INDEXED BY items_brief`
	}
	q += " WHERE " + strings.Join(where, " AND ")
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	// Small rows sort fast; ItemMeta values are made after the sort.
	type row struct {
		date, id, src, seen int64
		pub                 sql.NullInt64
		slug                string
	}
	var all []row
	for rows.Next() {
		var r row
		var slug sql.NullString
		if err := rows.Scan(&r.id, &r.src, &slug, &r.pub, &r.seen); err != nil {
			return nil, fmt.Errorf("scan item: %w", err)
		}
		r.slug = slug.String
		r.date = r.seen
		if r.pub.Valid && r.pub.Int64 <= r.seen {
			r.date = r.pub.Int64
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	slices.SortFunc(all, func(a, b row) int {
		if c := cmp.Compare(b.date, a.date); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	out := make([]store.ItemMeta, len(all))
	for i, r := range all {
		out[i] = store.ItemMeta{ID: r.id, SourceID: r.src, Slug: r.slug, Published: fromNano(r.pub), FirstSeen: time.Unix(0, r.seen).UTC()}
	}
	return out, nil
}

// ItemContents implements store.Store.
func (s *Store) ItemContents(ctx context.Context, ids []int64, prepared string, fn func(m store.ItemMeta, body store.ItemBody) error) error {
	// Chunks keep the statement under SQLite's parameter limit and the
	// rows in flight few.
	const chunk = 256
	args := make([]any, 0, 1+chunk)
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		args = append(args[:0], prepared)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		ids = ids[n:]
		// An item with its body prepared with the key is read without its
		// content, unless the body is kept as edits to it: the CASEs
		// leave its columns unread.
		rows, err := s.db.QueryContext(ctx, `SELECT i.id, i.source_id, COALESCE(i.slug, ''), i.link, i.title, i.author, i.image, i.published_at, i.first_seen_at, i.random_n,
	p.item_id IS NOT NULL, CASE WHEN p.item_id IS NULL OR p.edits IS NOT NULL THEN '' ELSE COALESCE(p.html, i.content) END, COALESCE(p.image, ''), p.edits,
	CASE WHEN p.item_id IS NULL OR p.edits IS NOT NULL THEN i.content ELSE '' END, CASE WHEN p.item_id IS NULL OR p.edits IS NOT NULL THEN i.enclosures ELSE '' END
FROM items AS i LEFT JOIN prepared AS p ON p.item_id = i.id AND p.key = ?1 AND ?1 <> ''
WHERE i.id IN (`+strings.Repeat(",?", n)[1:]+`)`, args...)
		if err != nil {
			return fmt.Errorf("item contents: %w", err)
		}
		for rows.Next() {
			var m store.ItemMeta
			var pub sql.NullInt64
			var seen int64
			var content, encs string
			var have bool
			var p store.Prepared
			if err := rows.Scan(&m.ID, &m.SourceID, &m.Slug, &m.Link, &m.Title, &m.Author, &m.Image, &pub, &seen, &m.RandomN, &have, &p.HTML, &p.Image, &p.Edits, &content, &encs); err != nil {
				rows.Close()
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

// AddSetting implements store.Store.
func (s *Store) AddSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	return s.Setting(ctx, name)
}

// SetSetting implements store.Store.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}
