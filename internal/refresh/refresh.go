// Package refresh runs sources end to end: fetch → parse → store →
// content → publish. It is the only package that knows that order.
//
// Many workers fetch and parse concurrently; one writer, the goroutine that
// called Run, stores items and reserves post paths, a poster (a few when
// it falls behind) writes the posts, and one flusher makes them durable
// and marks them posted (see write.go). A single goroutine choosing paths
// keeps them free of races without locks.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/feedmill/feedmill/internal/atomicfile"
	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/fulltext"
	"github.com/feedmill/feedmill/internal/parse"
	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/store"
)

// Store is the part of the store a refresh uses outside its batches;
// inside one (Batch) it has the whole store.Store.
type Store interface {
	Sources(ctx context.Context) ([]store.Source, error)
	EnsureSource(ctx context.Context, src feed.Source) (store.Source, error)
	Items(ctx context.Context, sourceID int64, output int64, unposted bool) ([]store.Item, error)
	ItemContents(ctx context.Context, ids []int64, prepared string, fn func(m store.ItemMeta, body store.ItemBody) error) error
	KnownIdentities(ctx context.Context, sourceID int64, identities []string) (map[string]bool, error)
	paths
	SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error
	SetPrepared(ctx context.Context, bodies []store.Prepared) error
	EnsureOutput(ctx context.Context, format, dir string) (store.Output, error)
	Outputs(ctx context.Context) ([]store.Output, error)
	Batch(ctx context.Context, fn func(store.Store) error) error
}

// checkpointer is a store with a write-ahead log that closing it
// checkpoints (store/sqlite): Checkpoint does that work ahead of the
// close.
type checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// paths is what reserving a post path needs, in a batch or outside.
type paths interface {
	PathOwner(ctx context.Context, output int64, path string) (int64, bool, error)
	SetPostPath(ctx context.Context, output int64, itemID int64, path string) error
}

// Runner holds what a run needs. Its fields are set by main.
type Runner struct {
	Fetch *fetch.Client
	Store Store
	// Outputs are where posts are written: every item gets a post in
	// each, exactly once (see Output).
	Outputs []Output
	// Base is the folder that the names of outputs no longer configured
	// resolve against (see prepareOutputs); "" leaves their files alone.
	Base        string
	Location    *time.Location // zone of dates written without one
	Concurrency int
	Content     content.Options
	// SourceContent holds per-source content options by feed.Source.Key();
	// a source missing from it uses Content.
	SourceContent map[string]content.Options
	Logger        *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FetchOnly makes Run a fleet's fetcher (see package fleet): it
	// fetches, parses and cleans, and stores the new items with their
	// prepared bodies, but writes no post and applies no retention; a
	// publisher does both (PublishSource).
	FetchOnly bool
	// Recorded, when set, is called in the transaction that records the
	// fetches of a group of sources, with their IDs; the fleet gives the
	// sources' leases back there.
	Recorded func(ctx context.Context, tx store.Store, sourceIDs []int64) error
	// TempCleaned says the caller has removed the temp files a crash may
	// have left (feedmill serve does it once at start), so that Run does
	// not walk all of every output folder every round.
	TempCleaned bool
	// Closing says the caller closes the store after Run (feedmill run):
	// once the last sources are staged, Run checkpoints the store's
	// write-ahead log (see checkpointer) while their posts are written
	// and flushed, instead of leaving all of it to the close.
	Closing bool

	outputsMu    sync.Mutex
	outputsReady bool     // the outputs have their IDs
	former       []Output // outputs the store knows that are no longer configured
}

// Result is what one source's refresh did.
type Result struct {
	Source      feed.Source
	Items       int  // items in the fetched feed (after max_items)
	New         int  // items the store had not seen
	Posts       int  // post files written
	Retired     int  // items the source's keep took off the site
	Removed     int  // post files of retired items deleted
	Left        int  // post files of retired items left: edited, or not feedmill's
	NotModified bool // the server answered 304
	Paused      bool // the source is paused: nothing was fetched
	// Err is the source's own failure: its fetch or its document.
	Err error
	// PublishErr is a failure to write the source's post files (or to
	// remove its retired ones): the output folder's, not the source's,
	// so it is neither recorded on the source nor counted towards its
	// backoff. The posts stay pending, and the next refresh of the
	// source writes them.
	PublishErr error
	// MovedTo is the URL the source is fetched from from now on, after a
	// permanent redirect or autodiscovery; "" when it did not move.
	MovedTo string
	// Filtered counts the items the source's include/exclude patterns
	// dropped; they are neither stored nor published.
	Filtered int
	// FullText counts the new items whose content is now the article of
	// their page; FullTextFailed those whose page could not be had, which
	// keep the feed's summary (FullTextErr is the first such failure).
	// Neither fails the source.
	FullText       int
	FullTextFailed int
	FullTextErr    error
	// Warning says what went wrong although the source was read, such as
	// items lost from a broken document; "" for nothing. It is stored as
	// the source's last error, without counting as one.
	Warning string
	// Duration is how long the fetch and parse took.
	Duration time.Duration
	// Schedule is when the source is due next (see package schedule).
	Schedule store.Schedule
}

