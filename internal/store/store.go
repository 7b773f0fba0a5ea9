// Package store defines what feedmill remembers between runs: its sources
// with their fetch state, and every item it has seen with where its post
// was published. Backends live in their own packages (store/sqlite and
// store/postgres), are opened from a DSN by store/backend, and are checked
// by the shared suite in store/storetest. Each consumer (refresh, site,
// admin, daemon) declares the part of Store it uses.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/internal/delta"
	"github.com/feedmill/feedmill/internal/feed"
)

// ErrPathTaken is returned by SetPostPath when another item already owns
// the path in the output.
var ErrPathTaken = errors.New("post path already taken")

// ErrKeyTaken is returned by RenameSource when another source has the key.
var ErrKeyTaken = errors.New("source key already taken")

// ErrNotFound is returned when a row asked for by ID does not exist.
var ErrNotFound = errors.New("not found")

// Source is a source's row: its identity and its fetch state.
type Source struct {
	ID  int64
	Key string // group/source/channel
	URL string
	// FetchURL is where the document is fetched from instead of URL after
	// a permanent redirect or autodiscovery; "" means URL. It is cleared
	// when the configured URL changes.
	FetchURL string
	// ETag and LastModified are the validators of the last successful
	// fetch, sent back as If-None-Match and If-Modified-Since.
	ETag         string
	LastModified string
	LastSuccess  time.Time // zero: never
	LastError    string    // "" after a success, unless it left a warning
	LastErrorAt  time.Time
	// ConsecutiveErrors counts failed fetches since the last success;
	// refusals (RecordRefusal) do not count.
	ConsecutiveErrors int
	// Paused sources are not fetched until resumed (from the admin page).
	Paused bool
	Schedule
}

// Schedule is when a source is fetched next, as decided after its last
// fetch (see package schedule).
type Schedule struct {
	// NextDue is the earliest time the source is fetched again; zero for
	// a source never fetched, which is due at once.
	NextDue time.Time
	// PausedUntil is set when the server refused the route (429, 503 or
	// Retry-After) and asked us to keep away until then; zero otherwise.
	PausedUntil time.Time
	// FeedHint is the longest of the feed's own <ttl> and
	// sy:updatePeriod at its last change, kept because a 304 carries no
	// feed to read them from; 0 when the feed gave none.
	FeedHint time.Duration
}

// FetchResult is what a successful fetch leaves for the next one.
type FetchResult struct {
	At           time.Time
	ETag         string
	LastModified string
	// Warning says what went wrong although the fetch succeeded, such as
	// items lost from a broken document; it becomes LastError (and its
	// time LastErrorAt) without counting as an error. "" for none.
	Warning string
}

// FetchOutcome is how a fetch ended, for RecordFetches.
type FetchOutcome int

// Fetch outcomes.
const (
	// FetchSucceeded: the document was read (or was not modified).
	FetchSucceeded FetchOutcome = iota
	// FetchFailed: counted towards the source's backoff.
	FetchFailed
	// FetchRefused: the server asked us to wait (429, 503,
	// Retry-After); recorded as the last error without counting it.
	FetchRefused
)

// Fetch is one source's fetch, for RecordFetches.
type Fetch struct {
	SourceID int64
	Outcome  FetchOutcome
	// Result is a success's.
	Result FetchResult
	// Err and At are a failure's or a refusal's message and time.
	Err string
	At  time.Time
	// Schedule is when the source is due next.
	Schedule Schedule
}

// LastFetches returns fetches with only the last of each source's, in
// the order of those: what RecordFetches records.
func LastFetches(fetches []Fetch) []Fetch {
	last := make(map[int64]int, len(fetches))
	for i, f := range fetches {
		last[f.SourceID] = i
	}
	if len(last) == len(fetches) {
		return fetches
	}
	out := make([]Fetch, 0, len(last))
	for i, f := range fetches {
		if last[f.SourceID] == i {
			out = append(out, f)
		}
	}
	return out
}

