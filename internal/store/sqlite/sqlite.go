// Package sqlite is the embedded store: a single SQLite file through the
// pure-Go modernc.org/sqlite driver, so feedmill builds without cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Store is a store.Store on one SQLite database.
type Store struct {
	// db runs the queries, through prepared statements: on the database,
	// or on the transaction of a Batch.
	db   *stmtCache
	pool *sql.DB
	tx   *sql.Tx // inside a Batch
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its
// schema up to date. ":memory:" gives a private in-memory database.
func Open(ctx context.Context, path string) (*Store, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath()
	pageSize := 4096
	if path == ":memory:" {
		dsn = "file::memory:"
	} else {
		if err := prepareFile(ctx, path); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		var err error
		if pageSize, err = create(ctx, dsn); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
	}
	// A 4 MB page cache (SQLite's default is 2 MB): each cached 16 kB
	// page is a malloc of a little over 16 kB, which modernc's allocator
	// serves from a 64 kB mapping of its own, so a megabyte of cache_size
	// costs about 1.3 MB of RSS outside the Go heap. At 16 MB the cache
	// was 21 MB of a first run's 97 MB peak over 1,000 sources × 20 items;
	// 4 MB took 15 MB off it (8 MB: 11 MB) for no CPU that a first run of
	// those 20,000 items or of bench/refresh's 100,000 could tell apart
	// (the indexes' interior pages stay cached; a leaf read again comes
	// from the OS's cache of the WAL or the file). The WAL is
	// checkpointed at 64 MB instead of 4 MB: a checkpoint runs, and waits
	// for its two fsyncs, on the connection that commits, which during a
	// refresh is the one writer every source's items pass through, and
	// index pages changed again between two checkpoints are copied once.
	// On disk a first refresh of 100,000 items spent 0.67 s in those
	// fsyncs at 16 MB and 0.24 s at 64 MB. The WAL file is removed when
	// the last connection closes. Temporary files stay files: a
	// multi-row InsertItems keeps a statement journal (see there), and in
	// memory (temp_store MEMORY) that cost a first run over 200 sources
	// 8 MB of peak RSS for no CPU it saved.
	dsn += fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-4096)&_pragma=wal_autocheckpoint(%d)&_txlock=immediate", busyTimeout, walCheckpoint/pageSize)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a private
	// :memory: database exists only on the connection that made it.
	db.SetMaxOpenConns(1)
	s := &Store{db: newStmtCache(db), pool: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := s.db.prepare(ctx, batchQueries()...); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

// newPageSize is the page size of a database feedmill creates. SQLite's
// default, 4 kB, writes a refresh's items as twice as many WAL frames (a
// system call for each frame's header and one for its page), and copies
// and reads them back at each checkpoint: 16 kB pages took a first refresh
// of 100,000 items from 292,000 pwrite and 64,000 pread calls to 84,000
// and 13,000 (see bench/README.md). A database made before keeps its
// pages; page_size changes only with a VACUUM outside WAL mode.
const newPageSize = 16384

// busyTimeout is how long, in milliseconds, a statement waits for another
// connection's lock (another feedmill writing, a reader of the log).
const busyTimeout = 10000

// walCheckpoint is how large the WAL grows before it is checkpointed.
const walCheckpoint = 64 << 20

// create gives the database at dsn newPageSize pages and the WAL journal
// when it has no page yet (the temp file of createFile), and returns its
// page size. The page size must be set
// before the journal mode, which the driver's _pragma list would set
// first (it sorts them).
func create(ctx context.Context, dsn string) (int, error) {
	// Another feedmill may be writing: wait for its locks as Open does.
	db, err := sql.Open("sqlite", dsn+fmt.Sprintf("?_pragma=busy_timeout(%d)", busyTimeout))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var pages int
	if err := conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, err
	}
	if pages == 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA page_size = %d; PRAGMA journal_mode = WAL`, newPageSize)); err != nil {
			return 0, err
		}
	}
	var size int
	if err := conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, err
	}
	return max(size, 512), nil
}

// The statements a refresh runs inside its batches, thousands of times.
const (
	// The source's key, for its items' slugs, the largest item ID,
	// after which InsertItems finds the rows it stored, and whether the
	// output the items reserve paths in exists (its foreign key is
	// checked at commit only).
	qSourceKeyLastID = `SELECT key, (SELECT COALESCE(MAX(id), 0) FROM items), EXISTS (SELECT 1 FROM outputs WHERE id = ?) FROM sources WHERE id = ?`
	qItemsAfter      = `SELECT id, identity FROM items WHERE id > ? ORDER BY id`
	// A post record is made when its path is reserved: an item has none
	// in an output until then. The item and the output are looked up
	// here: their foreign keys are checked at commit only.
	qSetPostPath = `INSERT INTO posts (item_id, output_id, path) SELECT ?1, ?2, ?3
WHERE EXISTS (SELECT 1 FROM items WHERE id = ?1) AND EXISTS (SELECT 1 FROM outputs WHERE id = ?2)
ON CONFLICT (item_id, output_id) DO UPDATE SET path = excluded.path`
	qPathOwner = `SELECT item_id FROM posts WHERE output_id = ? AND path = ?`
	// A fetch's record and the schedule, one source's row each. OR FAIL:
	// an UPDATE counts as a statement that may change many rows, and one
	// under OR ABORT that may fail (the NOT NULL columns) gets a
	// statement journal, a copy of the sources' page it changes, for
	// nothing when it changes one row.
	qRecordSuccess = `UPDATE OR FAIL sources SET etag = ?, last_modified = ?, last_success_at = ?, last_error = ?, last_error_at = CASE WHEN ? = '' THEN last_error_at ELSE ? END, consecutive_errors = 0 WHERE id = ?`
	qRecordFailure = `UPDATE OR FAIL sources SET last_error = ?, last_error_at = ?, consecutive_errors = consecutive_errors + 1 WHERE id = ?`
	qRecordRefusal = `UPDATE OR FAIL sources SET last_error = ?, last_error_at = ? WHERE id = ?`
	qSetSchedule   = `UPDATE OR FAIL sources SET next_due_at = ?, paused_until = ?, feed_hint = ? WHERE id = ?`
	// The item's post record in one output comes with it. SQLite finds
	// the items waiting for their post on items_brief (the source's live
	// items by ID) and the posts' key, and seeks an item's row (body and
	// all) only for the items it returns.
	qItems = `SELECT i.id, i.source_id, i.identity, i.guid, i.link, i.title, i.author, i.content, i.image, i.categories, i.enclosures, i.published_at, i.first_seen_at, i.random_n, p.path, p.posted_at, p.hash
FROM items i LEFT JOIN posts p ON p.item_id = i.id AND p.output_id = ? WHERE i.source_id = ? AND i.retired_at IS NULL`
	qItemsOrder    = ` ORDER BY i.id`
	qItemsUnposted = ` AND p.posted_at IS NULL`
)

func batchQueries() []string {
	qs := []string{qSourceKeyLastID, qItemsAfter, qSetPostPath, qPathOwner, qRecordSuccess, qRecordFailure, qRecordRefusal, qSetSchedule,
		qFetchSuccess, qFetchFailure, qFetchRefusal,
		qItems + qItemsOrder, qItems + qItemsUnposted + qItemsOrder}
	for _, n := range setPostedSizes {
		qs = append(qs, setPostedQuery(n), setPreparedQuery(n))
	}
	for _, n := range insertSizes {
		qs = append(qs, insertItemsQuery(n), insertPostsQuery(n))
	}
	return qs
}

// migrations are applied in order; the schema version is their count.
// Append only: a released migration never changes.
var migrations = []func(ctx context.Context, tx *sql.Tx) error{
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
CREATE TABLE sources (
	id INTEGER PRIMARY KEY,
	key TEXT NOT NULL UNIQUE,
	url TEXT NOT NULL,
	etag TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	last_success_at INTEGER,
	last_error TEXT NOT NULL DEFAULT '',
	last_error_at INTEGER,
	consecutive_errors INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE TABLE items (
	id INTEGER PRIMARY KEY,
	source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	identity TEXT NOT NULL,
	guid TEXT NOT NULL,
	link TEXT NOT NULL,
	title TEXT NOT NULL,
	author TEXT NOT NULL,
	content TEXT NOT NULL,
	image TEXT NOT NULL,
	categories TEXT NOT NULL,
	enclosures TEXT NOT NULL,
	published_at INTEGER,
	first_seen_at INTEGER NOT NULL,
	random_n INTEGER NOT NULL,
	post_path TEXT UNIQUE,
	posted_at INTEGER,
	UNIQUE (source_id, identity)
);
CREATE INDEX items_unposted ON items (source_id) WHERE posted_at IS NULL;
`)
		return err
	},
	// The schedule: when each source is due next, until when the server
	// asked us to keep away from it, and the feed's own update hint.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
