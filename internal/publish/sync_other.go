//go:build unix && !linux

package publish

import "syscall"

// SyncFS makes every file written under dir durable. Without Linux's
// syncfs(2) it syncs every file system.
func SyncFS(dir string) error {
	syscall.Sync()
	return nil
}
