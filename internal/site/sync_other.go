//go:build !linux

package site

// syncFS is a no-op where there is no syncfs; pages are still replaced
// atomically.
func syncFS(dir string) error { return nil }