ALTER TABLE sources ADD COLUMN next_due_at INTEGER;
ALTER TABLE sources ADD COLUMN paused_until INTEGER;
ALTER TABLE sources ADD COLUMN feed_hint INTEGER NOT NULL DEFAULT 0;
`)
		return err
	},
	// Retention: the hash of each post file as written, and when an item
	// was taken off the site.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
ALTER TABLE items ADD COLUMN post_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN retired_at INTEGER;
`)
		return err
	},
	// fetch_url: where a permanent redirect or autodiscovery moved a source.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `ALTER TABLE sources ADD COLUMN fetch_url TEXT NOT NULL DEFAULT ''`)
		return err
	},
	// The site: a permanent slug per item, paused sources, settings.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
ALTER TABLE sources ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX items_slug ON items (slug);
CREATE INDEX items_unslugged ON items (id) WHERE slug IS NULL;
-- Covers ListItems with Brief: listing 100,000 items reads this small
-- index, not the rows with their bodies. Retired items are off the site.
CREATE INDEX items_brief ON items (source_id, id, slug, published_at, first_seen_at) WHERE retired_at IS NULL;
CREATE TABLE settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`)
		return err
	},
	// Bodies as the refresh prepared them for the posts, kept for the
	// site. Apart from the items: a row with its body is large, and the
	// refresh marks posts on their item rows.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
CREATE TABLE prepared (
	item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	html TEXT, -- NULL: the item's content, unchanged
	image TEXT NOT NULL
);
`)
		return err
	},
	// Outputs: an item's post record per output (format and folder), so
	// that one run writes several outputs, each exactly once. The items'
	// own post columns become the records of the store's one output,
	// whose format the output_format setting named (Hexo before formats
	// were recorded) and whose folder EnsureOutput names on the next run.
	// Those columns stay, unused: SQLite cannot drop a UNIQUE column, and
	// rebuilding the items table would rewrite every body.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
