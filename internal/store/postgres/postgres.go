// Package postgres is the shared store: one PostgreSQL database, through
// pgx v5 and its pool, that several feedmill processes use at once (see
// the fleet in package fleet). Its schema means what store/sqlite's does,
// column for column; times are Unix nanoseconds in BIGINT columns, as
// there, because timestamptz keeps microseconds only and a stored item
// must read back exactly as InsertItems returned it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Store is a store.Store on one PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// lazy is a pool whose commits return before their WAL is on disk
	// (synchronous_commit = off), for state that a crash of the
	// database server may lose without harm: the fleet's host slots (see
	// HostGate). Everything else commits durably, through pool.
	lazy *pgxpool.Pool
	q    querier // the pool, or the transaction of a Batch
	tx   pgx.Tx  // inside a Batch
}

// querier is what *pgxpool.Pool and pgx.Tx share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL; pool settings
// such as pool_max_conns may be given in it) and brings its schema up to
// date.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	lcfg := cfg.Copy()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Connections are made when first used: a process that never uses
	// the lazy pool never connects it.
	lcfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	lazy, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s := &Store{pool: pool, lazy: lazy, q: pool}
	if err := migrate(ctx, pool); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate postgres: %w", err)
	}
	return s, nil
}

// Pool is the store's connection pool, for the fleet's leases and locks,
// which live beside the store's rows.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pools; a second Close does nothing.
func (s *Store) Close() error {
	s.pool.Close()
	s.lazy.Close()
	return nil
}

