package refresh

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/internal/atomicfile"
	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/store"
)

// Writes are batched across sources, because a transaction and a disk
// flush per source would bound a run by the disk, not the network.
//
// The goroutine that called Run stages what the workers fetched: the new
// items of the sources fetched within stageWait of each other and their
// posts' paths go into the store in one transaction. A poster goroutine
// (a few when it falls behind, see send) renders and writes the posts
// (each appears whole, see atomicfile.Files) while it stages the next
// sources. Every flushEvery, flushPosts posts or flushBytes of bodies the
// staged batch goes to the flusher goroutine, which waits for its files, makes them durable
// with one publish.Sync and marks them posted in one transaction, with
// the sources' fetches and schedules, while staging goes on with the next
// batch. Each post keeps the order publishSource describes (path reserved,
// file in place and flushed, marked posted), so a crash at any point loses
// no item and writes none twice; the fetch records come last, so a source
// whose batch was lost is fetched again.
const (
	flushEvery   = 250 * time.Millisecond
	flushPosts   = 2000
	postWriters  = 4                     // posters at most
	helperWait   = 20 * time.Millisecond // how long the posters' queue is full before a helper joins
	postChunk    = 32                    // posts handed to a poster at once at most
	jobQueue     = 32                    // sources' posts staged ahead of the posters, so staging goes on while they write
	maxQueued    = 64                    // batches waiting for the flusher at most
	stageSources = 64                    // sources staged in one transaction at most
	stageWait    = 20 * time.Millisecond // how long a fetched source waits for others to stage with
)

// flushBytes bounds, about, the bodies a staged batch holds: its posts'
// prepared bodies are kept until the flush stores them with the posts
// marked posted. 2,000 posts of 5 kB held 11 MB, and two such batches
// (one staged while the last is flushed) were half of a first run's live
// heap; posts of 100 kB would have held 200 MB a batch. A variable for
// the tests.
var flushBytes int64 = 4 << 20

// writer stages, writes and flushes the posts of one Run.
type writer struct {
	r       *Runner
	ctx     context.Context
	results []Result
	report  func(Result)

	files   atomicfile.Files // the folders made this run, a few kept open
	bufs    sync.Pool        // *[]byte: render buffers (see appendRenderer)
	jobs    chan []postJob   // a source's posts, postChunk at most, at a time
	posters sync.WaitGroup
	helpers atomic.Int32  // posters beside the first (see send)
	post    func(postJob) // writePost; tests stand in for it

	cur     *batch      // being staged
	flushes chan *batch // to the flusher
	flushed chan struct{}

	mu   sync.Mutex
	err  error      // the first store failure: nothing more is staged
	held int64      // bodies' bytes handed to the flusher and not flushed yet
	less *sync.Cond // on mu: held went down
}

// batch is what was staged between two flushes.
type batch struct {
	pending []*pending
	posts   int            // posts staged
	bytes   int64          // their bodies' bytes, about
	writes  sync.WaitGroup // posts being written
}

// pending is a staged source. Its posts are written concurrently; mu
// guards what the writes fill in.
type pending struct {
	f   fetched
	res Result

	mu sync.Mutex
	// posted are the posts in place, to mark posted, with the hashes of
	// those written, which let retention tell feedmill's files from a
	// user's edit.
	posted []store.Posted
	// prepared are the bodies the posts were made of, kept for the site.
	prepared []store.Prepared
	wrote    []bool // by output: some file was written, so a sync is due
	errs     []error
	tried    int
}

// postJob is an item's posts to render and write, one per output that
// lacks it: the post is prepared once for all of them.
type postJob struct {
	b    *batch
	p    *pending
	it   store.Item
	post outPost   // the first output's
	more []outPost // the other outputs', with several (no allocation for one)
}

// outPost is an item's post in one output.
type outPost struct {
	k    int    // the output's index in Runner.Outputs
	path string // reserved
	hash string // recorded
	// fresh says no file was at the post's path when it was reserved,
	// so there is no old file to compare with.
	fresh bool
}

