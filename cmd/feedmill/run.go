package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/backend"
	"github.com/feedmill/feedmill/internal/store/postgres"
)

const runUsage = `Usage: feedmill run [--config PATH] [--due] [--republish] [--quiet]

Fetches every source once and writes each item not published before as a
post. A route whose server asked feedmill to wait (429, 503, Retry-After)
is left alone until then; --due also skips the sources whose interval or
backoff is not over. Prints a line per source, in the configuration's
order (each as soon as the sources before it are done; on a terminal a
counter of the sources done shows meanwhile), then a summary whose counts
add up to the configured sources. --quiet prints only the failures and the
summary. Exit status:
0 when every source succeeded, 1 when any failed (the others are still
published), 2 for a bad configuration or command line, 3 when the store
or the output folder fails or another feedmill is using the store.

Flags:
`

// configFlags starts the flag set of a command that reads the
// configuration, with its --config flag and usage text.
func configFlags(name, usage string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	path := fs.String("config", config.DefaultPath(os.LookupEnv), "configuration `file` ($"+config.EnvConfig+" when not given)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs, path
}

// lockWait is how long a command that writes waits for another feedmill
// to let go of the store before it gives up.
const lockWait = 3 * time.Second

// openStore opens the configuration's store (an SQLite file is created,
// with its folder, when missing), printing what went wrong.
func openStore(ctx context.Context, cfg config.Config, stderr io.Writer) (store.Store, bool) {
	st, err := backend.Open(ctx, cfg.StoreDSN())
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return nil, false
	}
	return st, true
}

// openLocked is openStore for a command that fetches, publishes or
// builds: it takes the store's lock first (see backend.Lock), so that no
// other such command works on the store at the same time. done closes
// the store and lets go of the lock.
func openLocked(ctx context.Context, cfg config.Config, stderr io.Writer) (st store.Store, done func(), ok bool) {
	release, err := backend.Lock(ctx, cfg.StoreDSN(), lockWait)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: %v\n", err)
		return nil, nil, false
	}
	if st, ok = openStore(ctx, cfg, stderr); !ok {
		release()
		return nil, nil, false
	}
	return st, func() { st.Close(); release() }, true
}

// loadConfig reads the configuration named by --config, naming the
// sources given by route alone from RSSHub's catalog (cached in the
// store), and prints the error the user must fix. It returns exitOK, or
// the status to exit with.
func loadConfig(ctx context.Context, path string, stderr io.Writer) (config.Config, int) {
	return loadConfigEnv(ctx, path, os.LookupEnv, stderr)
}

// loadConfigEnv is loadConfig with the environment read through lookup
// (see config.LoadEnv).
func loadConfigEnv(ctx context.Context, path string, lookup func(string) (string, bool), stderr io.Writer) (config.Config, int) {
	cfg, err := config.LoadEnv(path, lookup)
	if err != nil {
		// One line per mistake, each naming the file, line and column.
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "feedmill: config: %s\n", line)
		}
		return cfg, exitUsage
	}
	if !cfg.NeedsCatalog() {
		return cfg, exitOK
	}
	st, ok := openStore(ctx, cfg, stderr)
	if !ok {
		return cfg, exitProblem
	}
	defer st.Close()
	code, err := nameSources(ctx, &cfg, st, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: %v\n", err)
	}
	return cfg, code
}

