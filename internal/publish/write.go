package publish

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
)

// WriteFile puts data at path so that no reader and no crash of the
// process ever sees a partial file: it writes a temp file in the same
// folder and renames it into place. A file that already holds exactly data
// is left alone, so its mtime does not change and a git-tracked blog sees
// no churn. It reports whether it wrote.
//
// WriteFile does not flush to disk; call Sync on the folder before
// recording that the file is in place. One Sync for a batch of files costs
// far less than a flush per file.
func WriteFile(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("create folder: %w", err)
	}
	// The temp name is short and fixed-length: the post's own name may
	// already be as long as the file system allows.
	var r [8]byte
	_, _ = rand.Read(r[:])
	tmp := filepath.Join(dir, ".feedmill-"+hex.EncodeToString(r[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, fmt.Errorf("create temp file: %w", err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("write %s: %w", filepath.Base(path), werr)
	}
	return true, nil
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

// CleanTemp removes temp files a crashed run left in dir and below.
func CleanTemp(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && filepath.Ext(p) == ".tmp" && len(d.Name()) > len(".feedmill-") && d.Name()[:len(".feedmill-")] == ".feedmill-" {
			return os.Remove(p)
		}
		return nil
	})
}

// Hash is the hash recorded for a post file's bytes: SHA-256 in hex.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RemoveOwn deletes the file at path only if feedmill wrote it and nobody
// changed it since: its bytes hash to recorded (the hash stored when it
// was written; "" for none) or equal rendered (the post as feedmill
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