// Item is an item as stored: the feed's values plus what feedmill decided
// about it.
type Item struct {
	ID       int64
	SourceID int64
	// Identity is feed.Item.Identity(), unique within the source.
	Identity string
	feed.Item
	// FirstSeen is when feedmill first stored the item; the post date when
	// the feed gives none.
	FirstSeen time.Time
	// RandomN is the picsum fallback image number, drawn once so that a
	// post renders to the same bytes every time.
	RandomN int
	// PostPath, Posted and PostHash are the item's post record in the
	// output its reader asked for (see Store.Items); empty when it has
	// none there.
	//
	// PostPath is the post's path relative to the output folder, reserved
	// before the file is written; "" until then.
	PostPath string
	// Posted is true once the post file is in place.
	Posted bool
	// PostHash is the hash (publish.Hash) of the post file as feedmill
	// last wrote it, "" when it has recorded none (a file adopted from
	// the old system, or written before feedmill recorded hashes).
	// Retention deletes a file only while it still holds those bytes.
	PostHash string
}

// Output is a folder that posts are written to in one format. Each item
// has a post record of its own in each output (its path there, whether
// the file is in place, the hash of what feedmill wrote), so that an
// output added later gets every item, and one output's failure leaves
// the others' records alone.
type Output struct {
	ID int64
	// Format is the post format ("hexo", "hugo", "jekyll").
	Format string
	// Dir names the folder as the configuration gives it (cleaned,
	// slash-separated); "" for the one output of a store made before
	// outputs were recorded, until EnsureOutput names it.
	Dir string
}

