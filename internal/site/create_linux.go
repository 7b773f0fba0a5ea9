package site

import (
	"errors"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// createFile makes a new file at path holding data; an error satisfying
// errors.Is(err, fs.ErrExist) when a file is there. lock (the folder's,
// see diskOutput.folder) is held while the file is created. It uses raw
// system calls: os.OpenFile tries to register every file with the network
// poller, five more system calls a page (two fcntl to set non-blocking
// mode, an epoll_ctl that fails, two fcntl to set it back).
func createFile(lock *sync.Mutex, path string, data []byte) error {
	lock.Lock()
	fd, err := retry(func() (int, error) {
		return unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	})
	lock.Unlock()
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for rest := data; len(rest) > 0 && err == nil; {
		var n int
		n, err = retry(func() (int, error) { return unix.Write(fd, rest) })
		if err == nil && n == 0 {
			err = errors.New("short write")
		}
		rest = rest[max(n, 0):]
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

// retry calls f again while a signal interrupts it.
func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}