// GCPercent is the GOGC a program that refreshes sources should run with
// (feedmill run and serve do, unless the GOGC variable sets one). A
// refresh keeps little (tens of MB) but makes garbage of every feed it
// parses and every post it renders; at Go's default of 100 the collector
// ran every few milliseconds and took a fifth of the CPU of a first run
// (bench/refresh). A soft memory limit bounds the heap that GOGC 400
// would let grow to five times what is live.
const GCPercent = 400

// MemoryLimit is the soft memory limit (debug.SetMemoryLimit) of a
// program that only refreshes, such as feedmill run. A refresh holds
// about 10–30 MB (the items waiting for the writer, see waitingBytes, and
// the bodies of the posts being written and flushed, see flushBytes);
// with SQLite's page cache (outside the Go heap, see store/sqlite) and
// the program's own pages a first run over 1,000 sources of 20 items
// peaks at about 75 MB RSS (260 MB without a limit). At 56 MiB it peaked
// at 82 MB; 48 MiB cost no CPU once flushBytes bounded the batches, and
// 44 MiB about 10 % more.
const MemoryLimit = 48 << 20

// waitingBytes bounds the items fetched and waiting to be staged, about:
// a worker waits before handing over a source that would exceed it. It is
// most of what a refresh holds at once, so it is what lets feedmill run
// keep its heap under its soft memory limit (cmd/feedmill): at 64 MB a
// first run over 1,000 local feeds of 20 items held 40–70 MB live and
// peaked at 260 MB RSS. 8 MB is about 80 sources of RSSHub's size, more
// than the writer stages in one transaction. A variable for the tests.
var waitingBytes int64 = 8 << 20

// waitingSources is how many fetched sources wait for the writer, per
// worker, at most.
const waitingSources = 16

// itemsSize is about how much memory items hold.
func itemsSize(items []feed.Item) int64 {
	var n int64
	for _, it := range items {
		n += int64(len(it.Title) + len(it.Content) + len(it.Link) + len(it.GUID) + len(it.Author) + len(it.Image) + 256)
	}
	return n
}

// fullTextWorkers bounds the pages of one source fetched at once.
const fullTextWorkers = 4