// Store is the persistence behind feedmill. Implementations must be safe
// for concurrent use.
type Store interface {
	// EnsureSource returns the row of the source with src's key, creating
	// it when missing and updating its URL when it changed.
	EnsureSource(ctx context.Context, src feed.Source) (Source, error)
	// Sources returns every source row, ordered by key.
	Sources(ctx context.Context) ([]Source, error)
	// RecordSuccess stores a successful fetch and clears the error state;
	// r.Warning, when set, is kept as LastError.
	RecordSuccess(ctx context.Context, sourceID int64, r FetchResult) error
	// RecordFailure stores a failed fetch and counts it.
	RecordFailure(ctx context.Context, sourceID int64, msg string, at time.Time) error
	// RecordRefusal stores a fetch the server refused (429, 503,
	// Retry-After) as the last error without counting it: a refusal
	// says nothing about whether the source works, and must not add to
	// its backoff.
	RecordRefusal(ctx context.Context, sourceID int64, msg string, at time.Time) error
	// SetFetchURL records that the source's document now lives at url (a
	// permanent redirect's target, or the feed autodiscovery found on its
	// page), so later fetches go there directly. "" goes back to the
	// configured URL. Returns ErrNotFound when no source has the ID.
	SetFetchURL(ctx context.Context, sourceID int64, url string) error
	// SetSchedule stores when the source is due next. It returns
	// ErrNotFound when no source has the ID.
	SetSchedule(ctx context.Context, sourceID int64, s Schedule) error
	// RecordFetches stores how each fetch went and when its source is
	// due next, as RecordSuccess, RecordFailure or RecordRefusal then
	// SetSchedule would one fetch at a time, in one transaction (a
	// refresh records a group of sources at once). A source given twice
	// is recorded as its last fetch says. It returns ErrNotFound, and
	// records nothing, when a source does not exist.
	RecordFetches(ctx context.Context, fetches []Fetch) error

	// EnsureOutput returns the output with this format and dir, creating
	// it when missing. A store made before outputs were recorded keeps
	// the posts of its one output under dir ""; the first EnsureOutput of
	// that output's format takes it over (it gets dir), so that its posts
	// stay its own instead of being written again.
	EnsureOutput(ctx context.Context, format, dir string) (Output, error)
	// Outputs returns every output, by ID.
	Outputs(ctx context.Context) ([]Output, error)

	// InsertItems stores the items the source does not have yet (by
	// Identity; of two items with one identity the first counts), with
	// FirstSeen set to now and a fresh RandomN, and returns them as
	// stored (ID, FirstSeen and RandomN set, not posted), in the order
	// given, so that a refresh need not read them back. Items already
	// stored are left unchanged. A new item gets its slug as it is
	// stored. paths, when not nil, holds a post path in output for each
	// item ("" for none) to reserve as the item is stored, as SetPostPath
	// would: a new item whose path another item owns there is stored
	// without one, and its PostPath says which it got. A taken path never
	// fails the call nor the batch it runs in. It returns ErrNotFound for
	// an unknown source.
	InsertItems(ctx context.Context, sourceID int64, items []feed.Item, output int64, paths []string, now time.Time) ([]Item, error)
	// KnownIdentities returns which of identities (feed.Item.Identity
	// values) the source has stored items for: a known identity maps to
	// true, an unknown one is absent. It lets stages that cost a fetch per
	// item, such as full text, skip the items already stored.
	KnownIdentities(ctx context.Context, sourceID int64, identities []string) (map[string]bool, error)
	// Items returns the source's items, oldest first, each with its post
	// record in output (0: none); with unposted set, only those whose
	// post is not yet in place there. Retired items are left out: they
	// are off the site for good.
	Items(ctx context.Context, sourceID int64, output int64, unposted bool) ([]Item, error)
	// PathOwner returns the ID of the item that owns a post path in the
	// output, and false when none does.
	PathOwner(ctx context.Context, output int64, path string) (int64, bool, error)
	// SetPostPath reserves path in the output for the item. It returns
	// ErrPathTaken when another item owns it there, and ErrNotFound for
	// an unknown item or output. A taken
	// path is an answer, not a failure: inside a Batch the transaction
	// goes on, and the caller tries the next name (a backend whose
	// database aborts a transaction on a constraint violation guards the
	// statement with a savepoint or avoids the violation).
	SetPostPath(ctx context.Context, output int64, itemID int64, path string) error
	// SetPosted records, in one transaction, that the posts' files are in
	// place: each item is marked posted in its output (at at, the first
	// time it is marked), and the hash (publish.Hash) of the bytes just
	// written at its path recorded unless it is "". A post given twice
	// gets its last hash. It returns ErrNotFound when an item or output
	// does not exist, and then changes nothing.
	SetPosted(ctx context.Context, posts []Posted, at time.Time) error
	// SetPrepared keeps the bodies the content stage prepared for the
	// items' posts, each replacing what was kept for its item, so that
	// ItemContents can hand them to the site instead of the raw content
	// it would prepare again. It returns an error, and keeps none, when
	// an item does not exist.
	SetPrepared(ctx context.Context, bodies []Prepared) error
	// Retire takes the item off the site for good: Items leaves it out
	// from then on, while InsertItems still knows it (so it is never new
	// again) and it keeps its post paths in every output (so no other
	// item takes those names). Its prepared body is dropped. It returns ErrNotFound for an
	// unknown item.
	Retire(ctx context.Context, itemID int64, at time.Time) error

	// Batch runs fn with a Store whose writes form one transaction: all
	// of them are kept when fn returns nil, none when it returns an error
	// (which Batch returns). Many small writes cost far less together.
	// Inside fn only the Store it is given may be used; the outer one may
	// block until the batch ends. A Batch inside a batch joins it.
	Batch(ctx context.Context, fn func(Store) error) error

	// RenameSource gives the source a new key (group/source/channel): its
	// items, posts and fetch state stay its own. It returns ErrNotFound
	// when no source has the ID, and ErrKeyTaken when another has the key.
	RenameSource(ctx context.Context, sourceID int64, key string) error

	// SetPaused pauses or resumes the source. It returns ErrNotFound when
	// no source has the ID.
	SetPaused(ctx context.Context, sourceID int64, paused bool) error

	// EnsureSlugs gives every item that has no slug yet its slug,
	// ItemSlug(source key, identity, 0), lengthened with ItemSlug(..., n)
	// on the rare collision, and returns how many it gave. A slug never
	// changes once given: it is the item's permanent name on the site.
	EnsureSlugs(ctx context.Context) (int, error)
	// ListItems returns the items of every source matching f, without
	// their content, newest first: by Date() (then by ID, newest first).
	ListItems(ctx context.Context, f ItemFilter) ([]ItemMeta, error)
	// CountItems returns how many items ListItems(ctx, f) would return
	// (Limit and Brief aside), without listing them. With f.MaxID it is
	// cheap enough for the site to check, on each build, that none of the
	// items it remembers was retired or removed.
	CountItems(ctx context.Context, f ItemFilter) (int, error)
	// ItemContents calls fn with each item in ids that exists (all of
	// ItemMeta) and its content, in no particular order; IDs with no item
	// are skipped. When the item's body was kept (SetPrepared) with the
	// key prepared, fn gets that body instead of the content (see
	// ItemBody); "" asks for the content always. An error from fn stops
	// it and is returned. fn must not call the store: a backend may hold
	// its only connection while it runs.
	ItemContents(ctx context.Context, ids []int64, prepared string, fn func(m ItemMeta, body ItemBody) error) error

	// Setting returns a stored setting (such as a generated key), or
	// ErrNotFound.
	Setting(ctx context.Context, name string) (string, error)
	// SetSetting stores a setting, replacing any value it had.
	SetSetting(ctx context.Context, name, value string) error
	// AddSetting stores a setting that has no value yet, and returns the
	// value stored: value, or the one stored before (by another process
	// sharing the store, for one). Processes that generate a key at once
	// thus agree on one.
	AddSetting(ctx context.Context, name, value string) (string, error)

	// Close releases the store; it is not used afterwards.
	Close() error
}

