package atomicfile

import (
	"os"
	"path/filepath"
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
