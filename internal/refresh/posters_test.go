package refresh

import (
	"sync"
	"testing"
	"time"
)

// TestHelperPosters has posts take longer than helperWait each, as on a
// slow disk: helpers join the one poster, never more than postWriters
// write at once, every post is written once, and the helpers leave.
func TestHelperPosters(t *testing.T) {
	w := &writer{jobs: make(chan []postJob, 1)}
	var mu sync.Mutex
	var running, most int
	written := map[int]int{}
	w.post = func(j postJob) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(2 * helperWait)
		mu.Lock()
		running--
		written[j.it.RandomN]++
		mu.Unlock()
	}
	w.posters.Go(w.writePosts)
	const n = 24
	for i := range n {
		j := postJob{}
		j.it.RandomN = i
		w.send([]postJob{j})
	}
	close(w.jobs)
	w.posters.Wait()
	if most < 2 || most > postWriters {
		t.Errorf("%d posters wrote at once at most, want 2 to %d", most, postWriters)
	}
	for i := range n {
		if written[i] != 1 {
			t.Errorf("post %d written %d times", i, written[i])
		}
	}
	if h := w.helpers.Load(); h != 0 {
		t.Errorf("%d helpers left", h)
	}
}
