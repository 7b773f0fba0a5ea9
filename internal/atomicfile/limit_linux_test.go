package atomicfile

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestFilesFolderLimit: under a low limit of open descriptors (ulimit -n
// 32), the folders Files keeps open take a sixteenth of it at most, so
// that the rest of the program still opens what it needs: a run over 30
// sources failed at its sync ("too many open files") with all 30 folders
// held open.
func TestFilesFolderLimit(t *testing.T) {
	open := func() int {
		t.Helper()
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(entries)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	before := open()
	low := old
	low.Cur = uint64(before + 48)
	if low.Cur > old.Cur {
		t.Skipf("limit %d already low", old.Cur)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	want := int(low.Cur) / 16

	var w Files
	defer w.Close()
	root := t.TempDir()
	const folders = 30
	for f := range folders {
		path := filepath.Join(root, "g", strconv.Itoa(f), "c", "post.md")
		if _, err := w.Write(path, []byte(path), true); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != path {
			t.Fatalf("%s: %q, %v", path, got, err)
		}
	}
	if n := open() - before; n > want {
		t.Errorf("%d descriptors held after writing into %d folders under a limit of %d, want at most %d", n, folders, low.Cur, want)
	}
}
