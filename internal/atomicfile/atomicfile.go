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
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
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
// made or found, so each is made once rather than checked for every file,
// and keeps a few of them open, so that a new file is made relative to
// its folder (openat) instead of walking the folder's whole path twice
// for every file. It is safe for concurrent use; a nil *Files remembers
// nothing. Close releases the open folders.
//
// A file is always named by its path (linkat), never relative to the
// folder kept open: a folder moved away during a run must not get the
// posts written after the move, which the store records at their paths
// (one removed is made again at its path, see Write).
type Files struct {
	mu     sync.Mutex
	dirs   map[string]*folder // made or found, by path
	opened []*folder          // those opened, some closed since (fd < 0)
	limit  int                // folders kept open at most: openLimit, once known
	known  bool               // limit is known
}

// folder is a folder Files made or found.
type folder struct {
	fd    int // an O_PATH descriptor of the folder; -1 when closed
	users int // writes using fd: it is closed only when none is
	gone  bool
}

// maxOpenFolders bounds the folders a Files keeps open. A run writes a
// source's posts together, so a few suffice; the bound keeps a run over
// thousands of sources far from the process's descriptor limit.
const maxOpenFolders = 64

// openLimit is how many folders a Files keeps open: maxOpenFolders, or a
// sixteenth of the process's descriptor limit when that is lower, so
// that the folders kept open never take the descriptors the rest of the
// program needs (the store, connections, the post being written, the
// sync): under a low limit (ulimit -n 32) a run failed where it did
// without the folders. 0: none is kept open.
func openLimit() int {
	return min(maxOpenFolders, descriptorLimit()/16)
}

