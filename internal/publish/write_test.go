package publish

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
