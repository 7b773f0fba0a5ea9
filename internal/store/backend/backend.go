// Package backend opens the store a DSN names: a file path is an SQLite
// database (store/sqlite), a postgres:// or postgresql:// URL a PostgreSQL
// database (store/postgres). It stands apart from package store so that
// the store's interface, which every consumer imports, imports no driver.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// ErrNoStore is returned by OpenExisting for an SQLite file that does not
// exist yet.
var ErrNoStore = errors.New("no store yet")

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the store dsn names and brings its schema up to date. An
// SQLite file is created, with its folder, when missing.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	if err := check(dsn); err != nil {
		return nil, err
	}
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	if dsn != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(dsn), 0o755); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
	}
	return sqlite.Open(ctx, dsn)
}

// OpenExisting is Open for a command that only reads: it returns
// ErrNoStore instead of creating an SQLite file.
func OpenExisting(ctx context.Context, dsn string) (store.Store, error) {
	if err := check(dsn); err != nil {
		return nil, err
	}
	if !IsPostgres(dsn) && dsn != ":memory:" {
		if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNoStore
		}
	}
	return Open(ctx, dsn)
}

// check refuses a URL that names no backend: it would otherwise be taken
// for a file path.
func check(dsn string) error {
	if dsn == "" {
		return errors.New("no store given")
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && !IsPostgres(dsn) {
		return fmt.Errorf("store %q: want a database file or a postgres:// URL", scheme+"://")
	}
	return nil
}

// Redact returns dsn without its password, for logs and messages.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
