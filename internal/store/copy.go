package store

import (
	"context"
	"fmt"
	"time"
)

// Copier is a store whose whole contents can be read out and written
// into another, which feedmill migrate does between backends. Both
// backends implement it.
type Copier interface {
	// Export calls fn with every row of the store: the sources, then the
	// items, the outputs, the posts (by output, then item), the prepared
	// bodies and the settings, each in ID (or name)
	// order, and returns how many of each it gave. It reads one snapshot.
	// fn must not call the store.
	Export(ctx context.Context, fn func(Row) error) (Counts, error)
	// Import writes the rows that rows gives to yield into the store, in
	// one transaction, keeping their IDs, and returns how many of each it
	// wrote. The store must be empty: Import returns ErrNotEmpty and
	// writes nothing otherwise. Before committing it counts the rows in
	// the store; on any failure, its own, yield's or rows', nothing is
	// kept and the store stays empty.
	Import(ctx context.Context, rows func(yield func(Row) error) error) (Counts, error)
}

// ErrNotEmpty is returned by Copier.Import for a store that has rows.
var ErrNotEmpty = fmt.Errorf("the store is not empty")

// Row is one row of a store's contents; exactly one field is set.
type Row struct {
	Source   *SourceRow
	Item     *ItemRow
	Output   *Output
	Post     *PostRow
	Prepared *Prepared
	Setting  *Setting
}

// SourceRow is a source's row in full.
type SourceRow struct {
	Source
	Created time.Time
}

// ItemRow is an item's row in full; its post records are PostRows (the
// Item's post fields are empty).
type ItemRow struct {
	Item
	// Slug is "" for an item not named yet (see Store.EnsureSlugs).
	Slug string
	// RetiredAt is when the item was taken off the site; zero when not.
	RetiredAt time.Time
}

// PostRow is an item's post record in one output.
type PostRow struct {
	Output int64
	ItemID int64
	Path   string // "" when none is reserved
	Hash   string
	// PostedAt is when the post was first marked posted; zero when not.
	PostedAt time.Time
}

// Setting is a stored setting.
type Setting struct {
	Name, Value string
}

// Counts are how many rows of each kind a store holds, or a copy moved.
type Counts struct {
	Sources, Items, Outputs, Posts, Prepared, Settings int
}

// Add counts r.
func (c *Counts) Add(r Row) {
	switch {
	case r.Source != nil:
		c.Sources++
	case r.Item != nil:
		c.Items++
	case r.Output != nil:
		c.Outputs++
	case r.Post != nil:
		c.Posts++
	case r.Prepared != nil:
		c.Prepared++
	case r.Setting != nil:
		c.Settings++
	}
}

func (c Counts) String() string {
	return fmt.Sprintf("%d sources, %d items, %d outputs, %d posts, %d prepared bodies, %d settings", c.Sources, c.Items, c.Outputs, c.Posts, c.Prepared, c.Settings)
}
