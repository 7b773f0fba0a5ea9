package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/store"
)

// counters are the build's statistics, kept by concurrent workers.
type counters struct {
	rendered, written atomic.Int64
}

// maxCachedEntries bounds the list entries a build keeps rendered (about
// 1 KB each).
const maxCachedEntries = 25000

// ioWriters is how many goroutines write pages. Creating a file costs
// little CPU but can wait on the disk for most of a millisecond on a
// busy virtual disk, so writes overlap far beyond the CPU count.
const ioWriters = 16

// writers is the pool that puts rendered pages in place, so that render
// workers never wait on the disk.
type writers struct {
	b    *builder
	c    *counters
	ch   chan page
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
	stop chan struct{}
}

type page struct {
	rel  string
	data []byte
	// owned says that nothing else holds data: once written, its memory
	// goes back to the builder's buffers (see buffer).
	owned bool
}

func (b *builder) startWriters(c *counters) *writers {
	w := &writers{b: b, c: c, ch: make(chan page, 64), stop: make(chan struct{})}
	for range ioWriters {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for p := range w.ch {
				if w.failed() != nil {
					continue
				}
				err := b.write(p.rel, p.data, c)
				if p.owned {
					b.recycle(p.data)
				}
				if err != nil {
					w.mu.Lock()
					if w.err == nil {
						w.err = err
						close(w.stop)
					}
					w.mu.Unlock()
				}
			}
		}()
	}
	return w
}

