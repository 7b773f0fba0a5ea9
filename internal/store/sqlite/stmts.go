package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtCache runs each query through a statement prepared once: SQLite
// parses the SQL on every prepare, which costs more than running the small
// statements a refresh makes by the thousand. One cache serves the
// database, another each Batch's transaction (a transaction's statements
// die with it, and preparing on the database from inside a Batch would wait
// for the one connection the Batch holds).
type stmtCache struct {
	q querier
	// tx and parent are set for a transaction's cache: a statement the
	// database's cache (parent) holds is taken into the transaction with
	// tx.StmtContext, which on the one connection reuses what SQLite
	// prepared instead of preparing it again for every Batch.
	tx     *sql.Tx
	parent *stmtCache
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
}

func newStmtCache(q querier) *stmtCache {
	return &stmtCache{q: q, stmts: map[string]*sql.Stmt{}}
}

// newTxStmtCache is the cache of a Batch's transaction.
func newTxStmtCache(tx *sql.Tx, parent *stmtCache) *stmtCache {
	return &stmtCache{q: tx, tx: tx, parent: parent, stmts: map[string]*sql.Stmt{}}
}

// prepare prepares queries in the cache ahead of use: from inside a Batch
// the database's cache cannot prepare (the Batch holds the connection),
// so the statements of the refresh's transactions are made here, once.
func (c *stmtCache) prepare(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := c.stmt(ctx, q); err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	return nil
}

// maxStmts bounds the cache: queries built with a varying number of
// parameters are run without it once it is full.
const maxStmts = 128

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	// The lock is not held while preparing: the database's cache prepares
	// on the one connection, which a Batch may hold while its own cache
	// looks into this one (parent) for the same query. Holding the lock
	// across the wait for the connection deadlocked the two (a site build
	// reading while a round's Batch ran).
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxStmts
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	if full {
		return nil, errCacheFull
	}
	if c.parent != nil {
		c.parent.mu.Lock()
		pst, ok := c.parent.stmts[query]
		c.parent.mu.Unlock()
		if ok {
			st = c.tx.StmtContext(ctx, pst)
		}
	}
	if st == nil {
		var err error
		if st, err = c.q.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[query]; ok {
		// Prepared meanwhile by another caller: keep one.
		st.Close()
		return old, nil
	}
	c.stmts[query] = st
	return st, nil
}

// errCacheFull sends a query past the cache.
var errCacheFull = errors.New("statement cache full")

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if errors.Is(err, errCacheFull) {
		return c.q.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if errors.Is(err, errCacheFull) {
		return c.q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.q.QueryRowContext(ctx, query, args...) // a *sql.Row carrying the error
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return c.q.PrepareContext(ctx, query)
}

// close closes the prepared statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