// Batch implements store.Store.
func (s *Store) Batch(ctx context.Context, fn func(store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&Store{pool: s.pool, lazy: s.lazy, q: tx, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

// inTx runs fn in the batch s is in, or in a transaction of its own.
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	return s.Batch(ctx, func(tx store.Store) error { return fn(tx.(*Store)) })
}

func unixNano(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

func fromNano(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.Unix(0, *v).UTC()
}

// isUnique reports whether err is a unique violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// nullString is s, or NULL for "".
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

const sourceColumns = `id, key, url, etag, last_modified, last_success_at, last_error, last_error_at, consecutive_errors, next_due_at, paused_until, feed_hint, fetch_url, paused`

func scanSource(row pgx.Row) (store.Source, error) {
	var src store.Source
	var ok, failed, due, paused *int64
	var hint int64
	if err := row.Scan(&src.ID, &src.Key, &src.URL, &src.ETag, &src.LastModified, &ok, &src.LastError, &failed, &src.ConsecutiveErrors, &due, &paused, &hint, &src.FetchURL, &src.Paused); err != nil {
		return src, err
	}
	src.LastSuccess, src.LastErrorAt = fromNano(ok), fromNano(failed)
	src.NextDue, src.PausedUntil = fromNano(due), fromNano(paused)
	src.FeedHint = time.Duration(hint)
	return src, nil
}

// EnsureSource implements store.Store.
func (s *Store) EnsureSource(ctx context.Context, src feed.Source) (store.Source, error) {
	row := s.q.QueryRow(ctx, `
INSERT INTO sources (key, url, created_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET url = excluded.url,
	etag = CASE WHEN sources.url = excluded.url THEN sources.etag ELSE '' END,
	last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified ELSE '' END,
	next_due_at = CASE WHEN sources.url = excluded.url THEN sources.next_due_at ELSE NULL END,
	paused_until = CASE WHEN sources.url = excluded.url THEN sources.paused_until ELSE NULL END,
	feed_hint = CASE WHEN sources.url = excluded.url THEN sources.feed_hint ELSE 0 END,
	fetch_url = CASE WHEN sources.url = excluded.url THEN sources.fetch_url ELSE '' END
RETURNING `+sourceColumns, src.Key(), src.URL, time.Now().UnixNano())
	out, err := scanSource(row)
	if err != nil {
		return store.Source{}, fmt.Errorf("ensure source %s: %w", src.Key(), err)
	}
	return out, nil
}

// Sources implements store.Store. Keys are ordered by their bytes, as
// SQLite orders them, whatever the database's collation.
func (s *Store) Sources(ctx context.Context) ([]store.Source, error) {
	rows, err := s.q.Query(ctx, `SELECT `+sourceColumns+` FROM sources ORDER BY key COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("query sources: %w", err)
	}
	defer rows.Close()
	var out []store.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("scan source: %w", err)
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// RecordSuccess implements store.Store.
func (s *Store) RecordSuccess(ctx context.Context, id int64, r store.FetchResult) error {
	_, err := s.q.Exec(ctx, `UPDATE sources SET etag = $1, last_modified = $2, last_success_at = $3, last_error = $4,
	last_error_at = CASE WHEN $4 = '' THEN last_error_at ELSE $3 END, consecutive_errors = 0 WHERE id = $5`,
		r.ETag, r.LastModified, unixNano(r.At), r.Warning, id)
	if err != nil {
		return fmt.Errorf("record success: %w", err)
	}
	return nil
}

// RecordFailure implements store.Store.
func (s *Store) RecordFailure(ctx context.Context, id int64, msg string, at time.Time) error {
	_, err := s.q.Exec(ctx, `UPDATE sources SET last_error = $1, last_error_at = $2, consecutive_errors = consecutive_errors + 1 WHERE id = $3`,
		msg, unixNano(at), id)
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	return nil
}

// RecordRefusal implements store.Store.
func (s *Store) RecordRefusal(ctx context.Context, id int64, msg string, at time.Time) error {
	_, err := s.q.Exec(ctx, `UPDATE sources SET last_error = $1, last_error_at = $2 WHERE id = $3`, msg, unixNano(at), id)
	if err != nil {
		return fmt.Errorf("record refusal: %w", err)
	}
	return nil
}

// exec runs a statement that must change a row: ErrNotFound when none.
func (s *Store) exec(ctx context.Context, action, sql string, args ...any) error {
	tag, err := s.q.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// RenameSource implements store.Store.
func (s *Store) RenameSource(ctx context.Context, id int64, key string) error {
	var other int64
	switch err := s.q.QueryRow(ctx, `SELECT id FROM sources WHERE key = $1`, key).Scan(&other); {
	case err == nil && other != id:
		return store.ErrKeyTaken
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("rename source: %w", err)
	}
	return s.exec(ctx, "rename source", `UPDATE sources SET key = $1 WHERE id = $2`, key, id)
}

// SetFetchURL implements store.Store.
func (s *Store) SetFetchURL(ctx context.Context, id int64, url string) error {
	return s.exec(ctx, "set fetch URL", `UPDATE sources SET fetch_url = $1 WHERE id = $2`, url, id)
}

// SetSchedule implements store.Store.
func (s *Store) SetSchedule(ctx context.Context, id int64, sc store.Schedule) error {
	return s.exec(ctx, "set schedule", `UPDATE sources SET next_due_at = $1, paused_until = $2, feed_hint = $3 WHERE id = $4`,
		unixNano(sc.NextDue), unixNano(sc.PausedUntil), int64(sc.FeedHint), id)
}

// RecordFetches implements store.Store, in one statement: two for each
// source cost a round trip each.
func (s *Store) RecordFetches(ctx context.Context, fetches []store.Fetch) error {
	fetches = store.LastFetches(fetches)
	if len(fetches) == 0 {
		return nil
	}
	n := len(fetches)
	ids, outcomes := make([]int64, n), make([]int16, n)
	msgs, etags, lastMods := make([]string, n), make([]string, n), make([]string, n)
	ats, dues, pauses := make([]*int64, n), make([]*int64, n), make([]*int64, n)
	hints := make([]int64, n)
	for i, f := range fetches {
		ids[i], outcomes[i] = f.SourceID, int16(f.Outcome)
		if f.Outcome == store.FetchSucceeded {
			msgs[i], ats[i] = f.Result.Warning, unixNano(f.Result.At)
			etags[i], lastMods[i] = f.Result.ETag, f.Result.LastModified
		} else {
			msgs[i], ats[i] = f.Err, unixNano(f.At)
		}
		dues[i], pauses[i], hints[i] = unixNano(f.Schedule.NextDue), unixNano(f.Schedule.PausedUntil), int64(f.Schedule.FeedHint)
	}
	// As RecordSuccess (0), RecordFailure (1) and RecordRefusal (2),
	// then SetSchedule.
	return s.inTx(ctx, func(tx *Store) error {
		return tx.recordFetches(ctx, ids, outcomes, msgs, ats, etags, lastMods, dues, pauses, hints)
	})
}

func (s *Store) recordFetches(ctx context.Context, ids []int64, outcomes []int16, msgs []string, ats []*int64, etags, lastMods []string, dues, pauses []*int64, hints []int64) error {
	tag, err := s.q.Exec(ctx, `UPDATE sources SET
	etag = CASE WHEN v.outcome = 0 THEN v.etag ELSE sources.etag END,
	last_modified = CASE WHEN v.outcome = 0 THEN v.last_modified ELSE sources.last_modified END,
	last_success_at = CASE WHEN v.outcome = 0 THEN v.at ELSE sources.last_success_at END,
	last_error = v.msg,
	last_error_at = CASE WHEN v.outcome = 0 AND v.msg = '' THEN sources.last_error_at ELSE v.at END,
	consecutive_errors = CASE v.outcome WHEN 0 THEN 0 WHEN 1 THEN sources.consecutive_errors + 1 ELSE sources.consecutive_errors END,
	next_due_at = v.due, paused_until = v.paused_until, feed_hint = v.hint
FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[])
	AS v(id, outcome, msg, at, etag, last_modified, due, paused_until, hint)
WHERE sources.id = v.id`, ids, outcomes, msgs, ats, etags, lastMods, dues, pauses, hints)
	if err != nil {
		return fmt.Errorf("record fetches: %w", err)
	}
	if k, n := tag.RowsAffected(), int64(len(ids)); k != n {
		return fmt.Errorf("record fetches: %d of %d sources: %w", n-k, n, store.ErrNotFound)
	}
	return nil
}

// SetPaused implements store.Store.
func (s *Store) SetPaused(ctx context.Context, id int64, paused bool) error {
	return s.exec(ctx, "set paused", `UPDATE sources SET paused = $1 WHERE id = $2`, paused, id)
}

// qAddItem stores a new item. ON CONFLICT DO NOTHING, with no conflict
// target, covers every unique index (identity, slug): a conflict returns
// no row instead of aborting the transaction, and InsertItems then finds
// out which it was.
const qAddItem = `INSERT INTO items (source_id, identity, guid, link, title, author, content, image, categories, enclosures, published_at, first_seen_at, random_n, slug)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT DO NOTHING RETURNING id`

// qAddItems stores new items in one statement, in the order given (IDs
// are drawn as the sorted rows are inserted). A slug another item owns
// (a renamed source's, see taken) is left NULL, as InsertItems' contract
// says; any other conflict returns no row, as qAddItem's. The slug is
// looked up by a LATERAL … LIMIT 1, which can only be an index probe per
// row: written as NOT EXISTS, the prepared statement grew costlier as the
// table grew (most likely its cached plan hashed every stored slug, as
// PostgreSQL may for a subplan it expects to run often), and a fleet's
// first pass spent most of its database time there.
const qAddItems = `INSERT INTO items (source_id, identity, guid, link, title, author, content, image, categories, enclosures, published_at, first_seen_at, random_n, slug)
SELECT $1, v.identity, v.guid, v.link, v.title, v.author, v.content, v.image, v.categories, v.enclosures, v.published_at, $2, v.random_n,
	CASE WHEN o.taken IS NULL THEN v.slug END
FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::integer[], $14::text[])
	WITH ORDINALITY AS v(identity, guid, link, title, author, content, image, categories, enclosures, published_at, random_n, slug, n)
LEFT JOIN LATERAL (SELECT true AS taken FROM items WHERE items.slug = v.slug LIMIT 1) AS o ON true
ORDER BY v.n
ON CONFLICT DO NOTHING RETURNING id, identity`

// qAddPosts reserves the paths of items just stored, in one output,
// filling the records the items_pending_posts trigger made; a path
// another item holds is left out, and the item stays without one.
const qAddPosts = `INSERT INTO posts (item_id, output_id, path)
SELECT v.id, $1, v.path FROM unnest($2::bigint[], $3::text[]) AS v(id, path)
WHERE NOT EXISTS (SELECT 1 FROM posts AS o WHERE o.output_id = $1 AND o.path = v.path)
ON CONFLICT (item_id, output_id) DO UPDATE SET path = excluded.path WHERE posts.path IS NULL
RETURNING item_id`

// InsertItems implements store.Store, in two round trips (three with
// paths): what the source and the output already have, then one
// statement for every new item (a statement per item, even pipelined,
// cost the server more than its insert).
func (s *Store) InsertItems(ctx context.Context, sourceID int64, items []feed.Item, output int64, paths []string, now time.Time) ([]store.Item, error) {
	if paths != nil && len(paths) != len(items) {
		return nil, fmt.Errorf("add items: %d paths for %d items", len(paths), len(items))
	}
	items = textSafe(items)
	var added []store.Item
	err := s.inTx(ctx, func(tx *Store) error {
		key, taken, err := tx.taken(ctx, sourceID, items, output, paths)
		if err != nil {
			return err
		}
		type row struct {
			args []any // qAddItem's, for a conflict
			st   store.Item
		}
		var rows []row
		seen := time.Unix(0, now.UnixNano()).UTC()
		for i, it := range items {
			id, n := it.Identity(), rand.IntN(10001)
			slug := store.ItemSlug(key, id, 0)
			if taken["i"+id] {
				continue // known, or given twice: the first counts
			}
			taken["i"+id] = true
			path := ""
			if paths != nil && paths[i] != "" && !taken["p"+paths[i]] {
				path = paths[i]
				taken["p"+path] = true
			}
			var slugArg *string
			if !taken["s"+slug] {
				slugArg = &slug
				taken["s"+slug] = true
			}
			cats, encs := store.EncodeList(it.Categories), store.EncodeEnclosures(it.Enclosures)
			args := []any{sourceID, id, it.GUID, it.Link, it.Title, it.Author, it.Content, it.Image,
				cats, encs, unixNano(it.Published), now.UnixNano(), n, slugArg}
			st := store.Item{SourceID: sourceID, Identity: id, Item: it, FirstSeen: seen, RandomN: n, PostPath: path}
			// As Items reads it back: dates in UTC to the nanosecond, and
			// no empty lists.
			st.Published = fromNano(unixNano(it.Published))
			st.Categories = store.DecodeList(cats)
			st.Enclosures = store.DecodeEnclosures(encs)
			rows = append(rows, row{args, st})
		}
		if len(rows) == 0 {
			return nil
		}
		n := len(rows)
		texts := make([][]string, 9) // identity … enclosures: args[1:10]
		for k := range texts {
			texts[k] = make([]string, n)
		}
		pubs, randoms, slugs := make([]*int64, n), make([]int32, n), make([]*string, n)
		for i, r := range rows {
			for k := range texts {
				texts[k][i] = r.args[1+k].(string)
			}
			pubs[i], randoms[i], slugs[i] = r.args[10].(*int64), int32(r.args[12].(int)), r.args[13].(*string)
		}
		res, err := tx.q.Query(ctx, qAddItems, sourceID, now.UnixNano(), texts[0], texts[1], texts[2], texts[3], texts[4], texts[5], texts[6],
			texts[7], texts[8], pubs, randoms, slugs)
		if err != nil {
			return fmt.Errorf("add items: %w", err)
		}
		ids := make(map[string]int64, n)
		for res.Next() {
			var id int64
			var identity string
			if err := res.Scan(&id, &identity); err != nil {
				res.Close()
				return fmt.Errorf("add items: %w", err)
			}
			ids[identity] = id
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("add items: %w", err)
		}
		for i := range rows {
			id, ok := ids[rows[i].st.Identity]
			if !ok {
				// Another process stored the item, or took its slug,
				// meanwhile.
				if id, err = tx.insertConflicted(ctx, rows[i].args); err != nil {
					return err
				}
				if id == 0 {
					continue // known
				}
			}
			rows[i].st.ID = id
			added = append(added, rows[i].st)
		}
		return tx.reserveAdded(ctx, output, added)
	})
	return added, err
}

// reserveAdded makes the post records of the items just stored that were
// given a path, in one statement; an item whose path another took
// meanwhile is left without one.
func (s *Store) reserveAdded(ctx context.Context, output int64, added []store.Item) error {
	var ids []int64
	var paths []string
	for _, it := range added {
		if it.PostPath != "" {
			ids, paths = append(ids, it.ID), append(paths, it.PostPath)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.q.Query(ctx, qAddPosts, output, ids, paths)
	if err != nil {
		return fmt.Errorf("add items: reserve paths: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("add items: reserve paths: %w", err)
	}
	if len(got) == len(ids) {
		return nil
	}
	reserved := make(map[int64]bool, len(got))
	for _, id := range got {
		reserved[id] = true
	}
	for i := range added {
		if !reserved[added[i].ID] {
			added[i].PostPath = ""
		}
	}
	return nil
}

// textSafe returns the items with their text as PostgreSQL's text type
// takes it: no NUL byte (a JSON feed can carry one) and valid UTF-8,
// each replaced by U+FFFD. A NUL would otherwise fail the batch, and with
// it every source staged with the item's.
func textSafe(items []feed.Item) []feed.Item {
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	fix := func(s string) string {
		if !bad(s) {
			return s
		}
		return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	var out []feed.Item
	for i, it := range items {
		fields := []*string{&it.GUID, &it.Link, &it.Title, &it.Author, &it.Content, &it.Image}
		changed := false
		for _, f := range fields {
			if bad(*f) {
				*f, changed = fix(*f), true
			}
		}
		for k, c := range it.Categories {
			if bad(c) {
				it.Categories = append([]string(nil), it.Categories...)
				it.Categories[k], changed = fix(c), true
			}
		}
		if !changed {
			continue
		}
		if out == nil {
			out = append([]feed.Item(nil), items...)
		}
		out[i] = it
	}
	if out == nil {
		return items
	}
	return out
}

// taken returns the source's key, and which of the items' identities
// (as "i"+identity) the source has and which of their paths ("p"+path)
// other items own in the output, in one query; a slug another item owns
// is left out as the items are inserted (qAddItems). Knowing them before
// the inserts keeps the items' IDs in the order given: an insert that
// conflicts still uses up an ID, and retrying it after the others would
// store it last.
func (s *Store) taken(ctx context.Context, sourceID int64, items []feed.Item, output int64, paths []string) (string, map[string]bool, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Identity()
	}
	ps := []string{}
	for _, p := range paths {
		if p != "" {
			ps = append(ps, p)
		}
	}
	var key *string
	var known, owned []string
	err := s.q.QueryRow(ctx, `SELECT (SELECT key FROM sources WHERE id = $1),
	ARRAY(SELECT identity FROM items WHERE source_id = $1 AND identity = ANY($2)),
	ARRAY(SELECT path FROM posts WHERE output_id = $4 AND path = ANY($3))`, sourceID, ids, ps, output).Scan(&key, &known, &owned)
	if err != nil {
		return "", nil, fmt.Errorf("add items: %w", err)
	}
	if key == nil {
		return "", nil, fmt.Errorf("add items: source %d: %w", sourceID, store.ErrNotFound)
	}
	taken := make(map[string]bool, len(known)+len(owned))
	for _, id := range known {
		taken["i"+id] = true
	}
	for _, p := range owned {
		taken["p"+p] = true
	}
	return *key, taken, nil
}

// insertConflicted handles an item whose insert met a unique index
// though taken said it was free (another process stored the item, or
// took its slug, meanwhile): a known item (0 is returned), or an item
// stored without the slug, which EnsureSlugs names the careful way. args
// is updated to what was stored.
func (s *Store) insertConflicted(ctx context.Context, args []any) (int64, error) {
	var known bool
	if err := s.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM items WHERE source_id = $1 AND identity = $2)`, args[0], args[1]).Scan(&known); err != nil {
		return 0, fmt.Errorf("add item %q: %w", args[1], err)
	}
	if known {
		return 0, nil
	}
	args[13] = (*string)(nil)
	var id int64
	err := s.q.QueryRow(ctx, qAddItem, args...).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("add item %q: %w", args[1], err)
	}
	return 0, fmt.Errorf("add item %q: its identity is new but it conflicts with a stored item", args[1])
}

