// Package gentest runs the real static site generators feedmill writes
// posts for, Hugo and Jekyll (Debian's hugo and jekyll, which
// .ci/deps/hugo.sh and .ci/deps/jekyll.sh install), over the example
// sites under examples/. Its tests publish feeds into a copy of each
// example site and read the pages the generator made. (Hexo has its own,
// internal/hexotest, with a pinned npm tree.)
package gentest

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Require returns the path of the generator's command, and skips the test
// when it is not installed, saying how to install it.
func Require(t testing.TB, command, script string) string {
	t.Helper()
	path, err := exec.LookPath(command)
	if err != nil {
		t.Skipf("%s is not installed (run %s)", command, script)
	}
	return path
}

// ExampleDir returns the path of examples/<name> in the repository.
func ExampleDir(t testing.TB, name string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", name)
}

// CopySite copies the example site examples/<name> into a new folder
// and returns it.
func CopySite(t testing.TB, name string) string {
	t.Helper()
	src := ExampleDir(t, name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