// fetched is a worker's output for one source.
type fetched struct {
	index  int
	held   int64 // the room (see Run) its items take until they are staged
	row    store.Source
	src    feed.Source
	resp   *fetch.Response
	items  []feed.Item
	err    error
	failAt time.Time
	// filtered counts the items include/exclude dropped.
	filtered int
	fullText fulltext.Report
	hint     time.Duration // the feed's <ttl> / sy:updatePeriod
	warning  string        // see Result.Warning
	took     time.Duration
	// moveTo is the source's new fetch URL, after a permanent redirect or
	// autodiscovery.
	moveTo string
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Run refreshes every source and returns their results in the order given.
// report, when not nil, is called as each source finishes, one call at a
// time, though not always on the goroutine that called Run. A failing
// source is recorded on its row and never stops the others; Run returns an
// error only when the store itself fails or ctx ends.
func (r *Runner) Run(ctx context.Context, sources []feed.Source, report func(Result)) ([]Result, error) {
	if !r.TempCleaned {
		// A folder that fails here fails its writes too, where it is
		// the output's failure alone (see Result.PublishErr).
		if err := r.CleanTemp(); err != nil {
			r.logger().Warn("output folder", "error", err)
		}
	}
	if err := r.prepareOutputs(ctx); err != nil {
		return nil, err
	}
	rows, err := r.ensureSources(ctx, sources)
	if err != nil {
		return nil, err
	}
	return r.run(ctx, sources, rows, report)
}

// RunRows is Run for sources whose rows the caller has just read (rows[i]
// is sources[i]'s), such as a fleet's fetcher that claimed them: it does
// not read every source's row again.
func (r *Runner) RunRows(ctx context.Context, sources []feed.Source, rows []store.Source, report func(Result)) ([]Result, error) {
	if len(rows) != len(sources) {
		return nil, fmt.Errorf("refresh: %d rows for %d sources", len(rows), len(sources))
	}
	if !r.FetchOnly {
		if err := r.prepareOutputs(ctx); err != nil {
			return nil, err
		}
	}
	return r.run(ctx, sources, rows, report)
}

func (r *Runner) run(ctx context.Context, sources []feed.Source, rows []store.Source, report func(Result)) ([]Result, error) {
	// Every source to fetch is queued at once: a feeding goroutine woke
	// for each source a worker took.
	order := hostOrder(sources, rows)
	jobs := make(chan int, len(order))
	for _, i := range order {
		if !rows[i].Paused { // paused ones are reported below, without a fetch
			jobs <- i
		}
	}
	close(jobs)
	// Fetched sources wait for the writer without holding up the
	// workers, up to waitingBytes of items and waitingSources sources
	// each: while the writer is in a transaction, and above all while
	// its commit waits for a checkpoint's fsyncs, the fetches go on. (A
	// fetched is large: a channel for every source took 30 MB more.)
	out := make(chan fetched, waitingSources*max(1, r.Concurrency))
	room := semaphore.NewWeighted(waitingBytes) // for the items waiting
	var wg sync.WaitGroup
	for range max(1, min(r.Concurrency, len(sources))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if ctx.Err() != nil {
					return
				}
				start := time.Now()
				f := r.fetchOne(ctx, sources[i], rows[i])
				f.index, f.took = i, time.Since(start)
				f.held = min(itemsSize(f.items), waitingBytes)
				if room.Acquire(ctx, f.held) != nil {
					return
				}
				out <- f
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()

	results := make([]Result, len(sources))
	for i, row := range rows {
		if row.Paused {
			results[i] = Result{Source: sources[i], Paused: true}
			if report != nil {
				report(results[i])
			}
		}
	}
	// A source the writer has started is finished even when ctx ends
	// meanwhile, so that a shutdown leaves its state whole; the ones after
	// it are left for the next run.
	w := newWriter(context.WithoutCancel(ctx), r, results, report)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	// Sources are staged in groups, one transaction each: those that
	// arrive within stageWait of the first, up to stageSources.
	var ready []fetched
	wait := time.NewTimer(stageWait)
	wait.Stop()
	var waitC <-chan time.Time
	stage := func() {
		w.stage(ready)
		for _, f := range ready {
			room.Release(f.held)
		}
		ready, waitC = nil, nil
		wait.Stop()
	}
	for open := true; open; {
		select {
		case f, ok := <-out:
			switch {
			case !ok:
				open = false
			case w.failed() || ctx.Err() != nil:
				room.Release(f.held) // drain the workers
			default:
				ready = append(ready, f)
				if len(ready) == 1 {
					wait.Reset(stageWait)
					waitC = wait.C
				}
				if len(ready) >= stageSources {
					stage()
				}
			}
		case <-waitC:
			stage()
		case <-tick.C:
			w.flush()
		}
	}
	if len(ready) > 0 && !w.failed() && ctx.Err() == nil {
		stage()
	}
	if err := w.finish(); err != nil {
		return results, err
	}
	return results, ctx.Err()
}

// fetchOne fetches and parses one source. It runs on a worker and touches
// nothing but the network.
func (r *Runner) fetchOne(ctx context.Context, src feed.Source, row store.Source) fetched {
	f := fetched{src: src, row: row}
	req := fetch.Request{
		URL:        fetchURL(src, row),
		Validators: fetch.Validators{ETag: row.ETag, LastModified: row.LastModified},
		Headers:    src.Headers,
		Cookies:    src.Cookies,
		Proxy:      src.Proxy,
	}
	resp, err := r.Fetch.Do(ctx, req)
	if err != nil {
		f.err, f.failAt = fmt.Errorf("fetch: %w", err), r.now()
		return f
	}
	f.resp = resp
	if resp.PermanentRedirect && resp.URL != req.URL {
		f.moveTo = resp.URL
	}
	if resp.NotModified {
		return f
	}
	var parsed *parse.Feed
	if src.Page != nil {
		parsed, err = parse.ParsePageUTF8(resp.Doc(), resp.URL, *src.Page, r.Location)
	} else {
		parsed, err = parse.ParseUTF8(resp.Doc(), resp.URL, r.Location)
		if errors.Is(err, parse.ErrNotFeed) {
			parsed, err = r.discover(ctx, &f, req, err)
		}
	}
	if err != nil {
		f.err, f.failAt = err, r.now()
		return f
	}
	if parsed.Recovered != nil {
		r.logger().Warn("broken feed: kept its complete items", "source", src.Key(), "items", len(parsed.Items), "lost", parsed.Lost, "error", parsed.Recovered)
	}
	if parsed.Lost > 0 {
		noun := "items"
		if parsed.Lost == 1 {
			noun = "item"
		}
		f.warning = fmt.Sprintf("lost %d %s of a broken document: %v", parsed.Lost, noun, parsed.Recovered)
	}
	f.resp.DropBody() // the writer needs only the validators
	// Filters come before max_items, as RSSHub's filter comes before its
	// limit, and before full text, so that no page is fetched for an item
	// that is dropped. They see what the feed gives, not the full text.
	items := parsed.Items
	if src.Filters() {
		items, f.filtered = filterItems(src, items)
	}
	f.items = newest(items, src.MaxItems)
	f.hint = max(parsed.TTL, parsed.UpdatePeriod)
	if src.WantsFullText() {
		if err := r.fullText(ctx, &f); err != nil {
			f.err, f.failAt = fmt.Errorf("full text: %w", err), r.now()
		}
	}
	return f
}

// discover handles a source URL that is a web page rather than a feed: it
// fetches the feed the page announces, once, and marks the source as moved
// there so that later runs fetch the feed directly.
//
// The feed's URL is text from the page. On the page's own host it is
// fetched as the source is; on another host it is a link taken from
// content, fetched from the public internet only and without the
// source's headers and cookies, which are for the host the operator named,
// and it stays one: the source does not move there.
func (r *Runner) discover(ctx context.Context, f *fetched, req fetch.Request, notFeed error) (*parse.Feed, error) {
	links := fetch.Discover(f.resp.Body, f.resp.URL)
	if len(links) == 0 || links[0] == f.resp.URL {
		return nil, fmt.Errorf("%w; it names no feed to autodiscover", notFeed)
	}
	client := r.Fetch
	elsewhere := !sameHost(links[0], f.resp.URL)
	if elsewhere {
		client = r.Fetch.ItemLinks()
		req.Headers, req.Cookies = nil, nil
	}
	req.URL, req.Validators = links[0], fetch.Validators{}
	resp, err := client.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s, the feed its page names: %w", links[0], err)
	}
	parsed, err := parse.ParseUTF8(resp.Doc(), resp.URL, r.Location)
	if err != nil {
		return nil, fmt.Errorf("%s, the feed its page names: %w", links[0], err)
	}
	f.resp = resp
	if !elsewhere {
		f.moveTo = resp.URL
		return parsed, nil
	}
	// A feed on another host is not remembered as the source's URL: later
	// runs would fetch it as a source, which the operator named, with the
	// source's headers and cookies and without the item links' address
	// rules, so that the page's content could point them at a private
	// address or redirect them there. The page is read again each run, and
	// unconditionally: its validators would be the feed's.
	resp.ETag, resp.LastModified = "", ""
	return parsed, nil
}

// sameHost reports whether two http(s) URLs name one host and port.
func sameHost(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil {
		return false
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(ua.Hostname(), ub.Hostname()) && port(ua) == port(ub)
}

// fetchURL is where a source is fetched from: where it moved, else its
// configured URL.
func fetchURL(src feed.Source, row store.Source) string {
	if row.FetchURL != "" {
		return row.FetchURL
	}
	return src.URL
}

// ensureSources returns the sources' rows, creating the missing ones and
// updating those whose URL changed. The rows are read at once first: a
// run over sources it knows, as most are, then writes nothing, where an
// upsert per source cost about 20 µs each before the first fetch.
func (r *Runner) ensureSources(ctx context.Context, sources []feed.Source) ([]store.Source, error) {
	known, err := r.Store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]store.Source, len(known))
	for _, row := range known {
		byKey[row.Key] = row
	}
	rows := make([]store.Source, len(sources))
	var todo []int
	for i, src := range sources {
		if row, ok := byKey[src.Key()]; ok && row.URL == src.URL {
			rows[i] = row
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return rows, nil
	}
	err = r.Store.Batch(ctx, func(tx store.Store) error {
		for _, i := range todo {
			row, err := tx.EnsureSource(ctx, sources[i])
			if err != nil {
				return err
			}
			rows[i] = row
		}
		return nil
	})
	return rows, err
}

// hostOrder returns the source indexes interleaved by host, each host's in
// their given order. Configurations list a host's routes together; fed in
// that order, every worker would queue on the one host that its per-host
// limit lets only a few at a time, and the other hosts would wait.
func hostOrder(sources []feed.Source, rows []store.Source) []int {
	var hosts []string
	byHost := map[string][]int{}
	for i, src := range sources {
		h := ""
		if u, err := url.Parse(fetchURL(src, rows[i])); err == nil {
			h = strings.ToLower(u.Host)
		}
		if _, ok := byHost[h]; !ok {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], i)
	}
	order := make([]int, 0, len(sources))
	for round := 0; len(order) < len(sources); round++ {
		for _, h := range hosts {
			if round < len(byHost[h]) {
				order = append(order, byHost[h][round])
			}
		}
	}
	return order
}