func newWriter(ctx context.Context, r *Runner, results []Result, report func(Result)) *writer {
	w := &writer{
		r: r, ctx: ctx, results: results, report: report,
		jobs:    make(chan []postJob, jobQueue),
		cur:     &batch{},
		flushes: make(chan *batch, maxQueued),
		flushed: make(chan struct{}),
	}
	w.less = sync.NewCond(&w.mu)
	w.post = w.writePost
	w.posters.Go(w.writePosts)
	go w.flusher()
	return w
}

func (w *writer) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// stage stages the group of fetched sources and hands the batch to the
// flusher once it holds enough posts.
func (w *writer) stage(group []fetched) {
	if w.failed() {
		return
	}
	if err := w.r.stage(w.ctx, group, w.cur, w.send); err != nil {
		w.fail(err)
		return
	}
	if w.cur.posts >= flushPosts || w.cur.bytes >= flushBytes {
		w.flush()
	}
}

// flush hands the staged batch to the flusher. It waits while the
// batches handed over and not flushed yet hold twice flushBytes of bodies
// (one flushed, one waiting), or when maxQueued batches wait for the
// flusher already.
func (w *writer) flush() {
	if len(w.cur.pending) == 0 {
		return
	}
	w.mu.Lock()
	for w.held > 0 && w.held+w.cur.bytes > 2*flushBytes {
		w.less.Wait()
	}
	w.held += w.cur.bytes
	w.mu.Unlock()
	w.flushes <- w.cur
	w.cur = &batch{}
}

// flusher flushes the batches handed to it. Batches that queued up while
// it flushed the last ones (the disk was slow to sync) are flushed
// together, with one sync and one transaction.
func (w *writer) flusher() {
	defer close(w.flushed)
	for b := range w.flushes {
	more:
		for {
			select {
			case next, ok := <-w.flushes:
				if !ok {
					break more
				}
				b.pending = append(b.pending, next.pending...)
				b.bytes += next.bytes
				next.writes.Wait()
			default:
				break more
			}
		}
		b.writes.Wait()
		if !w.failed() {
			if err := w.r.flush(w.ctx, b, w.results, w.report); err != nil {
				w.fail(err)
			}
		}
		w.mu.Lock()
		w.held -= b.bytes
		w.less.Broadcast()
		w.mu.Unlock()
	}
}

