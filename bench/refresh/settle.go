package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files removed lately make creating files slow on ext4 without a
// journal, the root file system of the machines this runs on. ext4 does
// not reuse an inode freed in the last minute, or in the last six while
// its inode table block is dirty (RECENTCY_MIN and RECENTCY_DIRTY in
// fs/ext4/ialloc.c), and it gives each new file the first free inode of
// its block group after checking every such inode on the way. Removing a
// pass's 100,000 posts — this program's own temp folder at exit, or
// rm -rf of the last -dir — and creating the next pass's beside them
// made pass 1 take 12 to 38 s instead of 9, with recently_deleted and
// find_inode_bit on top of perf's profile of the kernel. Dropping the
// page cache does not cure it: the new files read the inode tables back.
//
// That is the file system's figure, not feedmill's, so before the passes
// settle waits until the inodes this program freed are six minutes old,
// and for six minutes more when creating a few hundred files where the
// posts go is many times slower than it should be (someone else removed
// many files). -settle=false skips the wait.

const (
	// freedWait is how long ext4 may skip a freed inode, and a margin.
	freedWait = 6*time.Minute + 10*time.Second
	// slowCreate is the time per file above which the file system is
	// taken as busy skipping freed inodes. A file and its share of a
	// folder cost 25-35 µs here; right after 100,000 files were removed,
	// 130-300 µs.
	slowCreate            = 60 * time.Microsecond
	probeDirs, probeFiles = 10, 20
)

// freedStamp is the file that records when this program last removed a
// tree of posts.
func freedStamp() string { return filepath.Join(os.TempDir(), "feedmill-bench-freed") }

// removeTree removes dir, writes the file system back, and records the
// time for the next run's settle.
func removeTree(dir string) {
	os.RemoveAll(dir)
	syncDir(filepath.Dir(dir))
	os.WriteFile(freedStamp(), []byte(time.Now().Format(time.RFC3339Nano)+"\n"), 0o644)
}

// settle waits until creating files in dir is not slowed down by inodes
// freed lately (see above). The probe's files stay in dir, with the
// posts: removing them would free more inodes for the passes to skip.
func settle(dir string) error {
	if err := syncDir(dir); err != nil {
		return err
	}
	if b, err := os.ReadFile(freedStamp()); err == nil {
		if at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b))); err == nil {
			if wait := time.Until(at.Add(freedWait)); wait > 0 && wait <= freedWait {
				fmt.Printf("file system: the last run removed its posts %s ago; ext4 without a journal slows down creating files while it skips their inodes, so waiting %s (see bench/refresh/settle.go; -settle=false skips this)\n",
					time.Since(at).Round(time.Second), wait.Round(time.Second))
				time.Sleep(wait)
			}
		}
	}
	per, err := probe(filepath.Join(dir, ".settle"))
	if err != nil {
		return fmt.Errorf("file system probe: %w", err)
	}
	if per > slowCreate {
		fmt.Printf("file system: creating a file takes %s (more than %s): ext4 without a journal skips the inodes freed in the last minutes, as after an rm -rf of many files; waiting %s (see bench/refresh/settle.go; -settle=false skips this)\n",
			per.Round(time.Microsecond), slowCreate, freedWait)
		time.Sleep(freedWait)
	}
	return nil
}

// probe creates probeDirs folders of probeFiles small files under dir and
// returns the mean time per file.
func probe(dir string) (time.Duration, error) {
	data := []byte("probe\n")
	start := time.Now()
	for d := range probeDirs {
		folder := filepath.Join(dir, fmt.Sprintf("d%02d", d))
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return 0, err
		}
		for f := range probeFiles {
			if err := os.WriteFile(filepath.Join(folder, fmt.Sprintf("f%02d", f)), data, 0o644); err != nil {
				return 0, err
			}
		}
	}
	return time.Since(start) / (probeDirs * probeFiles), nil
}