// tuneGC sets refresh.GCPercent and the soft memory limit limit, unless
// GOGC or GOMEMLIMIT say otherwise. feedmill run's limit is
// refresh.MemoryLimit; serve keeps buildMemoryLimit: it also builds the
// site.
func tuneGC(limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(refresh.GCPercent)
	}
	limitMemory(limit)
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, configPath := configFlags("run", runUsage)
	republish := fs.Bool("republish", false, "rewrite the post of every known item (after a template change) instead of fetching")
	quiet := fs.Bool("quiet", false, "print only the failures and the summary, and no progress counter")
	dueOnly := fs.Bool("due", false, "fetch only the sources that are due (respecting intervals, backoff after errors and servers' Retry-After), as feedmill serve does; for frequent cron jobs")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	cfg, code := loadConfig(ctx, *configPath, stderr)
	if code != exitOK {
		return code
	}
	st, closeStore, ok := openLocked(ctx, cfg, stderr)
	if !ok {
		return exitProblem
	}
	defer closeStore()
	// On a shared store, run is a one-shot publisher too: it publishes
	// only while no fleet publisher does, or the two would name posts
	// beside each other.
	if pg, isPG := st.(*postgres.Store); isPG {
		lock, err := pg.TryPublisherLock(ctx)
		if errors.Is(err, postgres.ErrLockHeld) {
			owner, _ := pg.Publisher(ctx)
			fmt.Fprintf(stderr, "feedmill run: a fleet publisher is running (%s): it publishes what its fetchers store; stop it to run feedmill run on this store\n", owner)
			return exitProblem
		}
		if err != nil {
			fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
			return exitProblem
		}
		defer lock.Release(context.WithoutCancel(ctx))
	}
	tuneGC(refresh.MemoryLimit)

	runner := refresh.FromConfig(cfg, st, slog.New(slog.NewTextHandler(stderr, nil)))
	runner.Closing = true
	sources := cfg.FeedSources()
	skipped := 0
	var held []heldSource
	// Before anything reads the rows by key: a renamed source keeps its
	// row, and with it its items and state.
	renamed, err := refresh.AdoptRenamed(ctx, st, sources)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return exitProblem
	}
	for _, r := range renamed {
		fmt.Fprintf(stdout, "renamed %s to %s (same url): its items stay, shown under the new names\n", r.From, r.To)
	}
	storeRows, err := st.Sources(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "feedmill: store: %v\n", err)
		return exitProblem
	}
	rows := store.ByKey(storeRows)
	if !*republish {
		now := time.Now()
		if *dueOnly {
			sources, skipped = dueSources(rows, sources, now)
		} else {
			sources, held = unheldSources(rows, sources, now)
		}
	}
	all := cfg.FeedSources()
	index := make(map[string]int, len(all))
	width := 0
	for i, s := range all {
		index[s.Key()] = i
		width = max(width, displayWidth(s.Key()))
	}
	out := newLines(stdout, len(all), *quiet)
	counts := map[schedule.Status]int{}
	for _, h := range held {
		key := h.src.Key()
		counts[schedule.Waiting]++
		out.set(index[key], fmt.Sprintf("%s%s%s  the server asked to wait until %s, skipped (last error: %s)",
			statusColumn(schedule.Waiting), key, strings.Repeat(" ", max(0, width-displayWidth(key))), clock(h.until, time.Now()), oneLine(withURL(h.lastErr, fetchURLOf(rows[key], h.src)), 160)), false)
	}
	if skipped > 0 {
		given := make(map[string]bool, len(sources))
		for _, s := range sources {
			given[s.Key()] = true
		}
		for i, s := range all {
			if !given[s.Key()] {
				out.set(i, "", false) // not due: no line, but done
			}
		}
	}
	failed := 0
	report := func(r refresh.Result) {
		status := statusAfter(rows[r.Source.Key()], r, time.Now())
		if *republish && !r.Paused {
			status = schedule.OK // nothing was fetched
			if r.Err != nil || r.PublishErr != nil {
				status = schedule.Failing
			}
		}
		out.set(index[r.Source.Key()], resultLine(r, status, width, *republish, fetchURLOf(rows[r.Source.Key()], r.Source)), r.Err != nil || r.PublishErr != nil)
	}
	var results []refresh.Result
	if *republish {
		results, err = runner.Republish(ctx, sources, report)
	} else {
		results, err = runner.Run(ctx, sources, report)
	}
	var pending []refresh.Result
	if err == nil && !*republish {
		// Posts kept when the output folder failed are written now,
		// also those of the sources this run does not fetch.
		pending, err = runner.PublishPending(ctx, notIn(cfg.FeedSources(), sources))
	}
	out.finish()
	for _, r := range pending {
		// Sources this run did not fetch: after the ordered lines.
		if !*quiet || r.Err != nil || r.PublishErr != nil {
			fmt.Fprintln(stdout, resultLine(r, schedule.StatusOf(rows[r.Source.Key()], time.Now()), width, false, fetchURLOf(rows[r.Source.Key()], r.Source)))
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "feedmill: interrupted; posts written so far are complete and recorded")
		} else {
			fmt.Fprintf(stderr, "feedmill: %v\n", err)
		}
		return exitProblem
	}
	posts, items := 0, 0
	var retired refresh.Result
	var unwritten error // the output folder's first failure
	for _, r := range results {
		switch {
		case r.Paused:
			counts[schedule.Paused]++
		case r.Err != nil:
			failed++
		default:
			counts[schedule.OK]++
		}
		if r.PublishErr != nil && unwritten == nil {
			unwritten = r.PublishErr
		}
		posts += r.Posts
		items += r.Items
		retired.Retired += r.Retired
		retired.Removed += r.Removed
		retired.Left += r.Left
	}
	for _, r := range pending {
		posts += r.Posts
		if r.PublishErr != nil && unwritten == nil {
			unwritten = r.PublishErr
		}
	}
	verb := plural(posts, "new post", "new posts")
	if *republish {
		verb = plural(posts, "post rewritten", "posts rewritten")
	}
	// Every configured source is in exactly one count, so they add up.
	parts := []string{fmt.Sprintf("%d ok", counts[schedule.OK]), fmt.Sprintf("%d failed", failed)}
	if n := counts[schedule.Waiting]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting for their server (skipped)", n))
	}
	if n := counts[schedule.Paused]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d paused (skipped)", n))
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d not due (skipped)", skipped))
	}
	fmt.Fprintf(stdout, "%d %s: %s; %d %s seen, %d %s%s in %s\n",
		len(all), plural(len(all), "source", "sources"), strings.Join(parts, ", "),
		items, plural(items, "item", "items"), posts, verb, retiredText(retired), runner.OutputDirs())
	if unwritten != nil {
		// The installation's failure, not the sources': their items are
		// stored and the next run writes their posts.
		fmt.Fprintf(stderr, "feedmill: cannot write posts to %s: %v; the items are kept and the next run writes them\n", unwrittenDirs(runner, unwritten), unwritten)
		return exitProblem
	}
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// unwrittenDirs names the output folders that err, a failure to write
// posts, is about: every output folder when it names none.
func unwrittenDirs(r *refresh.Runner, err error) string {
	var dirs []string
	for _, o := range r.Outputs {
		if strings.Contains(err.Error(), o.Dir+string(filepath.Separator)) {
			dirs = append(dirs, o.Dir)
		}
	}
	if len(dirs) == 0 {
		return r.OutputDirs()
	}
	return strings.Join(dirs, ", ")
}