// Write is WriteFile, the same temp file and rename. With fresh set the
// caller knows no file was at path when it chose the path (a path just
// reserved for a new post), so the old file is not read to compare: a
// file that appeared since is replaced, as WriteFile replaces a
// different one.
func (w *Files) Write(path string, data []byte, fresh bool) (bool, error) {
	exists := true // a file may be at path
	if !fresh {
		old, err := os.ReadFile(path)
		switch {
		case err == nil && bytes.Equal(old, data):
			return false, nil
		case errors.Is(err, fs.ErrNotExist):
			exists = false
		}
	}
	dir := filepath.Dir(path)
	// A new file is written without a name and gets its name once it is
	// whole, where the system can: one change to the folder instead of a
	// temp name made, renamed and removed. When a file appeared at path
	// meanwhile, the temp file and rename below replace it.
	if fresh || !exists {
		switch err := w.createUnnamed(dir, path, data); {
		case err == nil:
			return true, nil
		case !errors.Is(err, errNoTmpFile):
			return false, err
		}
	}
	if err := w.mkdir(dir); err != nil {
		return false, fmt.Errorf("create folder: %w", err)
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

// createUnnamed writes the new file path in dir without a name, relative
// to the folder's descriptor when w keeps it open, and links it at path
// (see createAt). It makes the folder when w has not made it yet, and
// again when it was removed since.
func (w *Files) createUnnamed(dir, path string, data []byte) error {
	if w == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
		return createAt(cwdFD, dir, path, data)
	}
	for try := 0; ; try++ {
		f, err := w.folder(dir)
		if err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
		if f == nil { // no descriptor for folders here
			return createAt(cwdFD, dir, path, data)
		}
		err = createAt(f.fd, ".", path, data)
		gone := errors.Is(err, errNoTmpFile) && folderGone(f.fd)
		w.release(f)
		if !gone || try == 1 {
			// errNoTmpFile: the system takes no unnamed files here, or
			// a file is in the way; the caller's rename replaces it.
			return err
		}
		// The folder was removed since it was opened: it is made and
		// opened again at its path.
		w.forget(dir)
	}
}

// folder returns dir, made if it is new to w, open and held for one
// write (release it); nil when folders cannot be opened here.
func (w *Files) folder(dir string) (*folder, error) {
	w.mu.Lock()
	f := w.dirs[dir]
	if f != nil && f.fd >= 0 {
		f.users++
		w.mu.Unlock()
		return f, nil
	}
	w.mu.Unlock()
	if f == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	fd, err := openFolder(dir)
	if f != nil && errors.Is(err, fs.ErrNotExist) {
		// Removed since it was made: make it again.
		w.forget(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		fd, err = openFolder(dir)
	}
	if errors.Is(err, errNoTmpFile) {
		w.remember(dir, -1)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return w.remember(dir, fd), nil
}

// remember records dir as made, open as fd (-1: not open), and holds it
// for one write when it is open. A folder another write opened
// meanwhile is kept instead of fd.
func (w *Files) remember(dir string, fd int) *folder {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dirs == nil {
		w.dirs = map[string]*folder{}
	}
	f := w.dirs[dir]
	switch {
	case f == nil:
		f = &folder{fd: -1}
		w.dirs[dir] = f
	case f.fd >= 0 && fd >= 0:
		closeFolder(fd)
		f.users++
		return f
	}
	if fd < 0 {
		return nil
	}
	if !w.known {
		w.limit, w.known = openLimit(), true
	}
	if len(w.opened) >= w.limit {
		w.closeIdle()
		if len(w.opened) >= w.limit {
			// As many are in use as may be open: this write goes
			// by the folder's path.
			closeFolder(fd)
			return nil
		}
	}
	f.fd = fd
	f.users++
	w.opened = append(w.opened, f)
	return f
}

// closeIdle closes the open folders no write uses. w.mu is held.
func (w *Files) closeIdle() {
	kept := w.opened[:0]
	for _, f := range w.opened {
		switch {
		case f.fd < 0:
		case f.users == 0:
			closeFolder(f.fd)
			f.fd = -1
		default:
			kept = append(kept, f)
		}
	}
	clear(w.opened[len(kept):])
	w.opened = kept
}

// release ends a write's hold of f.
func (w *Files) release(f *folder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f.users--
	if f.gone && f.users == 0 && f.fd >= 0 {
		closeFolder(f.fd)
		f.fd = -1
	}
}

func (w *Files) mkdir(dir string) error {
	if w != nil {
		w.mu.Lock()
		_, known := w.dirs[dir]
		w.mu.Unlock()
		if known {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if w != nil {
		w.remember(dir, -1)
	}
	return nil
}

// forget drops dir from what w knows: it is made (and opened) again for
// the next file. A descriptor still in use is closed when its last
// write ends.
func (w *Files) forget(dir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.dirs[dir]
	if f == nil {
		return
	}
	delete(w.dirs, dir)
	f.gone = true
	if f.users == 0 && f.fd >= 0 {
		closeFolder(f.fd)
		f.fd = -1
	}
}

// Close closes the folders w keeps open. Writes must have ended; w can
// be used again.
func (w *Files) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeIdle()
	return nil
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

// Hash is the hash recorded for a file's bytes, to tell later whether
// the file still holds them (see HashMatches): "crc:" and the file's
// CRC-32 (IEEE) and CRC-32C in hex. It guards against edits, not
// forgery (nobody gains by making a post look unedited to retention):
// two CRCs the processor computes tell a changed file but for one chance
// in 2^64, at a fifth of the time of the SHA-256 feedmill recorded
// before, which was 2-3 % of a first run's CPU.
func Hash(data []byte) string {
	var sums [8]byte
	binary.BigEndian.PutUint32(sums[:4], crc32.ChecksumIEEE(data))
	binary.BigEndian.PutUint32(sums[4:], crc32.Checksum(data, castagnoli))
	var b [len(crcPrefix) + 2*len(sums)]byte
	copy(b[:], crcPrefix)
	hex.Encode(b[len(crcPrefix):], sums[:])
	return string(b[:])
}

const crcPrefix = "crc:"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// HashMatches reports whether data hashes to recorded, a hash Hash
// returned, now or in a version that recorded SHA-256 in hex (64
// digits). It is false for "" and any other string.
func HashMatches(data []byte, recorded string) bool {
	switch {
	case strings.HasPrefix(recorded, crcPrefix):
		return Hash(data) == recorded
	case len(recorded) == 2*sha256.Size:
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:]) == recorded
	}
	return false
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
	if !HashMatches(data, recorded) && !bytes.Equal(data, rendered) {
		return false, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}