// Posted is a post file in place, for Store.SetPosted.
type Posted struct {
	ItemID int64
	Output int64
	// Hash is publish.Hash of the bytes just written; "" when the file
	// was not written (adopted, or already holding those bytes).
	Hash string
}

// Items are immutable once stored: InsertItems never changes an item it
// has, so what ListItems returns about an item, with its ID, stands for
// its content too (the site's incremental builds rely on this). A backend
// method that ever rewrites content must give the item a new ID or make
// ItemMeta show the change.

// ItemFilter selects items for ListItems; its zero value selects all.
type ItemFilter struct {
	// SourceIDs keeps the items of these sources; empty keeps all.
	SourceIDs []int64
	// Since and Until keep items whose Date() is in [Since, Until); zero
	// leaves that end open.
	Since, Until time.Time
	// Limit caps how many items are returned; 0 returns all.
	Limit int
	// AfterID keeps the items whose ID is above it, MaxID those whose ID
	// is at most it (0: no bound). IDs grow as items are added, so a
	// caller that remembers the items up to some ID can ask for the new
	// ones alone.
	AfterID, MaxID int64
	// Brief fills only ID, SourceID, Slug, Published and FirstSeen, which
	// is much cheaper for 100,000 items (the site lists every item on
	// each build and reads the rest only for the items it renders).
	Brief bool
}

// ItemMeta is a stored item without its content: what lists, feeds and
// the site's incremental builds need to know about it.
type ItemMeta struct {
	ID       int64
	SourceID int64
	// Slug is the item's permanent name on the site; "" until
	// EnsureSlugs gives it one.
	Slug      string
	Link      string
	Title     string
	Author    string
	Image     string // the feed's image for the item, outside its body
	Published time.Time
	FirstSeen time.Time
	RandomN   int
}

