package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/internal/store"
)

var _ store.Copier = (*Store)(nil)

// Export implements store.Copier, in one read transaction.
func (s *Store) Export(ctx context.Context, fn func(store.Row) error) (store.Counts, error) {
	var n store.Counts
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback()
	emit := func(r store.Row) error {
		n.Add(r)
		return fn(r)
	}
	steps := []struct {
		query string
		scan  func(*sql.Rows) (store.Row, error)
	}{
		{`SELECT id, key, url, etag, last_modified, last_success_at, last_error, last_error_at, consecutive_errors, next_due_at, paused_until, feed_hint, fetch_url, paused, created_at FROM sources ORDER BY id`,
			func(rows *sql.Rows) (store.Row, error) {
				var r store.SourceRow
				var ok, failed, due, paused sql.NullInt64
				var created int64
				err := rows.Scan(&r.ID, &r.Key, &r.URL, &r.ETag, &r.LastModified, &ok, &r.LastError, &failed, &r.ConsecutiveErrors, &due, &paused, &r.FeedHint, &r.FetchURL, &r.Paused, &created)
				r.LastSuccess, r.LastErrorAt = fromNano(ok), fromNano(failed)
				r.NextDue, r.PausedUntil = fromNano(due), fromNano(paused)
				r.Created = time.Unix(0, created).UTC()
				return store.Row{Source: &r}, err
			}},
		{`SELECT id, source_id, identity, guid, link, title, author, content, image, categories, enclosures, published_at, first_seen_at, random_n, retired_at, slug FROM items ORDER BY id`,
			func(rows *sql.Rows) (store.Row, error) {
				var r store.ItemRow
				var cats, encs string
				var pub, retired sql.NullInt64
				var seen int64
				var slug sql.NullString
				err := rows.Scan(&r.ID, &r.SourceID, &r.Identity, &r.GUID, &r.Link, &r.Title, &r.Author, &r.Content, &r.Image, &cats, &encs, &pub, &seen, &r.RandomN, &retired, &slug)
				r.Categories, r.Enclosures = store.DecodeList(cats), store.DecodeEnclosures(encs)
				r.Published, r.FirstSeen = fromNano(pub), time.Unix(0, seen).UTC()
				r.Slug, r.RetiredAt = slug.String, fromNano(retired)
				return store.Row{Item: &r}, err
			}},
		{`SELECT id, format, dir FROM outputs ORDER BY id`,
			func(rows *sql.Rows) (store.Row, error) {
				var o store.Output
				err := rows.Scan(&o.ID, &o.Format, &o.Dir)
				return store.Row{Output: &o}, err
			}},
		{`SELECT output_id, item_id, path, hash, posted_at FROM posts ORDER BY output_id, item_id`,
			func(rows *sql.Rows) (store.Row, error) {
				var p store.PostRow
				var path sql.NullString
				var posted sql.NullInt64
				err := rows.Scan(&p.Output, &p.ItemID, &path, &p.Hash, &posted)
				p.Path, p.PostedAt = path.String, fromNano(posted)
				return store.Row{Post: &p}, err
			}},
		{`SELECT item_id, key, html, edits, image FROM prepared ORDER BY item_id`,
			func(rows *sql.Rows) (store.Row, error) {
				var p store.Prepared
				var html sql.NullString
				err := rows.Scan(&p.ItemID, &p.Key, &html, &p.Edits, &p.Image)
				p.HTML, p.Unchanged = html.String, !html.Valid && p.Edits == nil
				return store.Row{Prepared: &p}, err
			}},
		{`SELECT name, value FROM settings ORDER BY name`,
			func(rows *sql.Rows) (store.Row, error) {
				var st store.Setting
				err := rows.Scan(&st.Name, &st.Value)
				return store.Row{Setting: &st}, err
			}},
	}
	for _, step := range steps {
		rows, err := tx.QueryContext(ctx, step.query)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		for rows.Next() {
			r, err := step.scan(rows)
			if err == nil {
				err = emit(r)
			}
			if err != nil {
				rows.Close()
				return n, fmt.Errorf("export: %w", err)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
	}
	return n, nil
}

// Import implements store.Copier.
func (s *Store) Import(ctx context.Context, rows func(yield func(store.Row) error) error) (store.Counts, error) {
	var n store.Counts
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return n, fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM sources) + (SELECT COUNT(*) FROM items) + (SELECT COUNT(*) FROM outputs) + (SELECT COUNT(*) FROM settings)`).Scan(&have); err != nil {
		return n, fmt.Errorf("import: %w", err)
	}
	if have > 0 {
		return n, store.ErrNotEmpty
	}
	qs := []string{
		`INSERT INTO sources (id, key, url, etag, last_modified, last_success_at, last_error, last_error_at, consecutive_errors, next_due_at, paused_until, feed_hint, fetch_url, paused, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO items (id, source_id, identity, guid, link, title, author, content, image, categories, enclosures, published_at, first_seen_at, random_n, retired_at, slug) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO prepared (item_id, key, html, edits, image) VALUES (?, ?, ?, ?, ?)`,
		`INSERT INTO settings (name, value) VALUES (?, ?)`,
		`INSERT INTO outputs (id, format, dir) VALUES (?, ?, ?)`,
		`INSERT INTO posts (output_id, item_id, path, hash, posted_at) VALUES (?, ?, ?, ?, ?)`,
	}
	stmts := make([]*sql.Stmt, len(qs))
	for i, q := range qs {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return n, fmt.Errorf("import: %w", err)
		}
		defer stmts[i].Close()
	}
	err = rows(func(r store.Row) error {
		var err error
		switch {
		case r.Source != nil:
			x := r.Source
			_, err = stmts[0].ExecContext(ctx, x.ID, x.Key, x.URL, x.ETag, x.LastModified, unixNano(x.LastSuccess), x.LastError, unixNano(x.LastErrorAt),
				x.ConsecutiveErrors, unixNano(x.NextDue), unixNano(x.PausedUntil), int64(x.FeedHint), x.FetchURL, x.Paused, x.Created.UnixNano())
		case r.Item != nil:
			x := r.Item
			_, err = stmts[1].ExecContext(ctx, x.ID, x.SourceID, x.Identity, x.GUID, x.Link, x.Title, x.Author, x.Content, x.Image,
				store.EncodeList(x.Categories), store.EncodeEnclosures(x.Enclosures), unixNano(x.Published), x.FirstSeen.UnixNano(), x.RandomN,
				unixNano(x.RetiredAt), nullString(x.Slug))
		case r.Output != nil:
			_, err = stmts[4].ExecContext(ctx, r.Output.ID, r.Output.Format, r.Output.Dir)
		case r.Post != nil:
			x := r.Post
			_, err = stmts[5].ExecContext(ctx, x.Output, x.ItemID, nullString(x.Path), x.Hash, unixNano(x.PostedAt))
		case r.Prepared != nil:
			x := r.Prepared
			html, edits := preparedColumns(*x)
			_, err = stmts[2].ExecContext(ctx, x.ItemID, x.Key, html, edits, x.Image)
		case r.Setting != nil:
			_, err = stmts[3].ExecContext(ctx, r.Setting.Name, r.Setting.Value)
		default:
			return fmt.Errorf("import: an empty row")
		}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		n.Add(r)
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := checkCounts(ctx, tx, n); err != nil {
		return n, err
	}
	if err := tx.Commit(); err != nil {
		return n, fmt.Errorf("import: commit: %w", err)
	}
	return n, nil
}

// checkCounts compares the rows in the store with those written.
func checkCounts(ctx context.Context, tx *sql.Tx, want store.Counts) error {
	var got store.Counts
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM sources), (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM outputs), (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM prepared), (SELECT COUNT(*) FROM settings)`).
		Scan(&got.Sources, &got.Items, &got.Outputs, &got.Posts, &got.Prepared, &got.Settings); err != nil {
		return fmt.Errorf("import: count: %w", err)
	}
	if got != want {
		return fmt.Errorf("import: the store holds %v after writing %v", got, want)
	}
	return nil
}