// notIn returns the sources of all that are not in some.
func notIn(all, some []feed.Source) []feed.Source {
	in := make(map[string]bool, len(some))
	for _, s := range some {
		in[s.Key()] = true
	}
	var out []feed.Source
	for _, s := range all {
		if !in[s.Key()] {
			out = append(out, s)
		}
	}
	return out
}

// dueSources keeps the sources that are due at now and counts the others.
func dueSources(rows map[string]store.Source, sources []feed.Source, now time.Time) ([]feed.Source, int) {
	var due []feed.Source
	for _, s := range sources {
		// A source the store has never seen has the zero row: due.
		if schedule.Due(rows[s.Key()], now) {
			due = append(due, s)
		}
	}
	return due, len(sources) - len(due)
}

// heldSource is a source whose server asked feedmill to keep away (429,
// 503 or Retry-After) until a time not reached yet.
type heldSource struct {
	src     feed.Source
	until   time.Time
	lastErr string
}

// unheldSources keeps the sources whose server has not asked feedmill to
// wait past now, and returns the others. A plain run fetches every
// source, whatever its interval or backoff, but not a route whose server
// said when to come back: that is the server's rule, not feedmill's.
func unheldSources(rows map[string]store.Source, sources []feed.Source, now time.Time) ([]feed.Source, []heldSource) {
	var keep []feed.Source
	var held []heldSource
	for _, s := range sources {
		row := rows[s.Key()]
		// A source moved to another URL asks another route.
		if row.PausedUntil.After(now) && !row.Paused && row.URL == s.URL {
			held = append(held, heldSource{src: s, until: row.PausedUntil, lastErr: row.LastError})
			continue
		}
		keep = append(keep, s)
	}
	return keep, held
}

