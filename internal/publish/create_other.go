//go:build !linux

package publish

import (
	"fmt"
	"os"
	"path/filepath"
)

// createFile creates the new file tmp (never an existing one) holding
// data. On failure it leaves no file behind.
func createFile(tmp string, data []byte) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(tmp), werr)
	}
	return nil
}

// renameFile renames the temp file tmp to path, replacing a file there.
func renameFile(tmp, path string) error { return os.Rename(tmp, path) }

// createNew is for Linux's O_TMPFILE; elsewhere posts are written to a
// temp file and renamed.
func createNew(dir, path string, data []byte) error { return errNoTmpFile }
