package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFilesFolderMovedWhileOpen: a folder Files holds open that is moved
// away (renamed: a user tidying the output, a backup rotating it) and
// made anew at its path, or replaced by a link elsewhere, still gets the
// next file at its path, never in the folder at its new place: the store
// records the post at its path, and a post written elsewhere is lost to
// the site (and may be outside the output folder).
func TestFilesFolderMovedWhileOpen(t *testing.T) {
	for _, replace := range []string{"nothing", "folder", "symlink"} {
		t.Run(replace, func(t *testing.T) {
			var w Files
			defer w.Close()
			root := t.TempDir()
			outside := t.TempDir()
			dir := filepath.Join(root, "posts", "g", "s")
			if _, err := w.Write(filepath.Join(dir, "one.md"), []byte("one"), true); err != nil {
				t.Fatal(err)
			}
			moved := filepath.Join(root, "moved")
			if err := os.Rename(dir, moved); err != nil {
				t.Fatal(err)
			}
			switch replace {
			case "folder":
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			case "symlink":
				target := filepath.Join(root, "posts", "elsewhere")
				if err := os.Mkdir(target, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, dir); err != nil {
					t.Fatal(err)
				}
			}
			for _, fresh := range []bool{true, false} {
				name := "fresh.md"
				if !fresh {
					name = "free.md"
				}
				if _, err := w.Write(filepath.Join(dir, name), []byte(name), fresh); err != nil {
					t.Fatal(err)
				}
				if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != name {
					t.Errorf("%s at its path: %q, %v", name, got, err)
				}
				if _, err := os.Lstat(filepath.Join(moved, name)); err == nil {
					t.Errorf("%s written into the folder moved away", name)
				}
			}
			_ = outside
		})
	}
}
