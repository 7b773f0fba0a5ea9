package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// ErrEmptyFile is returned, wrapped, by Open for a store file of 0 bytes.
// SQLite would take it for a new database, and feedmill would start over
// as if it had never fetched anything; but feedmill never leaves such a
// file (see createFile), so it is a store that lost everything.
var ErrEmptyFile = errors.New("the store file is empty")

// storeMode is the mode of the store's files. It holds the image proxy's
// key and the sources' headers and cookies: its owner's only. SQLite
// gives the WAL and the shared memory file the database file's mode.
const storeMode = 0o600

// prepareFile makes sure path holds an SQLite database before SQLite opens
// it: it creates a missing one, refuses an empty one, and makes an
// existing one (with its WAL and shared memory) its owner's only.
func prepareFile(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return createFile(ctx, path)
	case err != nil:
		return err
	case fi.Size() == 0:
		return fmt.Errorf("%w: %s has 0 bytes, so it holds no sources and no items: it was cut short (a full disk, a failed copy). Restore it from a backup, or delete it to start a new store (every item of every feed will be new to it)", ErrEmptyFile, path)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			// Not ours to change (another owner) is left as it is.
			_ = os.Chmod(p, fi.Mode().Perm()&^0o077)
		}
	}
	return nil
}

// createFile makes a new database at path whole or not at all: in a temp
// file beside it (mode 0600), given its page size and journal, then linked
// into place. A feedmill killed meanwhile leaves no empty file at path,
// and of feedmills creating one store at once, the first link wins and
// the others open it.
func createFile(ctx context.Context, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Close(); err != nil {
		return err
	}
	if _, err := create(ctx, "file:"+(&url.URL{Path: name}).EscapedPath()); err != nil {
		return err
	}
	err = os.Link(name, path)
	switch {
	case err == nil, errors.Is(err, fs.ErrExist):
		return nil
	}
	// A file system without hard links: rename, unless another feedmill
	// made the store meanwhile.
	if _, serr := os.Stat(path); serr == nil {
		return nil
	}
	return os.Rename(name, path)
}
