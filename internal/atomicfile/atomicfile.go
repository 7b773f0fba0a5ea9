// Package atomicfile writes files so that no reader and no crash ever sees
// a part of one: every file feedmill writes (posts of every format, the
// site's pages, its manifest) goes through it. A new file is written
// unnamed and linked into place when the system allows (O_TMPFILE), else
// to a temp file in the same folder that is renamed over the final name.
// Nothing here flushes a file on its own: callers flush a whole batch with
// one SyncFS before they record that the files are in place.
package atomicfile

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// TempPrefix starts the name of every temp file feedmill writes, and
// TempSuffix ends it; CleanTemp removes such files after a crash.
const (
	TempPrefix = ".feedmill-"
	TempSuffix = ".tmp"
)

// errNoTmpFile says createUnnamed could not write the file without a name
// first; the temp file and rename do instead.
var errNoTmpFile = errors.New("no unnamed file")

// WriteFile puts data at path so that no reader and no crash of the
// process ever sees a partial file. A file that already holds exactly
// data is left alone, so its mtime does not change and a git-tracked blog
// sees no churn. It reports whether it wrote.
//
// WriteFile does not flush to disk; call SyncFS on the folder before
// recording that the file is in place.
func WriteFile(path string, data []byte) (bool, error) {
	return (*Files)(nil).Write(path, data, false)
}

// Files writes many files into few folders: it remembers the folders it
// made or found, so each is made once rather than checked for every file.
// It is safe for concurrent use; a nil *Files remembers nothing.
type Files struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// Write is WriteFile, the same temp file and rename. With fresh set the
// caller knows no file was at path when it chose the path (a path just
// reserved for a new post), so the old file is not read to compare: a
// file that appeared since is replaced, as WriteFile replaces a
// different one.
func (w *Files) Write(path string, data []byte, fresh bool) (bool, error) {
	if !fresh {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			return false, nil
		}
	}
	dir := filepath.Dir(path)
	if err := w.mkdir(dir); err != nil {
		return false, fmt.Errorf("create folder: %w", err)
	}
	// A new file is written without a name and gets its name once it is
	// whole, where the system can: one change to the folder instead of a
	// temp name made, renamed and removed.
	if fresh {
		switch err := createUnnamed(dir, path, data); {
		case err == nil:
			return true, nil
		case !errors.Is(err, errNoTmpFile):
			return false, err
		}
	}
	// The temp name is short and fixed-length: the file's own name may
	// already be as long as the file system allows.
	var r [8]byte
	_, _ = rand.Read(r[:])
	tmp := filepath.Join(dir, TempPrefix+hex.EncodeToString(r[:])+TempSuffix)
	werr := Create(nil, tmp, data)
	if werr != nil && errors.Is(werr, fs.ErrNotExist) && w != nil {
		// The folder was removed since it was made: make it again.
		w.forget(dir)
		if err := w.mkdir(dir); err != nil {
			return false, fmt.Errorf("create folder: %w", err)
		}
		werr = Create(nil, tmp, data)
	}
	if werr != nil {
		return false, fmt.Errorf("create temp file: %w", werr)
	}
	if err := rename(tmp, path); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return true, nil
}

func (w *Files) mkdir(dir string) error {
	if w != nil {
		w.mu.Lock()
		known := w.dirs[dir]
		w.mu.Unlock()
		if known {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if w != nil {
		w.mu.Lock()
		if w.dirs == nil {
			w.dirs = map[string]bool{}
		}
		w.dirs[dir] = true
		w.mu.Unlock()
	}
	return nil
}

func (w *Files) forget(dir string) {
	w.mu.Lock()
	delete(w.dirs, dir)
	w.mu.Unlock()
}

// SyncDir makes the names in dir durable: the files created, renamed or
// removed there, not their contents.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Exists reports whether a file is at path.
func Exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// Move gives the file at from the name to, in the same folder or
// another on the same file system, and flushes the change to disk. It
// never replaces a file at to: it fails with an error wrapping
// fs.ErrExist instead.
func Move(from, to string) error {
	if err := os.Link(from, to); err != nil {
		return err
	}
	if err := os.Remove(from); err != nil {
		os.Remove(to)
		return err
	}
	return SyncFS(filepath.Dir(to))
}

// IsTemp reports whether name is the name of a feedmill temp file.
func IsTemp(name string) bool {
	return len(name) > len(TempPrefix)+len(TempSuffix) && strings.HasPrefix(name, TempPrefix) && strings.HasSuffix(name, TempSuffix)
}

// CleanTemp removes the temp files a crashed run left in dir and below.
func CleanTemp(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && IsTemp(d.Name()) {
			return os.Remove(p)
		}
		return nil
	})
}

// Hash is the hash recorded for a file's bytes: SHA-256 in hex.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RemoveOwn deletes the file at path only if feedmill wrote it and nobody
// changed it since: its bytes hash to recorded (the hash stored when it
// was written; "" for none) or equal rendered (the file as feedmill
// renders it now). Any other file, a user's edit or a file feedmill did
// not write, stays. It reports whether it removed the file; a missing
// file is not an error.
func RemoveOwn(path, recorded string, rendered []byte) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !(recorded != "" && Hash(data) == recorded) && !bytes.Equal(data, rendered) {
		return false, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}
