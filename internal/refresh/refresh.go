// Package refresh runs sources end to end: fetch → parse → store →
// content → publish. It is the only package that knows that order.
//
// Many workers fetch and parse concurrently; one writer, the goroutine that
// called Run, stores items and publishes posts. A single writer keeps post
// paths and store rows free of races without locks.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/parse"
	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/store"
)

// Runner holds what a run needs. Its fields are set by main.
type Runner struct {
	Fetch       *fetch.Client
	Store       store.Store
	OutDir      string         // posts go under OutDir/<group>/<source>/<channel>/
	Location    *time.Location // zone of dates written without one
	Concurrency int
	Content     content.Options
	Logger      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Result is what one source's refresh did.
type Result struct {
	Source      feed.Source
	Items       int  // items in the fetched feed (after max_items)
	New         int  // items the store had not seen
	Posts       int  // post files written
	NotModified bool // the server answered 304
	Paused      bool // the source is paused: nothing was fetched
	Err         error
}

// fetched is a worker's output for one source.
type fetched struct {
	index  int
	row    store.Source
	src    feed.Source
	resp   *fetch.Response
	items  []feed.Item
	err    error
	failAt time.Time
	paused bool
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Run refreshes every source and returns their results in the order given.
// report, when not nil, is called as each source finishes. A failing
// source is recorded on its row and never stops the others; Run returns an
// error only when the store itself fails or ctx ends.
func (r *Runner) Run(ctx context.Context, sources []feed.Source, report func(Result)) ([]Result, error) {
	if err := publish.CleanTemp(r.OutDir); err != nil {
		return nil, fmt.Errorf("clean temp files: %w", err)
	}
	rows := make([]store.Source, len(sources))
	for i, src := range sources {
		row, err := r.Store.EnsureSource(ctx, src)
		if err != nil {
			return nil, err
		}
		rows[i] = row
	}

	jobs := make(chan int)
	out := make(chan fetched)
	var wg sync.WaitGroup
	for range max(1, min(r.Concurrency, len(sources))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f := r.fetchOne(ctx, sources[i], rows[i])
				f.index = i
				select {
				case out <- f:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range sources {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()

	results := make([]Result, len(sources))
	var storeErr error
	for f := range out {
		if storeErr != nil {
			continue // drain the workers
		}
		res, err := r.write(ctx, f)
		if err != nil {
			storeErr = err
			continue
		}
		results[f.index] = res
		if report != nil {
			report(res)
		}
	}
	if storeErr != nil {
		return results, storeErr
	}
	return results, ctx.Err()
}

// fetchOne fetches and parses one source. It runs on a worker and touches
// nothing but the network.
func (r *Runner) fetchOne(ctx context.Context, src feed.Source, row store.Source) fetched {
	f := fetched{src: src, row: row}
	if row.Paused {
		f.paused = true
		return f
	}
	resp, err := r.Fetch.Fetch(ctx, src.URL, fetch.Validators{ETag: row.ETag, LastModified: row.LastModified})
	if err != nil {
		f.err, f.failAt = fmt.Errorf("fetch: %w", err), r.now()
		return f
	}
	f.resp = resp
	if resp.NotModified {
		return f
	}
	parsed, err := parse.Parse(resp.Body, resp.URL, r.Location)
	if err != nil {
		f.err, f.failAt = err, r.now()
		return f
	}
	f.items = newest(parsed.Items, src.MaxItems)
	return f
}

// newest returns the newest n items (all for n = 0), oldest first, so that
// the store's order follows publication. Feeds list newest first; when
// every item is dated, the dates decide instead.
func newest(items []feed.Item, n int) []feed.Item {
	items = append([]feed.Item(nil), items...)
	dated := true
	for _, it := range items {
		if it.Published.IsZero() {
			dated = false
			break
		}
	}
	if dated {
		sort.SliceStable(items, func(i, j int) bool { return items[i].Published.After(items[j].Published) })
	}
	if n > 0 && len(items) > n {
		items = items[:n]
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items
}

// write stores a fetched source and publishes its unposted items. Only
// store failures are returned; a source's own failure is its Result.
func (r *Runner) write(ctx context.Context, f fetched) (Result, error) {
	res := Result{Source: f.src, Items: len(f.items)}
	if f.paused {
		res.Paused = true
		return res, nil
	}
	if f.err != nil {
		res.Err = f.err
		if err := r.Store.RecordFailure(ctx, f.row.ID, f.err.Error(), f.failAt); err != nil {
			return res, err
		}
	} else if f.resp.NotModified {
		res.NotModified = true
	} else {
		n, err := r.Store.AddItems(ctx, f.row.ID, f.items, r.now())
		if err != nil {
			return res, err
		}
		res.New = n
	}
	// Unposted items are published even when this fetch failed or was
	// unchanged: they may be left from a run that stopped half-way.
	posts, err := r.publishSource(ctx, f.src, f.row.ID, false)
	res.Posts = posts
	if err != nil {
		var perr *postError
		if !errors.As(err, &perr) {
			return res, err
		}
		res.Err = errors.Join(res.Err, err)
	}
	if f.err == nil {
		// The validators are stored after the items are published, so a run
		// that stops before this point fetches the document again.
		rec := store.FetchResult{At: r.now()}
		if f.resp.NotModified {
			rec.ETag, rec.LastModified = f.row.ETag, f.row.LastModified
		} else {
			rec.ETag, rec.LastModified = f.resp.ETag, f.resp.LastModified
		}
		if res.Err != nil {
			if err := r.Store.RecordFailure(ctx, f.row.ID, res.Err.Error(), r.now()); err != nil {
				return res, err
			}
		} else if err := r.Store.RecordSuccess(ctx, f.row.ID, rec); err != nil {
			return res, err
		}
	}
	return res, nil
}

// postError is a failure to write a post file: the source's failure, not
// the run's.
type postError struct{ err error }

func (e *postError) Error() string { return "publish: " + e.err.Error() }
func (e *postError) Unwrap() error { return e.err }

// Republish rewrites the posts of every known item of the sources, for
// after a template or cleaning change. Files whose bytes would not change
// are left alone.
func (r *Runner) Republish(ctx context.Context, sources []feed.Source, report func(Result)) ([]Result, error) {
	results := make([]Result, 0, len(sources))
	for _, src := range sources {
		row, err := r.Store.EnsureSource(ctx, src)
		if err != nil {
			return results, err
		}
		res := Result{Source: src}
		res.Posts, err = r.publishSource(ctx, src, row.ID, true)
		if err != nil {
			var perr *postError
			if !errors.As(err, &perr) {
				return results, err
			}
			res.Err = err
		}
		results = append(results, res)
		if report != nil {
			report(res)
		}
	}
	return results, nil
}

// publishSource writes the posts of the source's unposted items, or of all
// its items with all set, and returns how many files it wrote.
func (r *Runner) publishSource(ctx context.Context, src feed.Source, sourceID int64, all bool) (int, error) {
	items, err := r.Store.Items(ctx, sourceID, !all)
	if err != nil {
		return 0, err
	}
	written := 0
	var errs []error
	for _, it := range items {
		wrote, err := r.publishItem(ctx, src, it)
		if err != nil {
			var perr *postError
			if !errors.As(err, &perr) {
				return written, err
			}
			errs = append(errs, err)
			continue
		}
		if wrote {
			written++
		}
	}
	if len(errs) > 0 {
		return written, &postError{err: fmt.Errorf("%d of %d posts failed, first: %w", len(errs), len(items), errors.Unwrap(errs[0]))}
	}
	return written, nil
}

// Post renders a stored item's post.
func (r *Runner) Post(src feed.Source, it store.Item) publish.Post {
	body := content.Process(it.Content, it.Link, r.Content)
	date := it.Item.Published
	if date.IsZero() {
		date = it.FirstSeen
	}
	return publish.Post{
		Title:      it.Title,
		Categories: src.Categories(),
		Author:     src.Name,
		Date:       date,
		Image:      body.Image,
		RandomN:    it.RandomN,
		Body:       body.HTML,
	}
}

// publishItem writes one item's post and marks it posted.
//
// The order makes a crash at any point safe. The path is reserved in the
// store first, so a restarted run writes the item to the same path; the
// post renders to the same bytes every time (the picsum number is stored
// with the item), so rewriting an already-renamed file changes nothing;
// and the item is marked posted only after the rename, so a crash before
// that leaves it unposted and the next run finishes it. No item is lost,
// and none gets a second file.
func (r *Runner) publishItem(ctx context.Context, src feed.Source, it store.Item) (bool, error) {
	data := publish.RenderHexo(r.Post(src, it))
	if it.PostPath == "" {
		path, adopted, err := r.reservePath(ctx, src, it, data)
		if err != nil {
			return false, err
		}
		it.PostPath = path
		if adopted {
			return false, r.Store.MarkPosted(ctx, it.ID, r.now())
		}
	}
	wrote, err := publish.WriteFile(filepath.Join(r.OutDir, filepath.FromSlash(it.PostPath)), data)
	if err != nil {
		return false, &postError{err: fmt.Errorf("%s: %w", it.PostPath, err)}
	}
	if !it.Posted {
		if err := r.Store.MarkPosted(ctx, it.ID, r.now()); err != nil {
			return wrote, err
		}
	}
	return wrote, nil
}

// reservePath finds the item's post path: its title's file name, with a
// suffix when another item owns that name or a file feedmill did not
// write is in the way. A file in the way that is this very post (same
// title and date, as the old system would have written it) is adopted as
// published, so switching from the old system rewrites nothing.
func (r *Runner) reservePath(ctx context.Context, src feed.Source, it store.Item, data []byte) (string, bool, error) {
	folder := src.Group + "/" + src.Name + "/" + src.Channel
	stem := publish.FileStem(it.Title)
	for n := 1; ; n++ {
		rel := folder + "/" + publish.FileName(stem, n)
		if _, owned, err := r.Store.PathOwner(ctx, rel); err != nil {
			return "", false, err
		} else if owned {
			continue
		}
		abs := filepath.Join(r.OutDir, filepath.FromSlash(rel))
		exists, err := publish.Exists(abs)
		if err != nil {
			return "", false, &postError{err: fmt.Errorf("%s: %w", rel, err)}
		}
		adopt := false
		if exists {
			if !samePost(abs, data) {
				continue
			}
			adopt = true
		}
		switch err := r.Store.SetPostPath(ctx, it.ID, rel); {
		case errors.Is(err, store.ErrPathTaken):
			continue
		case err != nil:
			return "", false, err
		}
		return rel, adopt, nil
	}
}

// samePost reports whether the file at path is the post in data as the old
// system wrote it: the same title and date lines in its front matter.
func samePost(path string, data []byte) bool {
	old, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	want := frontMatterLines(string(data))
	got := frontMatterLines(string(old))
	return want["title"] != "" && want["title"] == got["title"] && want["date"] == got["date"]
}

func frontMatterLines(s string) map[string]string {
	out := map[string]string{}
	s = strings.TrimLeft(s, "\n")
	rest, ok := strings.CutPrefix(s, "---\n")
	if !ok {
		return out
	}
	fm, _, _ := strings.Cut(rest, "\n---")
	for _, line := range strings.Split(fm, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			out[k] = v
		}
	}
	return out
}