// KnownIdentities implements store.Store.
func (s *Store) KnownIdentities(ctx context.Context, sourceID int64, identities []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(identities) == 0 {
		return known, nil
	}
	rows, err := s.q.Query(ctx, `SELECT identity FROM items WHERE source_id = $1 AND identity = ANY($2)`, sourceID, identities)
	if err != nil {
		return nil, fmt.Errorf("known identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("known identities: %w", err)
		}
		known[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("known identities: %w", err)
	}
	return known, nil
}

// Items implements store.Store.
func (s *Store) Items(ctx context.Context, sourceID int64, output int64, unposted bool) ([]store.Item, error) {
	q := `SELECT i.id, i.source_id, i.identity, i.guid, i.link, i.title, i.author, i.content, i.image, i.categories, i.enclosures, i.published_at, i.first_seen_at, i.random_n, p.path, p.posted_at, p.hash
FROM items i LEFT JOIN posts p ON p.item_id = i.id AND p.output_id = $2 WHERE i.source_id = $1 AND i.retired_at IS NULL`
	if unposted {
		q += ` AND p.posted_at IS NULL`
	}
	rows, err := s.q.Query(ctx, q+` ORDER BY i.id`, sourceID, output)
	if err != nil {
		return nil, fmt.Errorf("query items: %w", err)
	}
	defer rows.Close()
	var out []store.Item
	for rows.Next() {
		var it store.Item
		var cats, encl string
		var pub, posted *int64
		var seen int64
		var path, hash *string
		if err := rows.Scan(&it.ID, &it.SourceID, &it.Identity, &it.GUID, &it.Link, &it.Title, &it.Author, &it.Content, &it.Image,
			&cats, &encl, &pub, &seen, &it.RandomN, &path, &posted, &hash); err != nil {
			return nil, fmt.Errorf("scan item: %w", err)
		}
		it.Categories = store.DecodeList(cats)
		it.Enclosures = store.DecodeEnclosures(encl)
		it.Published = fromNano(pub)
		it.FirstSeen = time.Unix(0, seen).UTC()
		if path != nil {
			it.PostPath = *path
		}
		if hash != nil {
			it.PostHash = *hash
		}
		it.Posted = posted != nil
		out = append(out, it)
	}
	return out, rows.Err()
}

// PathOwner implements store.Store.
func (s *Store) PathOwner(ctx context.Context, output int64, path string) (int64, bool, error) {
	var id int64
	err := s.q.QueryRow(ctx, `SELECT item_id FROM posts WHERE output_id = $1 AND path = $2`, output, path).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("path owner: %w", err)
	}
	return id, true, nil
}

