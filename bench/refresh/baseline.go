package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// baseline creates as many post-sized files as pass 1 publishes, in the
// same folders, the plainest safe way: os.WriteFile of a temp file then a
// rename, by as many goroutines as feedmill's post writers, with one
// sync at the end. It is what the disk and kernel alone cost, the floor
// pass 1 cannot beat on this machine whatever the network does.
func baseline(dir string, p params) (wall, cpu time.Duration, err error) {
	data := []byte("\n---\ntitle: 'x'\n---\n\n" + strings.Repeat("<p>观察者网讯，这是一段用于基准测试的正文，长度与真实新闻相近。</p>\n", 12))
	cpu0, start := cpuTime(), time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 4 {
		wg.Go(func() {
			for i := range jobs {
				h := i * p.hosts / p.sources
				folder := filepath.Join(dir, "bench", fmt.Sprintf("host%03d", h), fmt.Sprintf("route%05d", i))
				e := os.MkdirAll(folder, 0o755)
				for n := 0; n < p.items && e == nil; n++ {
					tmp := filepath.Join(folder, fmt.Sprintf(".tmp-%d", n))
					if e = os.WriteFile(tmp, data, 0o644); e == nil {
						e = os.Rename(tmp, filepath.Join(folder, fmt.Sprintf("第%d条新闻：标题 %d-%d.md", n, i, n)))
					}
				}
				if e != nil {
					mu.Lock()
					err = e
					mu.Unlock()
				}
			}
		})
	}
	for i := range p.sources {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		err = syncDir(dir)
	}
	return time.Since(start), cpuTime() - cpu0, err
}