func (w *writers) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// put queues a page; it returns the first write error instead once one
// happened.
func (w *writers) put(ctx context.Context, rel string, data []byte, owned bool) error {
	w.c.rendered.Add(1)
	select {
	case w.ch <- page{rel, data, owned}:
		return nil
	case <-w.stop:
		return w.failed()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close waits for the queued pages and returns the first write error.
func (w *writers) close() error {
	close(w.ch)
	w.wg.Wait()
	return w.failed()
}

// run plans, renders and writes the site, removes the pages of items that
// are gone and saves the manifest.
func (b *builder) run(ctx context.Context, st Store) error {
	t := time.Now()
	phase := func(name string) {
		b.logger.Debug("site build phase", "phase", name, "took", time.Since(t))
		t = time.Now()
	}
	var err error
	if b.site, err = b.makeSiteData(); err != nil {
		return err
	}
	if err := b.renderNavs(); err != nil {
		return err
	}
	jobs := b.plan()
	phase("plan")
	var c counters
	w := b.startWriters(&c)
	if err := b.process(ctx, st, w); err != nil {
		w.close()
		return err
	}
	phase("posts")
	if err := b.renderJobs(ctx, jobs, w); err != nil {
		w.close()
		return err
	}
	if err := w.close(); err != nil {
		return err
	}
	phase("pages")
	gone := manifest{}
	for rel, fp := range b.prev {
		if _, ok := b.next[rel]; !ok {
			gone[rel] = fp
		}
	}
	for _, rel := range sortedKeys(gone) {
		if err := b.out.remove(rel); err != nil {
			return fmt.Errorf("remove %s: %w", rel, err)
		}
		b.stats.PagesRemoved++
	}
	b.stats.PagesTotal = len(b.next)
	b.stats.PagesRendered = int(c.rendered.Load())
	b.stats.PagesWritten = int(c.written.Load())
	if b.old != nil && b.stats.PagesWritten == 0 && b.stats.PagesRemoved == 0 && sameManifest(b.prev, b.next) {
		phase("manifest")
		return nil // nothing changed: the manifest in place is this one
	}
	if err := b.out.saveManifest(b.next); err != nil {
		return fmt.Errorf("save site manifest: %w", err)
	}
	phase("manifest")
	return nil
}

func (b *builder) workers() int {
	if b.opts.Workers > 0 {
		return b.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (b *builder) write(rel string, data []byte, c *counters) error {
	// An incremental build renders a page only when the manifest has
	// another fingerprint for it, or none: its bytes changed (on the
	// 100,000-post bench site every such page did), so it is written
	// without reading the old page first, a third of the writers' system
	// time. Without a manifest to trust (a full build, an unfinished last
	// build) every page is compared with the disk, so that unchanged
	// pages keep their times.
	_, existed := b.prev[rel]
	wrote, err := b.out.write(rel, data, b.old == nil, b.prev != nil && !existed)
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if wrote {
		c.written.Add(1)
		if b.opts.OnWrite != nil {
			b.opts.OnWrite(rel)
		}
	}
	return nil
}

// process reads the content of every item that a page to render needs,
// cleans it once, and renders the item's post page when it changed. The
// store streams the contents to a pool of workers, so that memory holds
// only the bodies that feeds still need, never all of them.
func (b *builder) process(ctx context.Context, st Store, w *writers) error {
	byID := map[int64]*item{}
	var ids []int64
	var posts, summaries, bodies int
	hits := b.useCachedEntries(b.entryCache)
	for _, it := range b.items {
		if hits[it] {
			continue
		}
		if it.renderPost || it.needSummary || it.needBody {
			byID[it.ID] = it
			ids = append(ids, it.ID)
			posts += boolInt(it.renderPost)
			summaries += boolInt(it.needSummary)
			bodies += boolInt(it.needBody)
		}
	}
	b.logger.Debug("site build reads items", "items", len(ids), "posts", posts, "summaries", summaries, "bodies", bodies, "cached", len(hits))
	// Each item is in five lists; its entry is rendered once and kept,
	// unless that would hold too much memory (a full build of a very
	// large site renders entries page by page instead).
	b.cacheEntries = len(ids)+len(hits) <= maxCachedEntries
	if b.cacheEntries && len(hits) > 0 {
		var its []*item
		for it := range hits {
			if it.entryHTML == "" {
				its = append(its, it)
			}
		}
		if err := b.renderEntries(its); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })

	type task struct {
		it     *item
		meta   store.ItemMeta
		body   store.ItemBody
		weight int64 // of the body in inFlight
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tasks := make(chan task, 64)
	// The bodies read and not yet rendered are bounded in bytes, not only
	// in number: a few bodies of 14 MiB queued at once took the build to
	// 784 MB. A body larger than the bound waits for the others and is
	// rendered alone.
	inFlight := semaphore.NewWeighted(maxBodyBytes)
	var wg sync.WaitGroup
	for range b.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				if ctx.Err() == nil {
					// A copy of its own: a pointer into the task would keep
					// the item's raw content alive for the rest of the build.
					meta := t.meta
					t.it.ItemMeta = &meta
					if err := b.processItem(ctx, t.it, t.body, w); err != nil {
						cancel(err)
					}
				}
				inFlight.Release(t.weight)
			}
		}()
	}
	done := map[int64]bool{}
	// The bodies the refresh prepared for the posts with the site's
	// options are taken as they are: cleaning is most of a post's cost.
	err := st.ItemContents(ctx, ids, b.cfg.Content.Key(), func(m store.ItemMeta, body store.ItemBody) error {
		it := byID[m.ID]
		if it == nil {
			return nil
		}
		done[m.ID] = true
		n := int64(len(body.Content))
		if body.Prepared != nil {
			n += int64(len(body.Prepared.HTML))
		}
		n = min(n, maxBodyBytes)
		if err := inFlight.Acquire(ctx, n); err != nil {
			return context.Cause(ctx)
		}
		select {
		case tasks <- task{it, m, body, n}:
			return nil
		case <-ctx.Done():
			inFlight.Release(n)
			return context.Cause(ctx)
		}
	})
	close(tasks)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if err != nil {
		return fmt.Errorf("read item contents: %w", err)
	}
	// An item removed while the build ran has no content: forget its page
	// so that the next build does not take it for written.
	for _, id := range ids {
		if !done[id] {
			delete(b.next, byID[id].rel)
		}
	}
	return ctx.Err()
}

// processItem cleans one item's content, unless the refresh kept it
// cleaned, and renders its post page.
func (b *builder) processItem(ctx context.Context, it *item, raw store.ItemBody, w *writers) error {
	var r content.Result
	if p := raw.Prepared; p != nil {
		r = content.Result{HTML: p.HTML, Image: p.Image}
	} else {
		opts := b.cfg.Content
		opts.Enclosures = raw.Enclosures // as the post shows them
		r = content.Process(raw.Content, it.Link, opts)
	}
	it.excerpt = excerpt(r.HTML)
	it.image, it.bodyImg = r.Image, r.Image != ""
	if it.image == "" {
		// The feed's own image for the item is text from the feed, which
		// the cleaner never saw: only a web URL is taken.
		it.image = safeLink(it.Image)
	}
	it.haveEntry = true
	if it.needSummary && b.cacheEntries {
		e, err := b.tpl.entry(b.entry(it))
		if err != nil {
			return err
		}
		it.entryHTML = e
	}
	if !it.needBody && !it.renderPost {
		return nil // a list entry needs the excerpt and image alone
	}
	body := b.siteBody(r.HTML)
	if it.needBody {
		b.feedFragments(it, b.feedBody(it, r.HTML, body))
	}
	if !it.renderPost {
		return nil
	}
	data, err := b.renderPost(it, body)
	if err != nil {
		return fmt.Errorf("render %s: %w", it.rel, err)
	}
	return w.put(ctx, it.rel, data, true)
}

// renderJobs renders and writes the pages other than posts, concurrently.
func (b *builder) renderJobs(ctx context.Context, jobs []job, w *writers) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan job)
	var wg sync.WaitGroup
	for range b.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if ctx.Err() != nil {
					continue
				}
				data, err := j.render()
				if err != nil {
					cancel(fmt.Errorf("render %s: %w", j.rel, err))
					continue
				}
				for _, it := range j.feed {
					if it.feedRefs.Add(-1) == 0 {
						it.rss, it.atom, it.json = feedEntry{}, feedEntry{}, feedEntry{}
					}
				}
				if err := w.put(ctx, j.rel, data, !j.shared); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return nil
}

func sameManifest(a, b manifest) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// maxPooled bounds the buffers kept for reuse.
const maxPooled = 4 << 20

// buffer returns an empty buffer of at least size bytes for a page,
// reusing the memory of pages already written: a build renders thousands
// of pages of 5 to 250 KB, and fresh memory for each cost clearing it and
// faulting it in, a tenth of a first build's CPU time.
func (b *builder) buffer(size int) *bytes.Buffer {
	w, _ := b.bufs.Get().(*bytes.Buffer)
	if w == nil {
		w = new(bytes.Buffer)
	}
	w.Reset()
	w.Grow(size)
	return w
}

// recycle gives the memory of a written page back for buffer to reuse.
func (b *builder) recycle(data []byte) {
	if c := cap(data); c > 0 && c <= maxPooled {
		b.bufs.Put(bytes.NewBuffer(data[:0]))
	}
}