// filterItems keeps the items that pass the source's include and exclude
// patterns, which match the title and the text of the content.
func filterItems(src feed.Source, items []feed.Item) ([]feed.Item, int) {
	kept := make([]feed.Item, 0, len(items))
	for _, it := range items {
		if src.Keep(it.Title, parse.Text(it.Content)) {
			kept = append(kept, it)
		}
	}
	return kept, len(items) - len(kept)
}

// fullText replaces the content of the items the store does not have yet
// with their pages' articles. Stored items are never fetched again. Only
// items with a link change, so their identity (GUID or link) stays put.
func (r *Runner) fullText(ctx context.Context, f *fetched) error {
	ids := make([]string, len(f.items))
	for i, it := range f.items {
		ids[i] = it.Identity()
	}
	known, err := r.Store.KnownIdentities(ctx, f.row.ID, ids)
	if err != nil {
		return err
	}
	var todo []*feed.Item
	for i := range f.items {
		if !known[ids[i]] {
			todo = append(todo, &f.items[i])
		}
	}
	if len(todo) == 0 {
		return nil
	}
	f.fullText = fulltext.Fill(ctx, r.Fetch, todo, f.src.ContentSelector, fullTextWorkers)
	for _, fail := range f.fullText.Failed {
		r.logger().Warn("full text failed; the item keeps the feed's summary",
			"source", f.src.Key(), "link", fail.Link, "error", fail.Err)
	}
	return nil
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
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

// record says how a staged source's fetch went and when it is due next,
// for RecordFetches, and stores where the source moved.
func (r *Runner) record(ctx context.Context, tx store.Store, p *pending, now time.Time) (store.Fetch, error) {
	rec, err := r.recordFetch(ctx, tx, p, now)
	if err != nil {
		return rec, err
	}
	p.res.Schedule = schedule.Next(p.f.src.Interval, r.outcome(p.f, p.res))
	rec.Schedule = p.res.Schedule
	return rec, nil
}

// recordFetch says whether the fetch succeeded, with its validators, and
// stores where the source moved.
func (r *Runner) recordFetch(ctx context.Context, tx store.Store, p *pending, now time.Time) (store.Fetch, error) {
	f := p.f
	rec := store.Fetch{SourceID: f.row.ID}
	if f.err != nil {
		// A refusal is not counted: a server asking us to wait says
		// nothing about whether the source works (see schedule.Next).
		rec.Outcome, rec.Err, rec.At = store.FetchFailed, f.err.Error(), f.failAt
		if refused, _ := schedule.Refusal(f.err); refused {
			rec.Outcome = store.FetchRefused
		}
		return rec, nil
	}
	if f.moveTo != "" {
		if err := tx.SetFetchURL(ctx, f.row.ID, f.moveTo); err != nil {
			return rec, err
		}
		p.res.MovedTo = f.moveTo
		r.logger().Info("source moved", "source", f.src.Key(), "from", fetchURL(f.src, f.row), "to", f.moveTo)
	}
	// A post that could not be written (PublishErr) leaves the fetch a
	// success: its item is stored and stays pending, and is written by
	// the next refresh, 304 or not.
	//
	// The validators are stored with the posts marked, so a run that
	// stops before this point fetches the document again.
	rec.Result = store.FetchResult{At: now, Warning: f.warning}
	if f.resp.NotModified {
		rec.Result.ETag, rec.Result.LastModified = f.row.ETag, f.row.LastModified
	} else {
		rec.Result.ETag, rec.Result.LastModified = f.resp.ETag, f.resp.LastModified
	}
	return rec, nil
}

// outcome is what the scheduler needs to know about a written fetch.
func (r *Runner) outcome(f fetched, res Result) schedule.Outcome {
	o := schedule.Outcome{At: r.now(), FeedHint: f.row.FeedHint}
	if f.resp != nil {
		o.MaxAge = f.resp.MaxAge
		if !f.resp.NotModified {
			o.FeedHint = f.hint
		}
	}
	if res.Err != nil {
		// A refusal leaves the count as it was: it is no error of the
		// source's, and must not turn a server's "wait 30 s" into
		// hours of backoff.
		o.Refused, o.RetryAfter = schedule.Refusal(f.err)
		o.ConsecutiveErrors = f.row.ConsecutiveErrors
		if !o.Refused {
			o.ConsecutiveErrors++
		}
	}
	return o
}

// postError is a failure to write a post file: the output folder's, not
// the source's (see Result.PublishErr), nor one that stops the run.
type postError struct{ err error }

func (e *postError) Error() string { return "publish: " + e.err.Error() }
func (e *postError) Unwrap() error { return e.err }

// Republish rewrites the posts of every known item of the sources, for
// after a template or cleaning change. Files whose bytes would not change
// are left alone.
func (r *Runner) Republish(ctx context.Context, sources []feed.Source, report func(Result)) ([]Result, error) {
	if err := r.prepareOutputs(ctx); err != nil {
		return nil, err
	}
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
			res.PublishErr = err
		}
		results = append(results, res)
		if report != nil {
			report(res)
		}
	}
	return results, nil
}