// statusAfter is the source's status once the run recorded r over its
// row as it was before: the one vocabulary (package schedule) that
// feedmill sources, /admin, /healthz and /metrics use too.
func statusAfter(row store.Source, r refresh.Result, now time.Time) schedule.Status {
	switch {
	case r.Paused:
		row.Paused = true
	case r.Err != nil:
		row.ConsecutiveErrors++
		row.Schedule = r.Schedule
	default:
		row.ConsecutiveErrors, row.LastSuccess = 0, now
		row.Schedule = r.Schedule
	}
	return schedule.StatusOf(row, now)
}

// statusColumn is a status padded to the longest a run line shows.
func statusColumn(s schedule.Status) string {
	return string(s) + strings.Repeat(" ", max(1, len(schedule.BackingOff)+2-len(s)))
}

func resultLine(r refresh.Result, status schedule.Status, width int, republish bool, url string) string {
	key := r.Source.Key()
	head := statusColumn(status) + key + strings.Repeat(" ", max(0, width-displayWidth(key)))
	moved := ""
	if r.MovedTo != "" {
		moved = "; now fetched from " + r.MovedTo
	}
	switch {
	case r.Err != nil:
		held := ""
		if until := r.Schedule.PausedUntil; !until.IsZero() {
			held = fmt.Sprintf("; left alone until %s, as the server asked", clock(until, time.Now()))
		}
		return fmt.Sprintf("%s  %s%s", head, withURL(r.Err.Error(), url), held) + notWritten(r)
	case r.Paused:
		return fmt.Sprintf("%s  paused by an operator, not fetched (feedmill resume %s)", head, shellQuote(key))
	case republish:
		return fmt.Sprintf("%s  %d %s", head, r.Posts, plural(r.Posts, "post rewritten", "posts rewritten"))
	case r.NotModified:
		return fmt.Sprintf("%s  not modified, %d %s%s", head, r.Posts, plural(r.Posts, "new post", "new posts"), retiredText(r)+moved) + notWritten(r)
	default:
		return fmt.Sprintf("%s  %d %s, %d %s seen", head, r.Posts, plural(r.Posts, "new post", "new posts"), r.Items, plural(r.Items, "item", "items")) + sourceExtras(r) + retiredText(r) + moved + notWritten(r)
	}
}

// notWritten says that some of the source's posts could not be written:
// the output folder's failure, not the source's.
func notWritten(r refresh.Result) string {
	if r.PublishErr == nil {
		return ""
	}
	return fmt.Sprintf("; posts not written, kept for the next run (%v)", r.PublishErr)
}

// fetchURLOf is where the source was fetched from: where it moved to
// (a permanent redirect, autodiscovery), else its configured URL.
func fetchURLOf(row store.Source, src feed.Source) string {
	if row.FetchURL != "" && row.URL == src.URL {
		return row.FetchURL
	}
	return src.URL
}

// withURL puts the URL a fetch error is about before it, once: the
// fetch and parse stages leave it out, as only the caller knows which
// source the error belongs to.
func withURL(msg, url string) string {
	if url == "" || strings.Contains(msg, url) {
		return msg
	}
	return url + ": " + msg
}

// sourceExtras tells what include/exclude and full text did, when they did
// anything: a page that could not be had keeps the summary, and says so.
func sourceExtras(r refresh.Result) string {
	var b strings.Builder
	if r.Warning != "" {
		fmt.Fprintf(&b, "; %s", r.Warning)
	}
	if r.Filtered > 0 {
		fmt.Fprintf(&b, ", %d filtered out", r.Filtered)
	}
	if r.FullText > 0 || r.FullTextFailed > 0 {
		fmt.Fprintf(&b, "; full text for %d", r.FullText)
		if r.FullTextFailed > 0 {
			fmt.Fprintf(&b, ", %d kept the summary (%v)", r.FullTextFailed, r.FullTextErr)
		}
	}
	return b.String()
}

// retiredText says what retention (keep) did, "" when it did nothing.
func retiredText(r refresh.Result) string {
	if r.Retired == 0 {
		return ""
	}
	s := fmt.Sprintf(", %d retired (%d %s removed", r.Retired, r.Removed, plural(r.Removed, "file", "files"))
	if r.Left > 0 {
		s += fmt.Sprintf(", %d left: edited or not written by feedmill", r.Left)
	}
	return s + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// displayWidth counts East Asian wide characters as two columns, so that
// the per-source lines line up in a terminal.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6) || r >= 0x20000) {
			w += 2
		} else {
			w++
		}
	}
	return w
}
