package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
)

// An empty store file is not a new store: it is one that lost everything
// (truncated by a full disk, a bad copy, a "> feedmill.db"). Open refuses
// it, says what to do, and leaves it as it is.
func TestOpenRefusesAnEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("an empty store file was opened as a new store")
	}
	if !errors.Is(err, ErrEmptyFile) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("err = %v, want ErrEmptyFile naming the file and what to do", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was changed: %v, %v", fi, err)
	}
}

// The store holds the image proxy's key and the sources' headers and
// cookies: its file, WAL and shared memory are readable by their owner
// only, when created and when an older store is opened.
func TestStoreFilesAreTheOwnersOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "feedmill.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureSource(t.Context(), feed.Source{Group: "g", Name: "s", Channel: "c", URL: "https://x.example.com/"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(p), m)
		}
	}
	s.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 1 {
		t.Errorf("files beside the store: %v", left)
	}

	// A store made world-readable before is made the owner's on open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("an older store: mode %v, %v; want -rw-------", fi.Mode().Perm(), err)
	}
}