CREATE TABLE outputs (
	id INTEGER PRIMARY KEY,
	format TEXT NOT NULL,
	dir TEXT NOT NULL,
	UNIQUE (format, dir)
);
CREATE TABLE posts (
	item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	output_id INTEGER NOT NULL REFERENCES outputs(id) ON DELETE CASCADE,
	path TEXT,
	hash TEXT NOT NULL DEFAULT '',
	posted_at INTEGER,
	PRIMARY KEY (item_id, output_id),
	UNIQUE (output_id, path)
) WITHOUT ROWID;
INSERT INTO outputs (id, format, dir)
	SELECT 1, COALESCE((SELECT value FROM settings WHERE name = 'output_format'), 'hexo'), ''
	WHERE EXISTS (SELECT 1 FROM items WHERE post_path IS NOT NULL OR posted_at IS NOT NULL);
INSERT INTO posts (item_id, output_id, path, hash, posted_at)
	SELECT id, 1, post_path, post_hash, posted_at FROM items WHERE post_path IS NOT NULL OR posted_at IS NOT NULL;
DELETE FROM settings WHERE name = 'output_format';
DROP INDEX items_unposted;
`)
		return err
	},
	// An item's source is checked when its transaction commits, not as
	// each row goes in: a statement that may fail on a row must keep a
	// statement journal to undo the rows before, and for a source's new
	// items (InsertItems, one statement for many rows) that journal was a
	// third of the cost. Rows of a source that does not exist still fail
	// the transaction. SQLite cannot alter a constraint, and rebuilding
	// the table would rewrite every body; a foreign key's clause leaves
	// the file as it is, so the table's definition is edited in place, as
	// SQLite documents for such changes (lang_altertable.html, "other
	// kinds of table schema changes"). A definition without the expected
	// clause is left as it is: the items then go in with the journal.
	func(ctx context.Context, tx *sql.Tx) error {
		return deferReferences(ctx, tx, "items", `REFERENCES sources(id) ON DELETE CASCADE,`)
	},
	// A post record's item and output are checked when its transaction
	// commits too, for the same reason: the paths a source's new items
	// reserve go in with one statement for many rows (reserveAdded), and
	// an immediate foreign key made SQLite keep a statement journal for
	// it, a copy of each index page it changed, written to a temp file
	// (a first run of 200 sources x 20 items made 4,226 writes to it,
	// 1,116 after this).
	// The statements that could name a missing item or output check for
	// it themselves (SetPostPath, SetPosted, InsertItems).
	func(ctx context.Context, tx *sql.Tx) error {
		return deferReferences(ctx, tx, "posts", `REFERENCES items(id) ON DELETE CASCADE,`, `REFERENCES outputs(id) ON DELETE CASCADE,`)
	},
	// A prepared body as edits to its item's content (store.Prepared.Edits)
	// instead of a second copy of it: html is then NULL. A row without
	// edits reads as before.
	func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `ALTER TABLE prepared ADD COLUMN edits BLOB`)
		return err
	},
}

// deferReferences makes the foreign keys of a table, given by their
// clauses as its definition spells them, checked when the transaction
// commits instead of as each row goes in. SQLite cannot alter a
// constraint, and rebuilding the table would rewrite its rows; a foreign
// key's clause leaves the file as it is, so the table's definition is
// edited in place, as SQLite documents for such changes
// (lang_altertable.html, "other kinds of table schema changes"). A
// definition without each clause exactly once is left as it is: its rows
// then go in with the statement journal.
func deferReferences(ctx context.Context, tx *sql.Tx, table string, clauses ...string) error {
	const deferred = ` DEFERRABLE INITIALLY DEFERRED,`
	var def string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&def); err != nil {
		return err
	}
	for _, c := range clauses {
		if strings.Count(def, c) != 1 {
			return nil
		}
		def = strings.Replace(def, c, strings.TrimSuffix(c, ",")+deferred, 1)
	}
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&version); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA writable_schema = ON`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?`, def, table); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA schema_version = %d`, version+1)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `PRAGMA writable_schema = OFF`)
	return err
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this feedmill knows (%d)", version, len(migrations))
	}
	if version == len(migrations) {
		// Up to date: opening writes nothing, so that commands that only
		// read (feedmill routes from the cached catalog) cost no fsync.
		return tx.Commit()
	}
	for i := version; i < len(migrations); i++ {
		if err := migrations[i](ctx, tx); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the database.
func (s *Store) Close() error {
	s.db.close()
	return s.pool.Close()
}

// Checkpoint copies the write-ahead log into the database and truncates
// it, as closing the store would (SQLite checkpoints the log when its last
// connection closes). A program about to close the store does it while
// it still waits for other work (refresh.Runner.Closing): the log of a
// first refresh is tens of MB, and on disk its checkpoint (the copy, the
// database's fsync, freeing the log's blocks) took 0.1 s at the close.
// Inside a Batch it does nothing.
//
// A TRUNCATE checkpoint waits for the readers of the log to finish (up to
// the busy timeout, 10 s), where the close would just leave the log to
// them: it runs with no busy timeout, so that another process reading the
// store (feedmill sources, a backup) cannot hold up a run. It then
// copies what it can and leaves the log.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.tx != nil {
		return nil
	}
	conn, err := s.pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var busy, frames, copied int
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	if _, rerr := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, busyTimeout)); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Batch implements store.Store. The database has one connection, so the
// Store outside the batch waits until it ends.
func (s *Store) Batch(ctx context.Context, fn func(store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()
	stmts := newTxStmtCache(tx, s.db)
	defer stmts.close()
	if err := fn(&Store{db: stmts, pool: s.pool, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

func unixNano(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNano(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}

// EnsureSource implements store.Store.
func (s *Store) EnsureSource(ctx context.Context, src feed.Source) (store.Source, error) {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO sources (key, url, created_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET url = excluded.url,
	etag = CASE WHEN sources.url = excluded.url THEN sources.etag ELSE '' END,
	last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified ELSE '' END,
	next_due_at = CASE WHEN sources.url = excluded.url THEN sources.next_due_at ELSE NULL END,
	paused_until = CASE WHEN sources.url = excluded.url THEN sources.paused_until ELSE NULL END,
	feed_hint = CASE WHEN sources.url = excluded.url THEN sources.feed_hint ELSE 0 END,
	fetch_url = CASE WHEN sources.url = excluded.url THEN sources.fetch_url ELSE '' END`,
		src.Key(), src.URL, time.Now().UnixNano())
	if err != nil {
		return store.Source{}, fmt.Errorf("ensure source %s: %w", src.Key(), err)
	}
	rows, err := s.querySources(ctx, `WHERE key = ?`, src.Key())
	if err != nil {
		return store.Source{}, err
	}
	if len(rows) == 0 {
		return store.Source{}, store.ErrNotFound
	}
	return rows[0], nil
}

// Sources implements store.Store.
func (s *Store) Sources(ctx context.Context) ([]store.Source, error) {
	return s.querySources(ctx, `ORDER BY key`)
}

func (s *Store) querySources(ctx context.Context, where string, args ...any) ([]store.Source, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, key, url, etag, last_modified, last_success_at, last_error, last_error_at, consecutive_errors, next_due_at, paused_until, feed_hint, fetch_url, paused FROM sources `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query sources: %w", err)
	}
	defer rows.Close()
	var out []store.Source
	for rows.Next() {
		var src store.Source
		var ok, failed, due, paused sql.NullInt64
		if err := rows.Scan(&src.ID, &src.Key, &src.URL, &src.ETag, &src.LastModified, &ok, &src.LastError, &failed, &src.ConsecutiveErrors, &due, &paused, &src.FeedHint, &src.FetchURL, &src.Paused); err != nil {
			return nil, fmt.Errorf("scan source: %w", err)
		}
		src.LastSuccess, src.LastErrorAt = fromNano(ok), fromNano(failed)
		src.NextDue, src.PausedUntil = fromNano(due), fromNano(paused)
		out = append(out, src)
	}
	return out, rows.Err()
}

// RecordSuccess implements store.Store.
func (s *Store) RecordSuccess(ctx context.Context, id int64, r store.FetchResult) error {
	_, err := s.db.ExecContext(ctx, qRecordSuccess,
		r.ETag, r.LastModified, unixNano(r.At), r.Warning, r.Warning, unixNano(r.At), id)
	if err != nil {
		return fmt.Errorf("record success: %w", err)
	}
	return nil
}

// RecordFailure implements store.Store.
func (s *Store) RecordFailure(ctx context.Context, id int64, msg string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, qRecordFailure,
		msg, unixNano(at), id)
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	return nil
}

// RecordRefusal implements store.Store.
func (s *Store) RecordRefusal(ctx context.Context, id int64, msg string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, qRecordRefusal, msg, unixNano(at), id)
	if err != nil {
		return fmt.Errorf("record refusal: %w", err)
	}
	return nil
}

// SetFetchURL implements store.Store.
func (s *Store) SetFetchURL(ctx context.Context, id int64, url string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE sources SET fetch_url = ? WHERE id = ?`, url, id)
	if err != nil {
		return fmt.Errorf("set fetch URL: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetSchedule implements store.Store.
func (s *Store) SetSchedule(ctx context.Context, id int64, sc store.Schedule) error {
	res, err := s.db.ExecContext(ctx, qSetSchedule,
		unixNano(sc.NextDue), unixNano(sc.PausedUntil), int64(sc.FeedHint), id)
	if err != nil {
		return fmt.Errorf("set schedule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// InsertItems implements store.Store.
//
// A source's new items go in with a few multi-row statements (a
// statement per item cost about as much again as its row). SQLite gives
// the rows their IDs in the order given, one after the largest, so when
// every row went in the IDs are known from the last; when the source
// knew some items (left out by their identity) the new rows are read
// back. The statements are INSERT OR FAIL: a row whose slug another item
// holds stops its statement with the rows before it kept, and the rows
// from there on go in one by one, the careful way. The paths are
// reserved after, by statements of many rows too (see reserveAdded).
//
// Such a statement needs no statement journal (a copy of every page it
// changes, one page per row for the slugs' index, slugs being hashes,
// written to a temp file: a third of its cost) as long as nothing in it
// may have to undo the rows before: OR FAIL keeps them, the IDs are
// SQLite's own (a given ID needs the journal), and the foreign key to
// sources is checked at commit (migration 8).
func (s *Store) InsertItems(ctx context.Context, sourceID int64, items []feed.Item, output int64, paths []string, now time.Time) ([]store.Item, error) {
	if s.tx == nil {
		var added []store.Item
		err := s.Batch(ctx, func(tx store.Store) error {
			var err error
			added, err = tx.InsertItems(ctx, sourceID, items, output, paths, now)
			return err
		})
		return added, err
	}
	if paths != nil && len(paths) != len(items) {
		return nil, fmt.Errorf("add items: %d paths for %d items", len(paths), len(items))
	}
	var key string
	var last int64 // the largest item ID
	var outputExists bool
	if err := s.db.QueryRowContext(ctx, qSourceKeyLastID, output, sourceID).Scan(&key, &last, &outputExists); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("add items: source %d: %w", sourceID, store.ErrNotFound)
		}
		return nil, fmt.Errorf("add items: %w", err)
	}
	if !outputExists && slices.ContainsFunc(paths, func(p string) bool { return p != "" }) {
		return nil, fmt.Errorf("add items: output %d: %w", output, store.ErrNotFound)
	}
	rows := newItemRows(sourceID, key, items, paths, now)
	if len(rows) == 0 {
		return nil, nil
	}
	// done counts the rows the statements went through; a row that went
	// in has its ID (a known item is left out, by its identity).
	done := 0
	for done < len(rows) {
		n := insertChunk(len(rows) - done)
		args := make([]any, 0, n*itemColumns)
		for _, r := range rows[done : done+n] {
			args = append(args, r.args...)
		}
		chunk := rows[done : done+n]
		res, err := s.db.ExecContext(ctx, insertItemsQuery(n), args...)
		if isUnique(err) {
			// OR FAIL kept the rows before the one that failed: read
			// which went in, and go on one by one after the last.
			if last, err = s.readBack(ctx, chunk, last); err != nil {
				return nil, err
			}
			next := 0
			for i, r := range chunk {
				if r.id != 0 {
					next = i + 1
				}
			}
			for i := next; i < n; i++ {
				if err := s.insertOne(ctx, &chunk[i]); err != nil {
					return nil, err
				}
				last = max(last, chunk[i].id)
			}
			done += n
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("add items: %w", err)
		}
		k, _ := res.RowsAffected()
		switch {
		case k == int64(n):
			if last, err = res.LastInsertId(); err != nil {
				return nil, fmt.Errorf("add items: %w", err)
			}
			for i := range chunk {
				chunk[i].id = last - int64(n-1-i)
			}
		case k > 0:
			if last, err = s.readBack(ctx, chunk, last); err != nil {
				return nil, err
			}
		}
		done += n
	}
	added := make([]store.Item, 0, len(rows))
	seen := time.Unix(0, now.UnixNano()).UTC()
	for _, r := range rows {
		if r.id == 0 {
			continue
		}
		it := r.item
		st := store.Item{ID: r.id, SourceID: sourceID, Identity: r.identity, Item: it, FirstSeen: seen, RandomN: r.randomN, PostPath: r.path}
		// As Items would read it back: the dates in UTC to the
		// nanosecond, and no empty lists.
		st.Published = fromNano(sql.NullInt64{Int64: it.Published.UnixNano(), Valid: !it.Published.IsZero()})
		st.Categories = store.DecodeList(r.args[7].(string))
		st.Enclosures = store.DecodeEnclosures(r.args[8].(string))
		added = append(added, st)
	}
	if err := s.reserveAdded(ctx, output, added); err != nil {
		return nil, err
	}
	return added, nil
}

// reserveAdded makes the post records in output of the items just stored
// that were given a path, a few statements for all; an item whose path
// another item holds is left without one (OR IGNORE), and its PostPath
// says so. The items are the ones just stored and the output was looked
// up (InsertItems), so the foreign keys checked at commit hold, and
// nothing in the statement can fail on a row: SQLite keeps no statement
// journal for it.
func (s *Store) reserveAdded(ctx context.Context, output int64, added []store.Item) error {
	var todo []int // indexes in added
	for i, it := range added {
		if it.PostPath != "" {
			todo = append(todo, i)
		}
	}
	for len(todo) > 0 {
		n := insertChunk(len(todo))
		args := make([]any, 0, 3*n)
		for _, i := range todo[:n] {
			args = append(args, added[i].ID, output, added[i].PostPath)
		}
		res, err := s.db.ExecContext(ctx, insertPostsQuery(n), args...)
		if err != nil {
			return fmt.Errorf("add items: reserve paths: %w", err)
		}
		if k, _ := res.RowsAffected(); k < int64(n) {
			// Some path was taken: ask which records went in.
			for _, i := range todo[:n] {
				id, ok, err := s.PathOwner(ctx, output, added[i].PostPath)
				if err != nil {
					return fmt.Errorf("add items: %w", err)
				}
				if !ok || id != added[i].ID {
					added[i].PostPath = ""
				}
			}
		}
		todo = todo[n:]
	}
	return nil
}

// insertPostsQuery reserves n paths, given as (item ID, output ID, path).
func insertPostsQuery(n int) string {
	return `INSERT OR IGNORE INTO posts (item_id, output_id, path) VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, n-1)
}

// insertSizes are the numbers of rows one insertItemsQuery stores: a
// few sizes, so that their statements stay prepared. A feed of 20 items
// goes in with two statements.
var insertSizes = []int{64, 32, 16, 8, 4, 2, 1}

func insertChunk(n int) int {
	for _, k := range insertSizes {
		if n >= k {
			return k
		}
	}
	return n
}

// insertItemsQuery stores n items, given as itemRow arguments. A known
// item (by identity) is left out; a slug another item holds fails the
// statement and keeps the rows before it (OR FAIL).
func insertItemsQuery(n int) string {
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	return `INSERT OR FAIL INTO items (source_id, identity, guid, link, title, author, content, categories, enclosures, image, published_at, first_seen_at, random_n, slug)
VALUES ` + row + strings.Repeat(`, `+row, n-1) + `
ON CONFLICT (source_id, identity) DO NOTHING`
}

// itemRow is a new item's row for insertItemsQuery, as its arguments.
type itemRow struct {
	item     feed.Item
	id       int64 // 0 until stored
	identity string
	path     string
	randomN  int
	args     []any
}

// itemColumns is the number of arguments of one row of insertItemsQuery.
const itemColumns = 14

// newItemRows makes the rows of items. Of two
// items with one identity the first counts, and of two with one path the
// first gets it: one statement could not store both.
func newItemRows(sourceID int64, key string, items []feed.Item, paths []string, now time.Time) []itemRow {
	rows := make([]itemRow, 0, len(items))
	identities := make(map[string]bool, len(items))
	var taken map[string]bool
	if paths != nil {
		taken = make(map[string]bool, len(paths))
	}
	for i, it := range items {
		identity := it.Identity()
		if identities[identity] {
			continue
		}
		identities[identity] = true
		path := ""
		if paths != nil && paths[i] != "" && !taken[paths[i]] {
			path = paths[i]
			taken[path] = true
		}
		r := itemRow{item: it, identity: identity, path: path, randomN: rand.IntN(10001)}
		r.args = []any{sourceID, identity, it.GUID, it.Link, it.Title, it.Author, it.Content,
			store.EncodeList(it.Categories), store.EncodeEnclosures(it.Enclosures), it.Image,
			unixNano(it.Published), now.UnixNano(), r.randomN, store.ItemSlug(key, identity, 0)}
		rows = append(rows, r)
	}
	return rows
}

// readBack gives the rows of chunk that went in their IDs: the items
// stored after the ID last, which are this source's new ones (a Batch
// is the only writer). It returns the largest ID then.
func (s *Store) readBack(ctx context.Context, chunk []itemRow, last int64) (int64, error) {
	index := make(map[string]int, len(chunk))
	for i, r := range chunk {
		index[r.identity] = i
	}
	got, err := s.db.QueryContext(ctx, qItemsAfter, last)
	if err != nil {
		return 0, fmt.Errorf("add items: %w", err)
	}
	defer got.Close()
	for got.Next() {
		var id int64
		var identity string
		if err := got.Scan(&id, &identity); err != nil {
			return 0, fmt.Errorf("add items: %w", err)
		}
		if i, ok := index[identity]; ok {
			chunk[i].id = id
		}
		last = max(last, id)
	}
	if err := got.Err(); err != nil {
		return 0, fmt.Errorf("add items: %w", err)
	}
	return last, nil
}

// insertOne stores one row, or learns that the source has its item. A
// row whose slug another item holds (a hash collision) is stored without
// it: EnsureSlugs names it the careful way.
func (s *Store) insertOne(ctx context.Context, r *itemRow) error {
	res, err := s.db.ExecContext(ctx, insertItemsQuery(1), r.args...)
	if isUnique(err) {
		r.args[itemColumns-1] = nil
		res, err = s.db.ExecContext(ctx, insertItemsQuery(1), r.args...)
	}
	if err != nil {
		return fmt.Errorf("add item %q: %w", r.identity, err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		if r.id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("add item %q: %w", r.identity, err)
		}
	}
	return nil
}

// isUnique reports whether err is a UNIQUE constraint failure.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// nullString is s, or NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// KnownIdentities implements store.Store.
func (s *Store) KnownIdentities(ctx context.Context, sourceID int64, identities []string) (map[string]bool, error) {
	known := map[string]bool{}
	// SQLite limits the parameters of one statement; ask in chunks.
	const chunk = 500
	for start := 0; start < len(identities); start += chunk {
		part := identities[start:min(len(identities), start+chunk)]
		args := make([]any, 0, len(part)+1)
		args = append(args, sourceID)
		for _, id := range part {
			args = append(args, id)
		}
		q := `SELECT identity FROM items WHERE source_id = ? AND identity IN (?` + strings.Repeat(`, ?`, len(part)-1) + `)`
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("known identities: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("known identities: %w", err)
			}
			known[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("known identities: %w", err)
		}
	}
	return known, nil
}

// Items implements store.Store.
func (s *Store) Items(ctx context.Context, sourceID int64, output int64, unposted bool) ([]store.Item, error) {
	q := qItems + qItemsOrder
	if unposted {
		q = qItems + qItemsUnposted + qItemsOrder
	}
	rows, err := s.db.QueryContext(ctx, q, output, sourceID)
	if err != nil {
		return nil, fmt.Errorf("query items: %w", err)
	}
	defer rows.Close()
	var out []store.Item
	for rows.Next() {
		var it store.Item
		var cats, encl string
		var pub, posted sql.NullInt64
		var seen int64
		var path, hash sql.NullString
		if err := rows.Scan(&it.ID, &it.SourceID, &it.Identity, &it.GUID, &it.Link, &it.Title, &it.Author, &it.Content, &it.Image,
			&cats, &encl, &pub, &seen, &it.RandomN, &path, &posted, &hash); err != nil {
			return nil, fmt.Errorf("scan item: %w", err)
		}
		it.Categories = store.DecodeList(cats)
		it.Enclosures = store.DecodeEnclosures(encl)
		it.Published = fromNano(pub)
		it.FirstSeen = time.Unix(0, seen).UTC()
		it.PostPath, it.PostHash = path.String, hash.String
		it.Posted = posted.Valid
		out = append(out, it)
	}
	return out, rows.Err()
}

// PathOwner implements store.Store.
func (s *Store) PathOwner(ctx context.Context, output int64, path string) (int64, bool, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, qPathOwner, output, path).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("path owner: %w", err)
	}
	return id, true, nil
}

