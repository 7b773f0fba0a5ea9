package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// createFile creates the new file tmp (never an existing one) holding
// data. On failure it leaves no file behind.
//
// It calls the system directly: an *os.File would also try to register
// the file with the network poller and ask for its mode, two more system
// calls for each of the thousands of posts of a run.
func createFile(tmp string, data []byte) error {
	fd, err := retry(func() (int, error) {
		return unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	})
	if err != nil {
		return fmt.Errorf("create temp file: %w", &fs.PathError{Op: "open", Path: tmp, Err: err})
	}
	var werr error
	for rest := data; len(rest) > 0 && werr == nil; {
		var n int
		n, werr = retry(func() (int, error) { return unix.Write(fd, rest) })
		if werr == nil && n == 0 {
			werr = errors.New("short write")
		}
		rest = rest[max(n, 0):]
	}
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr != nil {
		unix.Unlink(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(tmp), werr)
	}
	return nil
}

// renameFile renames the temp file tmp to path, replacing a file there.
// It calls rename(2) directly: os.Rename first looks at path (to refuse a
// directory there, which rename(2) refuses too), one more system call for
// every post.
func renameFile(tmp, path string) error {
	if _, err := retry(func() (int, error) { return 0, unix.Rename(tmp, path) }); err != nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
	return nil
}

// retry calls f again while it is interrupted by a signal.
func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}
