//go:build !linux

package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Create makes the new file path (never an existing one: an error
// satisfying errors.Is(err, fs.ErrExist) when a file is there) holding
// data. On failure it leaves no file behind. lock, when not nil, is held
// while the file is created (see Files).
func Create(lock sync.Locker, path string, data []byte) error {
	if lock != nil {
		lock.Lock()
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if lock != nil {
		lock.Unlock()
	}
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return werr
	}
	return nil
}

// cwdFD, openFolder, closeFolder, descriptorLimit, folderGone and createAt are for Linux's O_TMPFILE
// and *at calls; elsewhere files are written to a temp file and renamed.
const cwdFD = -100

func openFolder(dir string) (int, error) { return -1, errNoTmpFile }

func closeFolder(fd int) {}

func descriptorLimit() int { return 0 }

func folderGone(fd int) bool { return false }

func createAt(dirfd int, dir, path string, data []byte) error { return errNoTmpFile }

// rename renames the temp file tmp to path, replacing a file there.
func rename(tmp, path string) error { return os.Rename(tmp, path) }

// SyncFS flushes every file below dir, and dir's folders, to disk.
// Systems without syncfs pay one flush per file.
func SyncFS(dir string) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_ = f.Sync() // folders cannot be synced everywhere
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// BootID is "" where the boot cannot be named: writers then flush before
// they declare their files finished.
func BootID() string { return "" }
