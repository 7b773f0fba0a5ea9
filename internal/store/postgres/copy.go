package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedmill/feedmill/internal/store"
)

var _ store.Copier = (*Store)(nil)

// Export implements store.Copier, in one repeatable-read transaction.
func (s *Store) Export(ctx context.Context, fn func(store.Row) error) (store.Counts, error) {
	var n store.Counts
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	steps := []struct {
		query string
		scan  func(pgx.Rows) (store.Row, error)
	}{
		{`SELECT ` + sourceColumns + `, created_at FROM sources ORDER BY id`,
			func(rows pgx.Rows) (store.Row, error) {
				var r store.SourceRow
				var ok, failed, due, paused *int64
				var hint, created int64
				err := rows.Scan(&r.ID, &r.Key, &r.URL, &r.ETag, &r.LastModified, &ok, &r.LastError, &failed, &r.ConsecutiveErrors, &due, &paused, &hint, &r.FetchURL, &r.Paused, &created)
				r.LastSuccess, r.LastErrorAt = fromNano(ok), fromNano(failed)
				r.NextDue, r.PausedUntil = fromNano(due), fromNano(paused)
				r.FeedHint, r.Created = time.Duration(hint), time.Unix(0, created).UTC()
				return store.Row{Source: &r}, err
			}},
		{`SELECT id, source_id, identity, guid, link, title, author, content, image, categories, enclosures, published_at, first_seen_at, random_n, retired_at, slug FROM items ORDER BY id`,
			func(rows pgx.Rows) (store.Row, error) {
				var r store.ItemRow
				var cats, encs string
				var pub, retired *int64
				var seen int64
				var slug *string
				err := rows.Scan(&r.ID, &r.SourceID, &r.Identity, &r.GUID, &r.Link, &r.Title, &r.Author, &r.Content, &r.Image, &cats, &encs, &pub, &seen, &r.RandomN, &retired, &slug)
				r.Categories, r.Enclosures = store.DecodeList(cats), store.DecodeEnclosures(encs)
				r.Published, r.FirstSeen = fromNano(pub), time.Unix(0, seen).UTC()
				if slug != nil {
					r.Slug = *slug
				}
				r.RetiredAt = fromNano(retired)
				return store.Row{Item: &r}, err
			}},
		{`SELECT id, format, dir FROM outputs ORDER BY id`,
			func(rows pgx.Rows) (store.Row, error) {
				var o store.Output
				err := rows.Scan(&o.ID, &o.Format, &o.Dir)
				return store.Row{Output: &o}, err
			}},
		// A pending record (see migration 4) says nothing a store without
		// one would not: left out, as store/sqlite has none.
		{`SELECT output_id, item_id, path, hash, posted_at FROM posts WHERE path IS NOT NULL OR posted_at IS NOT NULL OR hash <> '' ORDER BY output_id, item_id`,
			func(rows pgx.Rows) (store.Row, error) {
				var p store.PostRow
				var path *string
				var posted *int64
				err := rows.Scan(&p.Output, &p.ItemID, &path, &p.Hash, &posted)
				if path != nil {
					p.Path = *path
				}
				p.PostedAt = fromNano(posted)
				return store.Row{Post: &p}, err
			}},
		{`SELECT item_id, key, html, edits, image FROM prepared ORDER BY item_id`,
			func(rows pgx.Rows) (store.Row, error) {
				var p store.Prepared
				var html *string
				err := rows.Scan(&p.ItemID, &p.Key, &html, &p.Edits, &p.Image)
				if html != nil {
					p.HTML = *html
				}
				p.Unchanged = html == nil && p.Edits == nil
				return store.Row{Prepared: &p}, err
			}},
		{`SELECT name, value FROM settings ORDER BY name COLLATE "C"`,
			func(rows pgx.Rows) (store.Row, error) {
				var st store.Setting
				err := rows.Scan(&st.Name, &st.Value)
				return store.Row{Setting: &st}, err
			}},
	}
	for _, step := range steps {
		rows, err := tx.Query(ctx, step.query)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		for rows.Next() {
			r, err := step.scan(rows)
			if err == nil {
				n.Add(r)
				err = fn(r)
			}
			if err != nil {
				rows.Close()
				return n, fmt.Errorf("export: %w", err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
	}
	return n, nil
}

// importBatch is how many rows go to the server in one pipeline.
const importBatch = 500

// Import implements store.Copier.
func (s *Store) Import(ctx context.Context, rows func(yield func(store.Row) error) error) (store.Counts, error) {
	var n store.Counts
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return n, fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// No other process may write while the store fills.
	if _, err := tx.Exec(ctx, `LOCK TABLE sources, items, outputs, posts, prepared, settings IN EXCLUSIVE MODE`); err != nil {
		return n, fmt.Errorf("import: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM sources) + (SELECT COUNT(*) FROM items) + (SELECT COUNT(*) FROM outputs) + (SELECT COUNT(*) FROM settings)`).Scan(&have); err != nil {
		return n, fmt.Errorf("import: %w", err)
	}
	if have > 0 {
		return n, store.ErrNotEmpty
	}
	b := &pgx.Batch{}
	send := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := tx.SendBatch(ctx, b).Close()
		b = &pgx.Batch{}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		return nil
	}
	err = rows(func(r store.Row) error {
		switch {
		case r.Source != nil:
			x := r.Source
			b.Queue(`INSERT INTO sources (id, key, url, etag, last_modified, last_success_at, last_error, last_error_at, consecutive_errors, next_due_at, paused_until, feed_hint, fetch_url, paused, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				x.ID, x.Key, x.URL, x.ETag, x.LastModified, unixNano(x.LastSuccess), x.LastError, unixNano(x.LastErrorAt),
				x.ConsecutiveErrors, unixNano(x.NextDue), unixNano(x.PausedUntil), int64(x.FeedHint), x.FetchURL, x.Paused, x.Created.UnixNano())
		case r.Item != nil:
			x := r.Item
			b.Queue(`INSERT INTO items (id, source_id, identity, guid, link, title, author, content, image, categories, enclosures, published_at, first_seen_at, random_n, retired_at, slug)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
				x.ID, x.SourceID, x.Identity, x.GUID, x.Link, x.Title, x.Author, x.Content, x.Image,
				store.EncodeList(x.Categories), store.EncodeEnclosures(x.Enclosures), unixNano(x.Published), x.FirstSeen.UnixNano(), x.RandomN,
				unixNano(x.RetiredAt), nullString(x.Slug))
		case r.Output != nil:
			b.Queue(`INSERT INTO outputs (id, format, dir) VALUES ($1, $2, $3)`, r.Output.ID, r.Output.Format, r.Output.Dir)
		case r.Post != nil:
			x := r.Post
			b.Queue(`INSERT INTO posts (output_id, item_id, path, hash, posted_at) VALUES ($1, $2, $3, $4, $5)`, x.Output, x.ItemID, nullString(x.Path), x.Hash, unixNano(x.PostedAt))
		case r.Prepared != nil:
			x := r.Prepared
			html, edits := preparedColumns(x)
			b.Queue(`INSERT INTO prepared (item_id, key, html, edits, image) VALUES ($1, $2, $3, $4, $5)`, x.ItemID, x.Key, html, edits, x.Image)
		case r.Setting != nil:
			b.Queue(`INSERT INTO settings (name, value) VALUES ($1, $2)`, r.Setting.Name, r.Setting.Value)
		default:
			return fmt.Errorf("import: an empty row")
		}
		n.Add(r)
		if b.Len() >= importBatch {
			return send()
		}
		return nil
	})
	if err == nil {
		err = send()
	}
	if err != nil {
		return n, err
	}
	// New rows take IDs after the copied ones.
	for _, table := range []string{"sources", "items", "outputs"} {
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), COALESCE((SELECT MAX(id) FROM `+table+`), 0) + 1, false)`); err != nil {
			return n, fmt.Errorf("import: %w", err)
		}
	}
	var got store.Counts
	if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM sources), (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM outputs), (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM prepared), (SELECT COUNT(*) FROM settings)`).
		Scan(&got.Sources, &got.Items, &got.Outputs, &got.Posts, &got.Prepared, &got.Settings); err != nil {
		return n, fmt.Errorf("import: count: %w", err)
	}
	if got != n {
		return n, fmt.Errorf("import: the store holds %v after writing %v", got, n)
	}
	// The items came before the outputs, so the trigger made no pending
	// records: every live item without a record in an output gets one.
	if _, err := tx.Exec(ctx, `INSERT INTO posts (item_id, output_id) SELECT i.id, o.id FROM items i CROSS JOIN outputs o WHERE i.retired_at IS NULL ON CONFLICT DO NOTHING`); err != nil {
		return n, fmt.Errorf("import: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return n, fmt.Errorf("import: commit: %w", err)
	}
	return n, nil
}
