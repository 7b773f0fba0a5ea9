package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestRemoveOwn(t *testing.T) {
	written := []byte("\n---\ntitle: 'a'\n---\n\n<div>   \n<p>x</p>  \n</div>\n            ")
	rerendered := []byte("\n---\ntitle: 'a'\n---\n\n<div>   \n<p>x, cleaned better</p>  \n</div>\n            ")
	for _, c := range []struct {
		name     string
		file     []byte // nil: no file
		recorded string
		rendered []byte
		removed  bool
	}{
		{"hash recorded at write matches", written, Hash(written), rerendered, true},
		{"SHA-256 recorded by an older version matches", written, sha256Hex(written), rerendered, true},
		{"edited after an older version wrote it", append(append([]byte(nil), written...), "\nmy note"...), sha256Hex(written), written, false},
		{"no hash, bytes are the rendering", written, "", written, true},
		{"stale hash, bytes are the rendering", written, Hash([]byte("older")), written, true},
		{"edited after writing", append(append([]byte(nil), written...), "\nmy note"...), Hash(written), written, false},
		{"not feedmill's file", []byte("someone else's post"), "", written, false},
		{"empty hash never matches", []byte{}, "", written, false},
		{"missing file", nil, Hash(written), written, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "post.md")
			if c.file != nil {
				if err := os.WriteFile(path, c.file, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			removed, err := RemoveOwn(path, c.recorded, c.rendered)
			if err != nil {
				t.Fatal(err)
			}
			if removed != c.removed {
				t.Errorf("removed = %v, want %v", removed, c.removed)
			}
			_, statErr := os.Stat(path)
			if exists := statErr == nil; c.file != nil && exists == c.removed {
				t.Errorf("file exists = %v after removed = %v", exists, removed)
			}
		})
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestHashMatches(t *testing.T) {
	data := []byte("\n---\ntitle: 'a'\n---\n")
	for _, c := range []struct {
		name     string
		data     []byte
		recorded string
		want     bool
	}{
		{"hash", data, Hash(data), true},
		{"SHA-256 of an older version", data, sha256Hex(data), true},
		{"other bytes", []byte("\n---\ntitle: 'b'\n---\n"), Hash(data), false},
		{"other bytes, SHA-256", []byte("\n---\ntitle: 'b'\n---\n"), sha256Hex(data), false},
		{"one byte flipped", append([]byte("x"), data[1:]...), Hash(data), false},
		{"none recorded", data, "", false},
		{"not a hash", data, "abc", false},
		{"prefix alone", data, "crc:", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := HashMatches(c.data, c.recorded); got != c.want {
				t.Errorf("HashMatches(%q, %q) = %v, want %v", c.data, c.recorded, got, c.want)
			}
		})
	}
	if h := Hash(data); len(h) != len("crc:")+16 || Hash(data) != h {
		t.Errorf("Hash = %q: want crc: and 16 hex digits, the same every time", h)
	}
}

func TestFilesWrite(t *testing.T) {
	var w Files
	root := t.TempDir()
	path := filepath.Join(root, "g", "s", "c", "post.md")
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, step := range []struct {
		name  string
		data  string
		fresh bool
		wrote bool
	}{
		{"new post, folders made", "one", true, true},
		{"same bytes, not fresh: left alone", "one", false, false},
		{"other bytes: replaced", "two", false, true},
		{"fresh: written without reading", "two", true, true},
	} {
		wrote, err := w.Write(path, []byte(step.data), step.fresh)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if wrote != step.wrote || read() != step.data {
			t.Errorf("%s: wrote %v, file %q; want %v, %q", step.name, wrote, read(), step.wrote, step.data)
		}
	}
	// A folder removed after it was made is made again.
	if err := os.RemoveAll(filepath.Join(root, "g")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(path, []byte("three"), true); err != nil || read() != "three" {
		t.Fatalf("after the folder was removed: %v, %q", err, read())
	}
	// No temp file is left.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("folder holds %v (%v), want the post alone", entries, err)
	}
}

// TestFilesFolderRemovedWhileOpen: a folder Files holds open that is
// removed gets the next file at its path again, made anew.
func TestFilesFolderRemovedWhileOpen(t *testing.T) {
	var w Files
	defer w.Close()
	root := t.TempDir()
	dir := filepath.Join(root, "g", "s", "c")
	if _, err := w.Write(filepath.Join(dir, "one.md"), []byte("one"), true); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "g")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"two.md", "three.md"} {
		if _, err := w.Write(filepath.Join(dir, name), []byte(name), true); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != name {
			t.Fatalf("%s: %q, %v", name, got, err)
		}
	}
}

// TestFilesManyFolders: files written concurrently into more folders than
// Files keeps open land at their paths, whole, the descriptors it keeps
// stay bounded, and Close releases them.
func TestFilesManyFolders(t *testing.T) {
	fds := func() int {
		t.Helper()
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(entries)
	}
	before := fds()
	var w Files
	root := t.TempDir()
	const folders, perFolder = 3 * maxOpenFolders, 5
	path := func(f, i int) string {
		return filepath.Join(root, "g", strconv.Itoa(f), "c", strconv.Itoa(i)+".md")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for f := g; f < folders; f += 4 {
				for i := range perFolder {
					if _, err := w.Write(path(f, i), []byte(path(f, i)), true); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := fds() - before; n > maxOpenFolders+4 {
		t.Errorf("%d descriptors open after the writes, want at most %d", n, maxOpenFolders+4)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fds() - before; n > 0 {
		t.Errorf("%d descriptors open after Close", n)
	}
	for f := range folders {
		for i := range perFolder {
			if got, err := os.ReadFile(path(f, i)); err != nil || string(got) != path(f, i) {
				t.Fatalf("%s: %q, %v", path(f, i), got, err)
			}
		}
	}
}
