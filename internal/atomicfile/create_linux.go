package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Create makes the new file path (never an existing one: an error
// satisfying errors.Is(err, fs.ErrExist) when a file is there) holding
// data. On failure it leaves no file behind. lock, when not nil, is held
// while the file is created (see Files).
//
// It calls the system directly: an *os.File would also register the file
// with the network poller and ask for its mode, five more system calls
// for each of the thousands of files of a run or a build.
func Create(lock sync.Locker, path string, data []byte) error {
	if lock != nil {
		lock.Lock()
	}
	fd, err := retry(func() (int, error) {
		return unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	})
	if lock != nil {
		lock.Unlock()
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	werr := writeAll(fd, data)
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr != nil {
		unix.Unlink(path)
		return &fs.PathError{Op: "write", Path: path, Err: werr}
	}
	return nil
}

// cwdFD stands for the working folder where a folder's descriptor is
// asked for: the *at calls then take paths as open and link do.
const cwdFD = unix.AT_FDCWD

// openFolder opens dir for the *at calls that make files in it. O_PATH:
// the descriptor only names the folder, which the kernel then need not
// find again by its path for every file.
func openFolder(dir string) (int, error) {
	fd, err := retry(func() (int, error) {
		return unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return fd, nil
}

func closeFolder(fd int) { unix.Close(fd) }

// descriptorLimit is the process's limit of open descriptors (its soft
// RLIMIT_NOFILE, which Go raises to the hard one at start).
func descriptorLimit() int {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil || r.Cur > 1<<20 {
		return 1 << 20
	}
	return int(r.Cur)
}

// folderGone reports whether the folder open as fd was removed.
func folderGone(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Nlink == 0
}

// createAt creates the file path, which must not exist, holding data:
// it writes an unnamed file (O_TMPFILE) in the folder dir, relative to
// the folder dirfd (cwdFD: to the working folder), and links it at path
// when it is complete, so no reader and no crash ever sees a part of it,
// and a crash leaves no temp file behind. The name is made by path, not
// relative to dirfd: a folder held open that was moved away since (or
// replaced by another, or by a link) must not get the file, which
// belongs at path. It returns an error wrapping errNoTmpFile when the
// file system cannot do that, the folder is gone or a file is already
// at path, for the caller to write a temp file and rename it instead.
func createAt(dirfd int, dir, path string, data []byte) error {
	fd, err := retry(func() (int, error) {
		return unix.Openat(dirfd, dir, unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, 0o644)
	})
	if err != nil {
		return errNoTmpFile // EOPNOTSUPP, EISDIR on old kernels, a folder removed, …
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
	case errors.Is(err, unix.EEXIST), errors.Is(err, unix.ENOENT), errors.Is(err, unix.EXDEV):
		// ENOENT: no /proc, or the folder was removed or moved; EEXIST:
		// a file appeared, which rename replaces; EXDEV: path's folder
		// is on another file system now.
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

// rename renames the temp file tmp to path, replacing a file there. It
// calls rename(2) directly: os.Rename first looks at path (to refuse a
// directory there, which rename(2) refuses too), one more system call for
// every file.
func rename(tmp, path string) error {
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

// SyncFS flushes the file system that holds dir to disk: the contents and
// the names of every file written there. One syncfs call covers a whole
// batch of files, where a flush per file would bound a run by the disk.
func SyncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// BootID names the running boot of the kernel: it changes at every boot,
// so a power cut (which loses the page cache) always changes it. "" when
// it cannot be read. A writer that records the boot it wrote in can skip
// flushing, and knows after a restart that its unflushed files may be
// lost.
func BootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}