// PublishSources is a fleet publisher's work: for each source (ids are
// their rows' IDs) it applies the source's retention and writes the
// posts of its unposted items, then flushes all of them with one sync
// and marks them posted in one transaction: the crash-safe order of
// publishSource, for many sources at the cost of one flush. A post that
// could not be written is its source's Result.PublishErr; a store failure
// is the error returned.
func (r *Runner) PublishSources(ctx context.Context, sources []feed.Source, ids []int64) ([]Result, error) {
	if err := r.prepareOutputs(ctx); err != nil {
		return nil, err
	}
	results := make([]Result, len(sources))
	all := make([]*sourcePosts, len(sources))
	wrote := make([]bool, len(r.Outputs))
	for i, src := range sources {
		results[i].Source = src
		if !src.Retain.IsZero() {
			err := r.Store.Batch(ctx, func(tx store.Store) error { return r.retain(ctx, tx, src, ids[i], &results[i]) })
			var perr *postError
			if errors.As(err, &perr) {
				results[i].PublishErr = err
			} else if err != nil {
				return results, err
			}
		}
		sp, err := r.writePosts(ctx, src, ids[i], false)
		if err != nil {
			return results, err
		}
		all[i] = sp
		for k, w := range sp.wrote {
			wrote[k] = wrote[k] || w
		}
	}
	if err := r.syncOutputs(wrote); err != nil {
		return results, fmt.Errorf("flush posts: %w", err)
	}
	err := r.Store.Batch(ctx, func(tx store.Store) error {
		var done []store.Posted
		var prepared []store.Prepared
		for _, sp := range all {
			done = append(done, sp.done...)
			prepared = append(prepared, sp.prepared...)
		}
		if err := tx.SetPrepared(ctx, prepared); err != nil {
			return err
		}
		return tx.SetPosted(ctx, done, r.now())
	})
	if err != nil {
		return results, err
	}
	for i, sp := range all {
		results[i].Posts = sp.written
		results[i].PublishErr = errors.Join(results[i].PublishErr, sp.err())
	}
	return results, nil
}