// ItemBody is what an item's page shows beyond its ItemMeta: the content
// as the feed gave it, and its media, which the content stage adds to the
// body when the body does not show them; or, when Prepared is set, the
// body the content stage made of them.
type ItemBody struct {
	Content    string
	Enclosures []feed.Enclosure
	// Prepared is the body kept with the key ItemContents was asked for;
	// Content and Enclosures are then empty.
	Prepared *Prepared
}

// Prepared is an item's body as the content stage prepared it
// (content.Process) for its post. A refresh keeps them (SetPrepared),
// so that the site does not clean every body a second time.
type Prepared struct {
	ItemID int64
	// Key names the options it was prepared with (content.Options.Key):
	// a reader with other options prepares the body itself.
	Key  string
	HTML string
	// Unchanged says the body is the item's content as stored (the
	// content stage changed nothing): HTML is then not kept twice, and
	// ItemContents gives the content as HTML.
	Unchanged bool
	// Edits, when set, is the body as the content stage's edits to the
	// item's content (package delta): HTML is then empty. A body is
	// mostly its content (a few attributes on each image differ), and
	// a second copy of it cost each item's store, its journal and its
	// checkpoint as much again. SetPrepared keeps Edits as they are;
	// ItemContents gives the body in full (HTML), never Edits; Export
	// and Import copy them as they are.
	Edits []byte
	Image string // the body's first image
}

// NewPrepared is the Prepared that keeps html, which the content stage
// made of the item's content with the options named key: nothing when
// it is the content, the edits to the content when they are much
// smaller than html (see Prepared.Edits), html itself otherwise.
func NewPrepared(itemID int64, key, content, html, image string) Prepared {
	p := Prepared{ItemID: itemID, Key: key, HTML: html, Image: image}
	switch {
	case html == content:
		p.HTML, p.Unchanged = "", true
	default:
		if e := delta.Encode(content, html); e != nil {
			p.HTML, p.Edits = "", e
		}
	}
	return p
}

// Body is the body p keeps for the item whose content is given: HTML, the
// content itself (Unchanged), or the content with p's Edits applied. It
// returns an error, wrapping delta.ErrCorrupt, when the edits do not
// apply to the content.
func (p Prepared) Body(content string) (string, error) {
	switch {
	case p.Edits != nil:
		html, err := delta.Apply(content, p.Edits)
		if err != nil {
			return "", fmt.Errorf("prepared body of item %d: %w", p.ItemID, err)
		}
		return html, nil
	case p.Unchanged:
		return content, nil
	}
	return p.HTML, nil
}

// KeptBody is the ItemBody that ItemContents gives for an item read with
// its content and enclosures (encoded), or, when kept is not nil, the
// body kept for it with the key asked for: a backend reads content and
// enclosures only when they are needed, for a body kept as edits (with
// which kept.HTML is ""). A body whose edits do not apply to the content
// (the row damaged: items never change) is left out, so the reader
// prepares it again from the content, as for an item with none kept.
func KeptBody(content, enclosures string, kept *Prepared) ItemBody {
	if kept != nil && kept.Edits != nil {
		html, err := kept.Body(content)
		if err == nil {
			p := *kept
			p.HTML, p.Edits = html, nil
			return ItemBody{Prepared: &p}
		}
		kept = nil
	}
	if kept != nil {
		return ItemBody{Prepared: kept}
	}
	return ItemBody{Content: content, Enclosures: DecodeEnclosures(enclosures)}
}

// Date is when the item counts as published: the feed's date, or the
// first-seen time when the feed gave none or a later one (a feed that
// dates its items in the future must not pin them to the top of lists).
func (m ItemMeta) Date() time.Time {
	if m.Published.IsZero() || m.Published.After(m.FirstSeen) {
		return m.FirstSeen
	}
	return m.Published
}

// ByKey indexes source rows by their key.
func ByKey(rows []Source) map[string]Source {
	m := make(map[string]Source, len(rows))
	for _, r := range rows {
		m[r.Key] = r
	}
	return m
}
