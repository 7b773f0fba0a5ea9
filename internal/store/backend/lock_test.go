//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/store/backend"
)

// One process at a time holds an SQLite store: a second Lock waits, then
// names the holder's pid; once the first lets go, the store is free.
func TestLockOneProcessAtATime(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "sub", "feedmill.db")
	release, err := backend.Lock(t.Context(), dsn, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = backend.Lock(t.Context(), dsn, 300*time.Millisecond)
	var locked *backend.LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() || locked.Store != dsn {
		t.Fatalf("second Lock = %v, want a LockedError naming pid %d", err, os.Getpid())
	}
	if msg := err.Error(); !strings.Contains(msg, dsn) || !strings.Contains(msg, "pid ") {
		t.Errorf("message %q names neither the store nor the pid", msg)
	}

	// A Lock that waits gets the store as soon as the holder lets go.
	go func() {
		time.Sleep(200 * time.Millisecond)
		release()
	}()
	again, err := backend.Lock(t.Context(), dsn, time.Minute)
	if err != nil {
		t.Fatalf("Lock after the holder let go: %v", err)
	}
	again()
}

func TestLockNotNeeded(t *testing.T) {
	for _, dsn := range []string{":memory:", "postgres://localhost/feedmill"} {
		a, err := backend.Lock(t.Context(), dsn, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := backend.Lock(t.Context(), dsn, 0)
		if err != nil {
			t.Errorf("%s: %v", dsn, err)
			continue
		}
		a()
		b()
	}
}