// PublishPending writes the posts of the sources' stored items that are
// not published yet, without fetching anything: after the output folder
// failed, the posts must not wait for each source's next fetch. It
// returns the results of the sources that had posts to write; a failure
// to write is their PublishErr, and only a store failure is returned.
func (r *Runner) PublishPending(ctx context.Context, sources []feed.Source) ([]Result, error) {
	if err := r.prepareOutputs(ctx); err != nil {
		return nil, err
	}
	rows, err := r.Store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	byKey := store.ByKey(rows)
	var results []Result
	for _, src := range sources {
		row, ok := byKey[src.Key()]
		if !ok || row.Paused {
			continue
		}
		res := Result{Source: src}
		res.Posts, err = r.publishSource(ctx, src, row.ID, false)
		if err != nil {
			var perr *postError
			if !errors.As(err, &perr) {
				return results, err
			}
			res.PublishErr = err
		}
		if res.Posts > 0 || res.PublishErr != nil {
			results = append(results, res)
		}
	}
	return results, nil
}

// publishSource writes the posts of the source's unposted items, or of all
// its items with all set, and returns how many files it wrote.
//
// The order makes a crash at any point safe. First each item's path is
// reserved in the store, so a restarted run writes the item to the same
// path. Then the files are written, each to a temp file renamed into
// place, and flushed to disk together. Only then are the items marked
// posted, in one transaction. A post renders to the same bytes every time
// (the picsum number is stored with the item), so a restarted run that
// finds its file already in place changes nothing and just marks it. No
// item is lost, and none gets a second file.
func (r *Runner) publishSource(ctx context.Context, src feed.Source, sourceID int64, all bool) (int, error) {
	sp, err := r.writePosts(ctx, src, sourceID, all)
	if err != nil {
		return 0, err
	}
	if err := r.syncOutputs(sp.wrote); err != nil {
		return 0, &postError{err: err}
	}
	if err := r.Store.SetPrepared(ctx, sp.prepared); err != nil {
		return sp.written, err
	}
	if err := r.Store.SetPosted(ctx, sp.done, r.now()); err != nil {
		return sp.written, err
	}
	return sp.written, sp.err()
}

// sourcePosts is what writePosts did for one source.
type sourcePosts struct {
	written  int
	items    int            // posts to write, in all outputs
	wrote    []bool         // by output: some file was written, so a flush is due
	done     []store.Posted // posts in place, to mark posted
	prepared []store.Prepared
	errs     []error
}

// err is the source's failure to write some posts, or nil.
func (sp *sourcePosts) err() error {
	if len(sp.errs) == 0 {
		return nil
	}
	return &postError{err: fmt.Errorf("%d of %d posts failed, first: %w", len(sp.errs), sp.items, errors.Unwrap(sp.errs[0]))}
}

