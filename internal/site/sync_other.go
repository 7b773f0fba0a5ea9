//go:build !linux

package site

// syncFS is a no-op where there is no syncfs; pages are still replaced
// atomically.
func syncFS(dir string) error { return nil }

// bootID is "" where the boot cannot be named: every build then syncs
// before it declares the site finished.
func bootID() string { return "" }
