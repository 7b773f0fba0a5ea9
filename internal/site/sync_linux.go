package site

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// syncFS flushes the file system holding dir to disk: one call for every
// page the build wrote.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// bootID names the running boot of the kernel: it changes at every boot,
// so a power cut (which loses the page cache) always changes it. "" when
// it cannot be read.
func bootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}
