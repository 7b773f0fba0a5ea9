//go:build !linux

package site

import (
	"os"
	"sync"
)

// createFile makes a new file at path holding data; an error satisfying
// errors.Is(err, fs.ErrExist) when a file is there. lock (the folder's,
// see diskOutput.folder) is held while the file is created.
func createFile(lock *sync.Mutex, path string, data []byte) error {
	lock.Lock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	lock.Unlock()
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
