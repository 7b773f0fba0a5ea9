//go:build !linux

package publish

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Sync flushes every file below dir and dir's folders to disk. Systems
// without syncfs pay one flush per file.
func Sync(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
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
}
