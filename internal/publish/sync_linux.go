package publish

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Sync flushes the file system that holds dir to disk: the contents and
// the renames of every file written there. One syncfs call covers a whole
// batch of posts.
func Sync(dir string) error {
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
