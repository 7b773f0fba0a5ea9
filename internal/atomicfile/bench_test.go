package atomicfile

import (
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's CPU time so far, user and system: on a
// loaded machine it tells more than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFilesWrite writes new posts of 6 kB, 20 to a folder, as a
// run's first pass does; TMPDIR picks the file system.
func BenchmarkFilesWrite(b *testing.B) {
	data := make([]byte, 6000)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	root := b.TempDir()
	var w Files
	defer w.Close()
	b.SetBytes(int64(len(data)))
	start := cpuTime()
	i := 0
	for ; b.Loop(); i++ {
		dir := filepath.Join(root, "基准", "源"+strconv.Itoa(i/20), "头条")
		path := filepath.Join(dir, "新闻标题_关于某某事件的最新进展与各方回应 "+strconv.Itoa(i)+".md")
		if _, err := w.Write(path, data, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(i), "cpu-ns/op")
}

// BenchmarkHash hashes a 6 kB post; BenchmarkHashSHA256 is the hash
// recorded before.
func BenchmarkHash(b *testing.B) {
	data := benchPost()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_ = Hash(data)
	}
}

func BenchmarkHashSHA256(b *testing.B) {
	data := benchPost()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_ = sha256Hex(data)
	}
}

func benchPost() []byte {
	data := make([]byte, 6000)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	return data
}
