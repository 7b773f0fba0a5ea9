// Package pgtest gives tests a PostgreSQL database of their own on the
// test server (FEEDMILL_TEST_POSTGRES, default
// postgres://postgres@127.0.0.1:5432/test), created for the test and
// dropped after it.
//
// Tests skip, saying why, when FEEDMILL_TEST_POSTGRES is "off", or when
// the server cannot be reached outside CI. In CI (CI=true) an unreachable
// server fails the test: .ci/deps/postgres.sh starts it there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the test server's database to connect to for creating
// the tests' own.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Server returns the DSN of the test server's admin database, or skips
// or fails the test as the package comment says.
func Server(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("FEEDMILL_TEST_POSTGRES")
	if dsn == "off" {
		t.Skip("PostgreSQL tests are off (FEEDMILL_TEST_POSTGRES=off)")
	}
	if dsn == "" {
		dsn = DefaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL test server %s unreachable in CI (.ci/deps/postgres.sh should have started it): %v", redact(dsn), err)
		}
		t.Skipf("PostgreSQL test server %s unreachable, skipping (set FEEDMILL_TEST_POSTGRES to its URL, or start it: .ci/deps/postgres.sh): %v", redact(dsn), err)
	}
	conn.Close(ctx)
	return dsn
}

// Database creates a database for the test, dropped when it ends, and
// returns its DSN.
func Database(t testing.TB) string {
	t.Helper()
	admin := Server(t)
	var b [6]byte
	rand.Read(b[:])
	name := "feedmill_test_" + hex.EncodeToString(b[:])
	exec(t, admin, `CREATE DATABASE `+name)
	t.Cleanup(func() { exec(t, admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Schema creates a schema in the database at dsn for the test and returns
// a DSN whose connections use it: much cheaper than a database each.
func Schema(t testing.TB, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	exec(t, dsn, `CREATE SCHEMA `+name)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", redact(dsn), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(a URL that does not parse)"
}