// syncOutputs makes the files written in the outputs (wrote, by output)
// durable.
func (r *Runner) syncOutputs(wrote []bool) error {
	for k, w := range wrote {
		if w {
			if err := atomicfile.SyncFS(r.Outputs[k].Dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// writePosts reserves the paths of the source's unposted items in every
// output (all of its items with all set) and writes their files, which
// are neither flushed nor marked yet. An item's post is prepared once for
// all the outputs.
func (r *Runner) writePosts(ctx context.Context, src feed.Source, sourceID int64, all bool) (*sourcePosts, error) {
	type job struct {
		k    int
		it   store.Item
		data []byte
	}
	var jobs []job
	sp := &sourcePosts{wrote: make([]bool, len(r.Outputs))}
	posts := map[int64]publish.Post{}
	for k := range r.Outputs {
		out := &r.Outputs[k]
		items, err := r.Store.Items(ctx, sourceID, out.id, !all)
		if err != nil {
			return nil, err
		}
		sp.items += len(items)
		// Unposted items were stored with the bodies the content stage
		// made of them (a fleet's fetcher prepares them): those are not
		// cleaned a second time. A republish cleans every body again, as
		// it follows a change of the cleaning.
		var kept map[int64]store.Prepared
		if !all {
			var fresh []store.Item
			for _, it := range items {
				if _, ok := posts[it.ID]; !ok {
					fresh = append(fresh, it)
				}
			}
			if kept, err = r.keptBodies(ctx, src, fresh); err != nil {
				return nil, err
			}
		}
		for _, it := range items {
			post, ok := posts[it.ID]
			if !ok {
				if body, ok := kept[it.ID]; ok {
					post = r.post(src, it, body.HTML, body.Image)
				} else {
					var body store.Prepared
					post, body = r.prepare(src, it)
					sp.prepared = append(sp.prepared, body)
				}
				posts[it.ID] = post
			}
			data := out.Format.Render(post)
			if it.PostPath == "" {
				path, adopted, _, err := r.reservePath(ctx, r.Store, out, src, it, data, false)
				if err != nil {
					if perr := (*postError)(nil); errors.As(err, &perr) {
						sp.errs = append(sp.errs, err)
						continue
					}
					return nil, err
				}
				if adopted {
					sp.done = append(sp.done, store.Posted{ItemID: it.ID, Output: out.id})
					continue
				}
				it.PostPath = path
			}
			jobs = append(jobs, job{k, it, data})
		}
	}
	for _, j := range jobs {
		out := &r.Outputs[j.k]
		abs := filepath.Join(out.Dir, filepath.FromSlash(j.it.PostPath))
		wrote, err := atomicfile.WriteFile(abs, j.data)
		if err != nil {
			sp.errs = append(sp.errs, &postError{err: fmt.Errorf("%s: %w", abs, err)})
			continue
		}
		if wrote {
			sp.written++
			sp.wrote[j.k] = true
		}
		// The hash lets retention tell these files from a user's edit.
		var h string
		if !atomicfile.HashMatches(j.data, j.it.PostHash) {
			h = atomicfile.Hash(j.data)
		}
		if !j.it.Posted || h != "" {
			sp.done = append(sp.done, store.Posted{ItemID: j.it.ID, Output: out.id, Hash: h})
		}
	}
	return sp, nil
}

// Post renders a stored item's post.
func (r *Runner) Post(src feed.Source, it store.Item) publish.Post {
	p, _ := r.prepare(src, it)
	return p
}

// contentOptions are the content stage's options for the source's items.
func (r *Runner) contentOptions(src feed.Source) content.Options {
	if opts, ok := r.SourceContent[src.Key()]; ok {
		return opts
	}
	return r.Content
}

// prepare renders a stored item's post, and gives the body it prepared
// for the store to keep.
func (r *Runner) prepare(src feed.Source, it store.Item) (publish.Post, store.Prepared) {
	opts := r.contentOptions(src)
	opts.Enclosures = it.Enclosures
	body := content.Process(it.Content, it.Link, opts)
	// Kept as edits to the content, or not at all when it is the
	// content: the body is not stored twice.
	prepared := store.NewPrepared(it.ID, opts.Key(), it.Content, body.HTML, body.Image)
	return r.post(src, it, body.HTML, body.Image), prepared
}

// post is a stored item's post with its prepared body and that body's
// first image.
func (r *Runner) post(src feed.Source, it store.Item, html, image string) publish.Post {
	return publish.Post{
		Title:      it.Title,
		Categories: src.Categories(),
		Author:     src.Name,
		Date:       postDate(it),
		Image:      image,
		Link:       it.Link,
		Seen:       it.FirstSeen,
		RandomN:    it.RandomN,
		Body:       html,
	}
}

// keptBodies returns the bodies kept for the items (SetPrepared) with the
// options the source's items are prepared with now, by item ID.
func (r *Runner) keptBodies(ctx context.Context, src feed.Source, items []store.Item) (map[int64]store.Prepared, error) {
	if len(items) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	kept := map[int64]store.Prepared{}
	err := r.Store.ItemContents(ctx, ids, r.contentOptions(src).Key(), func(m store.ItemMeta, body store.ItemBody) error {
		if body.Prepared != nil {
			kept[m.ID] = *body.Prepared
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kept bodies: %w", err)
	}
	return kept, nil
}

// reservePath finds the item's post path: its title's file name, with a
// suffix when another item owns that name or a file feedmill did not
// write is in the way. A file in the way that is this very post (same
// title and date, as the old system would have written it) is adopted as
// published, so switching from the old system rewrites nothing.
// data is the post's bytes, rendered here when nil and needed. noFolder
// says the caller saw that the source's folder does not exist, so no file
// is in the way. It returns the path, whether the file in the way was
// adopted, and whether no file was at the path (fresh).
func (r *Runner) reservePath(ctx context.Context, st paths, out *Output, src feed.Source, it store.Item, data []byte, noFolder bool) (string, bool, bool, error) {
	named := pathPost(src, it)
	for n := 1; ; n++ {
		rel := out.Format.Path(named, n)
		abs := filepath.Join(out.Dir, filepath.FromSlash(rel))
		exists := false
		if !noFolder {
			var err error
			if exists, err = atomicfile.Exists(abs); err != nil {
				return "", false, false, &postError{err: fmt.Errorf("%s: %w", abs, err)}
			}
		}
		adopt := false
		oldPost := ""
		if !exists && !noFolder && n == 1 {
			// The old system's post may be under a name the site never
			// showed (Hexo's "_…", "…%…"): moved to this name, it shows.
			var err error
			if oldPost, err = r.oldPost(ctx, st, out, src, it, &data, abs); err != nil {
				return "", false, false, err
			}
		}
		if exists {
			// A file is in the way: another item's post, a file feedmill
			// did not write, or this very post as the old system wrote it.
			if _, owned, err := st.PathOwner(ctx, out.id, rel); err != nil {
				return "", false, false, err
			} else if owned {
				continue
			}
			if data == nil {
				data = out.Format.Render(r.Post(src, it))
			}
			if old, err := os.ReadFile(abs); err != nil || !out.Format.Adopt(old, data) {
				continue
			}
			adopt = true
		}
		// With no file in the way, the store still knows the paths of
		// posts reserved but not written yet.
		switch err := st.SetPostPath(ctx, out.id, it.ID, rel); {
		case errors.Is(err, store.ErrPathTaken):
			continue
		case err != nil:
			return "", false, false, err
		}
		if oldPost != "" {
			// Moved only now that the path is the item's: a crash
			// before the store commits leaves the post at this path,
			// where the next run adopts it.
			if err := atomicfile.Move(oldPost, abs); err != nil {
				r.logger().Warn("could not move the old system's post to a name the site shows; writing the post", "source", src.Key(), "from", oldPost, "error", err)
				return rel, false, false, nil
			}
			r.logger().Info("moved the old system's post to a name the site shows", "source", src.Key(), "from", oldPost, "to", rel)
			return rel, true, false, nil
		}
		return rel, adopt, !exists, nil
	}
}

// oldPost returns the file of this very post (same title and date) that
// the system feedmill replaces wrote under a name the site never showed
// (see Format.OldPath), when no item owns it; "" when there is none.
// Moved to abs and adopted, the post shows, and the folder holds it once.
func (r *Runner) oldPost(ctx context.Context, st paths, out *Output, src feed.Source, it store.Item, data *[]byte, abs string) (string, error) {
	rel := out.Format.OldPath(pathPost(src, it))
	if rel == "" {
		return "", nil
	}
	old := filepath.Join(out.Dir, filepath.FromSlash(rel))
	if old == abs {
		return "", nil
	}
	if exists, err := atomicfile.Exists(old); err != nil || !exists {
		return "", nil
	}
	if _, owned, err := st.PathOwner(ctx, out.id, rel); err != nil || owned {
		return "", err
	}
	if *data == nil {
		*data = out.Format.Render(r.Post(src, it))
	}
	if got, err := os.ReadFile(old); err != nil || !out.Format.Adopt(got, *data) {
		return "", nil
	}
	return old, nil
}

// pathPost is as much of the item's post as its path is made of (title,
// date, categories), without preparing its body.
func pathPost(src feed.Source, it store.Item) publish.Post {
	return publish.Post{Title: it.Title, Categories: src.Categories(), Date: postDate(it), Seen: it.FirstSeen}
}
