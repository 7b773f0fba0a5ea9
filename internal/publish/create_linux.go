package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

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
	werr := writeAll(fd, data)
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr != nil {
		unix.Unlink(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(tmp), werr)
	}
	return nil
}

// createNew creates the file path, which must not exist, holding data,
// in the folder dir: it writes an unnamed file there (O_TMPFILE) and
// links it at path when it is complete, so no reader and no crash ever
// sees a part of it, and a crash leaves no temp file behind. It returns
// errNoTmpFile when the file system cannot do that or a file is already
// at path, for the caller to write a temp file and rename it instead.
func createNew(dir, path string, data []byte) error {
	fd, err := retry(func() (int, error) {
		return unix.Open(dir, unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, 0o644)
	})
	if err != nil {
		return errNoTmpFile // EOPNOTSUPP, EISDIR on old kernels, …
	}
	defer unix.Close(fd)
	if err := writeAll(fd, data); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	// linkat of the descriptor itself (AT_EMPTY_PATH) is the cheaper way;
	// kernels before 6.10 allow it only to privileged processes, and then
	// its name under /proc does.
	_, err = retry(func() (int, error) {
		return 0, unix.Linkat(fd, "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
	})
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		_, err = retry(func() (int, error) {
			return 0, unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
		})
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST), errors.Is(err, unix.ENOENT):
		// ENOENT: no /proc; EEXIST: a file appeared, which rename replaces.
		return errNoTmpFile
	default:
		return fmt.Errorf("write %s: %w", filepath.Base(path), &fs.PathError{Op: "link", Path: path, Err: err})
	}
}

// writeAll writes data to fd.
func writeAll(fd int, data []byte) error {
	for rest := data; len(rest) > 0; {
		n, err := retry(func() (int, error) { return unix.Write(fd, rest) })
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("short write")
		}
		rest = rest[n:]
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