// SetPostPath implements store.Store. Inside a batch the update runs
// under a savepoint: PostgreSQL aborts a transaction on a unique
// violation, and a taken path must leave the batch going.
func (s *Store) SetPostPath(ctx context.Context, output int64, itemID int64, path string) error {
	q := s.q
	var sp pgx.Tx
	if s.tx != nil {
		var err error
		if sp, err = s.tx.Begin(ctx); err != nil {
			return fmt.Errorf("set post path: %w", err)
		}
		defer sp.Rollback(context.WithoutCancel(ctx))
		q = sp
	}
	_, err := q.Exec(ctx, `INSERT INTO posts (item_id, output_id, path) VALUES ($1, $2, $3)
ON CONFLICT (item_id, output_id) DO UPDATE SET path = excluded.path`, itemID, output, path)
	switch {
	case isUnique(err):
		return store.ErrPathTaken
	case isForeignKey(err):
		return store.ErrNotFound
	case err != nil:
		return fmt.Errorf("set post path: %w", err)
	}
	if sp != nil {
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("set post path: %w", err)
		}
	}
	return nil
}

// SetPosted implements store.Store.
func (s *Store) SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error {
	if len(posts) == 0 {
		return nil
	}
	// One statement cannot change a row twice: a post given twice is
	// marked once, with its last hash.
	type key struct{ item, output int64 }
	last := make(map[key]int, len(posts))
	for i, p := range posts {
		last[key{p.ItemID, p.Output}] = i
	}
	ids := make([]int64, 0, len(last))
	outputs := make([]int64, 0, len(last))
	hashes := make([]string, 0, len(last))
	for i, p := range posts {
		if last[key{p.ItemID, p.Output}] == i {
			ids, outputs, hashes = append(ids, p.ItemID), append(outputs, p.Output), append(hashes, p.Hash)
		}
	}
	// A post whose path was never reserved (the rare file adopted
	// without one) gets its record here. A missing item or output fails
	// the foreign key, and the transaction with it.
	return s.inTx(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO posts (item_id, output_id, hash, posted_at)
SELECT v.id, v.output, v.hash, $1 FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS v(id, output, hash)
ON CONFLICT (item_id, output_id) DO UPDATE SET posted_at = COALESCE(posts.posted_at, excluded.posted_at), hash = CASE WHEN excluded.hash = '' THEN posts.hash ELSE excluded.hash END`,
			at.UnixNano(), ids, outputs, hashes)
		if isForeignKey(err) {
			return fmt.Errorf("mark posted: %w", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("mark posted: %w", err)
		}
		return nil
	})
}

// SetPrepared implements store.Store.
func (s *Store) SetPrepared(ctx context.Context, bodies []store.Prepared) error {
	if len(bodies) == 0 {
		return nil
	}
	last := make(map[int64]int, len(bodies))
	for i, b := range bodies {
		last[b.ItemID] = i
	}
	var ids []int64
	var keys, images []string
	var htmls []*string
	var edits [][]byte
	for i, b := range bodies {
		if last[b.ItemID] != i {
			continue
		}
		ids, keys, images = append(ids, b.ItemID), append(keys, b.Key), append(images, b.Image)
		html, e := preparedColumns(&bodies[i])
		htmls, edits = append(htmls, html), append(edits, e)
	}
	_, err := s.q.Exec(ctx, `INSERT INTO prepared (item_id, key, html, edits, image)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::text[])
ON CONFLICT (item_id) DO UPDATE SET key = excluded.key, html = excluded.html, edits = excluded.edits, image = excluded.image`, ids, keys, htmls, edits, images)
	if err != nil {
		return fmt.Errorf("keep prepared bodies: %w", err)
	}
	return nil
}

// preparedColumns are the html and edits columns of the body's row: html
// NULL is the content unchanged, or its edits when they are not NULL.
func preparedColumns(b *store.Prepared) (html *string, edits []byte) {
	switch {
	case b.Edits != nil:
		return nil, b.Edits
	case b.Unchanged:
		return nil, nil
	}
	return &b.HTML, nil
}

// Retire implements store.Store.
func (s *Store) Retire(ctx context.Context, itemID int64, at time.Time) error {
	return s.inTx(ctx, func(tx *Store) error {
		if err := tx.exec(ctx, "retire item", `UPDATE items SET retired_at = COALESCE(retired_at, $1) WHERE id = $2`, at.UnixNano(), itemID); err != nil {
			return err
		}
		if _, err := tx.q.Exec(ctx, `DELETE FROM prepared WHERE item_id = $1`, itemID); err != nil {
			return fmt.Errorf("retire item: %w", err)
		}
		return nil
	})
}

// Setting implements store.Store.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.q.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SetSetting implements store.Store.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	_, err := s.q.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}

// AddSetting implements store.Store.
func (s *Store) AddSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.q.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	return s.Setting(ctx, name)
}