// SetPostPath implements store.Store.
func (s *Store) SetPostPath(ctx context.Context, output int64, itemID int64, path string) error {
	res, err := s.db.ExecContext(ctx, qSetPostPath, itemID, output, path)
	switch {
	case isUnique(err):
		return store.ErrPathTaken
	case err != nil:
		return fmt.Errorf("set post path: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetPosted implements store.Store.
func (s *Store) SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error {
	if s.tx == nil {
		return s.Batch(ctx, func(tx store.Store) error { return tx.SetPosted(ctx, posts, at) })
	}
	// Many posts are marked by one statement: a refresh marks thousands,
	// and each statement costs about as much again as its row. A post
	// given twice is marked once, with its last hash: one statement
	// cannot update a row twice.
	type key struct{ item, output int64 }
	last := make(map[key]int, len(posts))
	for i, p := range posts {
		last[key{p.ItemID, p.Output}] = i
	}
	if len(last) < len(posts) {
		var once []store.Posted
		for i, p := range posts {
			if last[key{p.ItemID, p.Output}] == i {
				once = append(once, p)
			}
		}
		posts = once
	}
	for len(posts) > 0 {
		n := setPostedChunk(len(posts))
		args := make([]any, 0, 1+3*n)
		args = append(args, at.UnixNano())
		for _, p := range posts[:n] {
			args = append(args, p.ItemID, p.Output, p.Hash)
		}
		res, err := s.db.ExecContext(ctx, setPostedQuery(n), args...)
		if err != nil {
			return fmt.Errorf("mark posted: %w", err)
		}
		if k, _ := res.RowsAffected(); k < int64(n) {
			// Some post has no record yet: make those.
			res, err := s.db.ExecContext(ctx, addPostedQuery(n), args...)
			if err != nil {
				return fmt.Errorf("mark posted: %w", err)
			}
			if m, _ := res.RowsAffected(); k+m < int64(n) {
				return fmt.Errorf("mark posted: %w", store.ErrNotFound)
			}
		}
		posts = posts[n:]
	}
	return nil
}

// setPostedSizes are the numbers of posts one SetPosted statement marks:
// a few sizes, so that their statements stay prepared.
var setPostedSizes = []int{256, 32, 4, 1}

func setPostedChunk(n int) int {
	for _, k := range setPostedSizes {
		if n >= k {
			return k
		}
	}
	return n
}

// setPostedQuery marks n posts, given as (item ID, output ID, hash)
// after the time, in their records; it changes as many rows as the
// posts have records. It is an UPDATE, not an upsert: the UPDATE an
// upsert runs on a conflict fails the statement on a row (OR ABORT, for
// the hash's NOT NULL), for which SQLite would keep a statement journal,
// while this one cannot fail (OR FAIL, and the hash stays a string).
func setPostedQuery(n int) string {
	return `UPDATE OR FAIL posts SET posted_at = COALESCE(posts.posted_at, t.at), hash = CASE WHEN v.column3 = '' THEN posts.hash ELSE v.column3 END
FROM (SELECT ? AS at) AS t, (VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, n-1) + `) AS v
WHERE posts.item_id = v.column1 AND posts.output_id = v.column2`
}

// addPostedQuery makes the records of the posts, given as for
// setPostedQuery, that have none (a file adopted without a reserved
// path) and whose item and output exist: a post with no record, item or
// output is left out.
func addPostedQuery(n int) string {
	return `INSERT OR IGNORE INTO posts (item_id, output_id, path, hash, posted_at)
SELECT v.column1, v.column2, NULL, v.column3, t.at FROM (SELECT ? AS at) AS t, (VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, n-1) + `) AS v
WHERE EXISTS (SELECT 1 FROM items WHERE id = v.column1) AND EXISTS (SELECT 1 FROM outputs WHERE id = v.column2)`
}

// SetPrepared implements store.Store.
func (s *Store) SetPrepared(ctx context.Context, bodies []store.Prepared) error {
	if len(bodies) == 0 {
		return nil
	}
	if s.tx == nil {
		return s.Batch(ctx, func(tx store.Store) error { return tx.SetPrepared(ctx, bodies) })
	}
	// Many bodies go in one statement, as SetPosted marks many posts.
	for len(bodies) > 0 {
		n := setPostedChunk(len(bodies))
		args := make([]any, 0, 5*n)
		for _, b := range bodies[:n] {
			html, edits := preparedColumns(b)
			args = append(args, b.ItemID, b.Key, html, edits, b.Image)
		}
		if _, err := s.db.ExecContext(ctx, setPreparedQuery(n), args...); err != nil {
			return fmt.Errorf("keep prepared bodies: %w", err)
		}
		bodies = bodies[n:]
	}
	return nil
}

func setPreparedQuery(n int) string {
	return `INSERT OR REPLACE INTO prepared (item_id, key, html, edits, image) VALUES (?, ?, ?, ?, ?)` + strings.Repeat(`, (?, ?, ?, ?, ?)`, n-1)
}

// preparedColumns are the html and edits columns of the body's row: html
// NULL is the content unchanged, or its edits when they are not NULL.
func preparedColumns(b store.Prepared) (html, edits any) {
	switch {
	case b.Edits != nil:
		return nil, b.Edits
	case b.Unchanged:
		return nil, nil
	}
	return b.HTML, nil
}

// Retire implements store.Store.
func (s *Store) Retire(ctx context.Context, itemID int64, at time.Time) error {
	if s.tx == nil {
		return s.Batch(ctx, func(tx store.Store) error { return tx.Retire(ctx, itemID, at) })
	}
	res, err := s.db.ExecContext(ctx, `UPDATE items SET retired_at = COALESCE(retired_at, ?) WHERE id = ?`, at.UnixNano(), itemID)
	if err != nil {
		return fmt.Errorf("retire item: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM prepared WHERE item_id = ?`, itemID); err != nil {
		return fmt.Errorf("retire item: %w", err)
	}
	return nil
}