// finish flushes what is staged, waits for every write and returns the
// first store failure.
func (w *writer) finish() error {
	var checkpointed sync.WaitGroup
	if c, ok := w.r.Store.(checkpointer); ok && w.r.Closing && !w.failed() {
		// Nothing is staged any more. Closing the store would
		// checkpoint its log, tens of MB after a first run (copied, the
		// database synced, the log's blocks freed); done now, beside the
		// writes and the sync of the last posts, it leaves the close only
		// the last marks. The flusher waits for it to mark them (the
		// store has one connection). A failure is left to the close,
		// which would do all of it anyway.
		checkpointed.Go(func() {
			if err := c.Checkpoint(w.ctx); err != nil {
				w.r.logger().Warn("store checkpoint", "error", err)
			}
		})
	}
	if !w.failed() && len(w.cur.pending) > 0 {
		// The last batch does not wait for the flusher to make room
		// (see flush): nothing is staged after it, and its bodies are
		// made by now, or by the posters writing it.
		w.mu.Lock()
		w.held += w.cur.bytes
		w.mu.Unlock()
		w.flushes <- w.cur
		w.cur = &batch{}
	}
	close(w.flushes)
	// With nothing left to stage, this goroutine writes the queued posts
	// beside the posters instead of waiting for them: the last flush
	// waits for those writes.
	w.drain()
	<-w.flushed
	checkpointed.Wait()
	close(w.jobs)
	w.posters.Wait()
	w.files.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// writePosts renders and writes posts until jobs is closed.
func (w *writer) writePosts() {
	for todo := range w.jobs {
		for _, j := range todo {
			w.post(j)
		}
	}
}

// send hands posts to the posters. One poster writes while it keeps up:
// posters compete for the CPUs with the fetch workers, and each wait of a
// worker for a CPU makes its next request later, which is what bounds a
// run. When the queue stays full for helperWait (the disk is slow, or
// the posts are many), a helper poster joins, up to postWriters in all,
// and leaves when the queue is empty.
func (w *writer) send(todo []postJob) {
	select {
	case w.jobs <- todo:
		return
	default:
	}
	t := time.NewTimer(helperWait)
	defer t.Stop()
	select {
	case w.jobs <- todo:
		return
	case <-t.C:
	}
	if w.helpers.Load() < postWriters-1 {
		w.helpers.Add(1)
		w.posters.Go(w.help)
	}
	w.jobs <- todo
}

// help writes posts until the queue is empty.
func (w *writer) help() {
	defer w.helpers.Add(-1)
	w.drain()
}

// drain writes the queued posts until the queue is empty.
func (w *writer) drain() {
	for {
		select {
		case todo, ok := <-w.jobs:
			if !ok {
				return
			}
			for _, j := range todo {
				w.post(j)
			}
		default:
			return
		}
	}
}

// appendRenderer is a Format that renders a post into memory it is
// given. A post's bytes are dropped once its file is written and hashed,
// so the posters render into buffers they reuse (writer.bufs) instead of
// allocating every post anew.
type appendRenderer interface {
	AppendRender(dst []byte, p publish.Post) []byte
}

// maxKeptBuffer bounds the render buffers kept for reuse: one huge post
// does not pin its memory for the rest of the run.
const maxKeptBuffer = 256 << 10

// writePost renders and writes an item's posts, one per output that
// lacks it, from one prepared post: each output's bytes are written and
// hashed before the next output's are rendered into the same buffer.
func (w *writer) writePost(j postJob) {
	r := w.r
	post, body := r.prepare(j.p.f.src, j.it)
	type written struct {
		wrote bool
		hash  string
		err   error
	}
	var one [1]written // an item has one post to write, most often
	done := one[:0]
	var first [1]outPost
	posts := append(append(first[:0], j.post), j.more...)
	var buf *[]byte
	for _, op := range posts {
		out := &r.Outputs[op.k]
		var data []byte
		if a, ok := out.Format.(appendRenderer); ok {
			if buf == nil {
				if buf, _ = w.bufs.Get().(*[]byte); buf == nil {
					buf = new([]byte)
				}
			}
			data = a.AppendRender((*buf)[:0], post)
			*buf = data
		} else {
			data = out.Format.Render(post)
		}
		abs := filepath.Join(out.Dir, filepath.FromSlash(op.path))
		wrote, err := w.files.Write(abs, data, op.fresh)
		d := written{wrote: wrote}
		if err != nil {
			d.err = &postError{err: fmt.Errorf("%s: %w", abs, err)}
		} else if !atomicfile.HashMatches(data, op.hash) {
			d.hash = atomicfile.Hash(data)
		}
		done = append(done, d)
	}
	if buf != nil && cap(*buf) <= maxKeptBuffer {
		w.bufs.Put(buf)
	}
	j.p.mu.Lock()
	j.p.prepared = append(j.p.prepared, body)
	for i, op := range posts {
		d := done[i]
		j.p.tried++
		if d.err != nil {
			j.p.errs = append(j.p.errs, d.err)
			continue
		}
		j.p.posted = append(j.p.posted, store.Posted{ItemID: j.it.ID, Output: r.Outputs[op.k].id, Hash: d.hash})
		if d.wrote {
			j.p.res.Posts++
			j.p.wrote[op.k] = true
		}
	}
	j.p.mu.Unlock()
	j.b.writes.Done()
}

// stage stores the fetched sources' items in one transaction, reserves
// paths for their unposted ones and hands their posts to the posters. Only
// store failures are returned; a source's own failure is its Result.
func (r *Runner) stage(ctx context.Context, group []fetched, b *batch, send func([]postJob)) error {
	ps := make([]*pending, len(group))
	todos := make([][]postJob, len(group))
	for i, f := range group {
		ps[i] = newPending(f, len(r.Outputs))
	}
	// A fetcher stores nothing for a source that failed or was not
	// modified: a group of those needs no transaction (a fleet's pass
	// of 304s is made of them).
	work := !r.FetchOnly
	for _, f := range group {
		work = work || (f.err == nil && !f.resp.NotModified)
	}
	if work {
		err := r.Store.Batch(ctx, func(tx store.Store) error {
			for i, p := range ps {
				todo, err := r.reserve(ctx, tx, p, b)
				if err != nil {
					return err
				}
				todos[i] = todo
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i, p := range ps {
		p.tried = len(p.errs) + len(p.posted)
		p.f.items = nil
		b.pending = append(b.pending, p)
		b.posts += len(p.posted)
		for _, j := range todos[i] {
			b.posts += 1 + len(j.more)
			b.bytes += int64(len(j.it.Content)) // its prepared body, about
		}
		for _, pr := range p.prepared { // FetchOnly's
			b.bytes += int64(len(pr.HTML))
		}
		b.writes.Add(len(todos[i]))
	}
	// Posts go to the posters a source (or postChunk posts) at a time: a
	// hand-over per post woke a poster per post, and on two CPUs those
	// wake-ups left a fifth of the machine idle. A large source is still
	// shared among the posters.
	for _, todo := range todos {
		for len(todo) > 0 {
			n := min(len(todo), postChunk)
			send(todo[:n])
			todo = todo[n:]
		}
	}
	return nil
}

func newPending(f fetched, outputs int) *pending {
	p := &pending{f: f, wrote: make([]bool, outputs), res: Result{Source: f.src, Items: len(f.items), Err: f.err, Filtered: f.filtered, Duration: f.took,
		Warning: f.warning, FullText: f.fullText.Replaced, FullTextFailed: len(f.fullText.Failed)}}
	if len(f.fullText.Failed) > 0 {
		p.res.FullTextErr = f.fullText.Failed[0]
	}
	p.res.NotModified = f.err == nil && f.resp.NotModified
	return p
}

// reserve stores a source's new items, applies its retention and reserves
// the paths of its unposted items in every output, in the transaction
// tx. It returns the posts to write.
func (r *Runner) reserve(ctx context.Context, tx store.Store, p *pending, b *batch) ([]postJob, error) {
	f := p.f
	if r.FetchOnly {
		return nil, r.storeOnly(ctx, tx, p)
	}
	// Unposted items are published even when this fetch failed or was
	// unchanged: they may be left from a run that stopped half-way, or
	// be new to an output added since. They are read before the new
	// items are stored, which come after them and need not be read back.
	outs := r.Outputs
	unposted := make([][]store.Item, len(outs))
	var lastOld int64 // the newest unposted item stored before this fetch's
	for k := range outs {
		items, err := tx.Items(ctx, f.row.ID, outs[k].id, true)
		if err != nil {
			return nil, err
		}
		unposted[k] = items
		if n := len(items); n > 0 {
			lastOld = max(lastOld, items[n-1].ID)
		}
	}
	fetched := f.err == nil && !f.resp.NotModified
	// A source's first posts go to a folder not made yet: then no file
	// can be in the way, and one look at the folder saves one at each
	// post's name. Its new items are then stored with their paths in the
	// first output reserved, which saves a statement for each.
	noFolder := make([]bool, len(outs))
	for k := range outs {
		if len(unposted[k]) > 0 || (fetched && len(f.items) > 0) {
			if rel := outs[k].Format.Folder(f.src.Categories()); rel != "" {
				exists, err := atomicfile.Exists(filepath.Join(outs[k].Dir, filepath.FromSlash(rel)))
				noFolder[k] = err == nil && !exists
			}
		}
	}
	if fetched {
		// With a keep, retention below may retire some new items before
		// they are posted; those reserve no path.
		now := r.now()
		var paths []string
		if noFolder[0] && f.src.Retain.IsZero() {
			paths = make([]string, len(f.items))
			for i, it := range f.items {
				paths[i] = outs[0].Format.Path(pathPost(f.src, store.Item{Item: it, FirstSeen: now}), 1)
			}
		}
		added, err := tx.InsertItems(ctx, f.row.ID, f.items, outs[0].id, paths, now)
		if err != nil {
			return nil, err
		}
		p.res.New = len(added)
		unposted[0] = append(unposted[0], added...)
		for k := 1; k < len(outs); k++ {
			for _, it := range added {
				it.PostPath = "" // reserved in the first output only
				unposted[k] = append(unposted[k], it)
			}
		}
	}
	// Retention runs before publishing, so an item already beyond the
	// source's keep is never written only to be deleted.
	if !f.src.Retain.IsZero() {
		if err := r.retain(ctx, tx, f.src, f.row.ID, &p.res); err != nil {
			var perr *postError
			if !errors.As(err, &perr) {
				return nil, err
			}
			p.res.PublishErr = errors.Join(p.res.PublishErr, err)
		}
		for k := range outs {
			var err error
			if unposted[k], err = tx.Items(ctx, f.row.ID, outs[k].id, true); err != nil {
				return nil, err
			}
		}
	}
	var todo []postJob
	var byItem map[int64]int // an item's job in todo, with several outputs
	if len(outs) > 1 {
		byItem = map[int64]int{}
	}
	for k := range outs {
		for _, it := range unposted[k] {
			// A path reserved as the item was stored, in a folder that
			// is not there, has no file in the way.
			fresh := noFolder[k] && it.PostPath != "" && it.ID > lastOld
			if it.PostPath == "" {
				var path string
				var adopted bool
				var err error
				path, adopted, fresh, err = r.reservePath(ctx, tx, &outs[k], f.src, it, nil, noFolder[k])
				var perr *postError
				switch {
				case errors.As(err, &perr):
					p.errs = append(p.errs, err)
					continue
				case err != nil:
					return nil, err
				}
				it.PostPath = path
				if adopted {
					p.posted = append(p.posted, store.Posted{ItemID: it.ID, Output: outs[k].id})
					continue
				}
			}
			post := outPost{k: k, path: it.PostPath, hash: it.PostHash, fresh: fresh}
			if byItem != nil {
				if i, ok := byItem[it.ID]; ok {
					todo[i].more = append(todo[i].more, post)
					continue
				}
				byItem[it.ID] = len(todo)
			}
			todo = append(todo, postJob{b: b, p: p, it: it, post: post})
		}
	}
	return todo, nil
}

// storeOnly stores a fetcher's new items with the bodies the content
// stage prepared for their posts, which a publisher then writes (see
// FetchOnly).
func (r *Runner) storeOnly(ctx context.Context, tx store.Store, p *pending) error {
	f := p.f
	if f.err != nil || f.resp.NotModified {
		return nil
	}
	added, err := tx.InsertItems(ctx, f.row.ID, f.items, 0, nil, r.now())
	if err != nil {
		return err
	}
	p.res.New = len(added)
	for _, it := range added {
		_, body := r.prepare(f.src, it)
		p.prepared = append(p.prepared, body)
	}
	return nil
}

// flush makes a batch's posts durable, marks them posted, records its
// sources' fetches and reports them. Its writes are done.
func (r *Runner) flush(ctx context.Context, b *batch, results []Result, report func(Result)) error {
	wrote := make([]bool, len(r.Outputs))
	for _, p := range b.pending {
		for k, w := range p.wrote {
			wrote[k] = wrote[k] || w
		}
		if len(p.errs) > 0 {
			p.res.PublishErr = errors.Join(p.res.PublishErr, &postError{err: fmt.Errorf("%d of %d posts failed, first: %w", len(p.errs), p.tried, errors.Unwrap(p.errs[0]))})
		}
	}
	if err := r.syncOutputs(wrote); err != nil {
		return err
	}
	now := r.now()
	err := r.Store.Batch(ctx, func(tx store.Store) error {
		var posted []store.Posted
		for _, p := range b.pending {
			posted = append(posted, p.posted...)
		}
		if err := tx.SetPosted(ctx, posted, now); err != nil {
			return err
		}
		// One statement each for the batch's prepared bodies and its
		// fetches, not one per source: on PostgreSQL each is a round
		// trip.
		var prepared []store.Prepared
		for _, p := range b.pending {
			prepared = append(prepared, p.prepared...)
		}
		if err := tx.SetPrepared(ctx, prepared); err != nil {
			return err
		}
		fetches := make([]store.Fetch, len(b.pending))
		for i, p := range b.pending {
			var err error
			if fetches[i], err = r.record(ctx, tx, p, now); err != nil {
				return err
			}
		}
		if err := tx.RecordFetches(ctx, fetches); err != nil {
			return err
		}
		if r.Recorded != nil {
			ids := make([]int64, len(b.pending))
			for i, p := range b.pending {
				ids[i] = p.f.row.ID
			}
			return r.Recorded(ctx, tx, ids)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range b.pending {
		results[p.f.index] = p.res
		if report != nil {
			report(p.res)
		}
	}
	return nil
}
