package site

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/feedmill/feedmill/internal/store"
)

// ItemsName is the file in the site's folder that keeps the brief list of
// the items the last build showed (ID, source, slug, dates), so that the
// next build asks the store only for the items added since: listing
// 100,000 rows costs more than a small incremental build. It is a cache
// of the store, checked against it on every build (see loadItems), and
// never needed: a missing or damaged file only means a full listing.
const ItemsName = ".feedmill-items"

const itemsMagic = "feedmill site items 1\n"

// itemState is the cached listing: items newest first, as ListItems
// returns them, and the highest ID it covers.
type itemState struct {
	maxID int64
	items []store.ItemMeta
}

// encodeItems writes the listing as varints: magic, max ID, count, then
// per item the ID, source ID, slug, Published and FirstSeen (Unix
// nanoseconds; 0 for a zero Published), and a final CRC-32C.
func encodeItems(st itemState) []byte {
	buf := make([]byte, 0, len(itemsMagic)+len(st.items)*40+32)
	buf = append(buf, itemsMagic...)
	buf = binary.AppendVarint(buf, st.maxID)
	buf = binary.AppendUvarint(buf, uint64(len(st.items)))
	for _, m := range st.items {
		buf = binary.AppendVarint(buf, m.ID)
		buf = binary.AppendVarint(buf, m.SourceID)
		buf = binary.AppendUvarint(buf, uint64(len(m.Slug)))
		buf = append(buf, m.Slug...)
		var pub int64
		if !m.Published.IsZero() {
			pub = m.Published.UnixNano()
		}
		buf = binary.AppendVarint(buf, pub)
		buf = binary.AppendVarint(buf, m.FirstSeen.UnixNano())
	}
	return seal(buf)
}

var errDamagedItems = errors.New("damaged site items file")

// itemsRoom is how many new items the decoded listing has room for, so
// that merging them in does not copy 100,000 items.
const itemsRoom = 1024

// decodeItems reads the listing. It takes data over: the slugs share its
// memory.
func decodeItems(data []byte) (itemState, error) {
	var st itemState
	p, ok := unseal(data, itemsMagic)
	if !ok {
		return st, errDamagedItems
	}
	// One string for the whole file, never changed after: the slugs are
	// slices of it, not 100,000 strings.
	text := unsafe.String(unsafe.SliceData(p), len(p))
	d := decoder{p: p}
	st.maxID = d.varint()
	n := d.count()
	if d.bad {
		return st, errDamagedItems
	}
	st.items = make([]store.ItemMeta, 0, n+itemsRoom)
	for range n {
		var m store.ItemMeta
		m.ID = d.varint()
		m.SourceID = d.varint()
		m.Slug = d.strIn(text)
		if pub := d.varint(); pub != 0 {
			m.Published = time.Unix(0, pub).UTC()
		}
		m.FirstSeen = time.Unix(0, d.varint()).UTC()
		if d.bad {
			return st, errDamagedItems
		}
		st.items = append(st.items, m)
	}
	if len(d.p) != 0 {
		return st, errDamagedItems
	}
	return st, nil
}

// newestFirst is ListItems' order: by Date(), then by ID, newest first.
func newestFirst(a, b store.ItemMeta) int {
	if c := b.Date().Compare(a.Date()); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// listItems returns what ListItems(Brief) would, and the state to save
// for the next build (nil when the cached one is still right), and why it
// listed every item ("" when it did not). With a cached listing (data, from ItemsName) whose
// items the store still has, every one (it counts them: items are never
// changed, only added, retired or removed), it asks only for the items
// added since; otherwise it lists them all.
func listItems(ctx context.Context, st Store, data []byte) ([]store.ItemMeta, *itemState, string, error) {
	var why string
	if data == nil {
		why = "no items file"
	} else if old, err := decodeItems(data); err != nil {
		why = err.Error()
	} else if n, err := st.CountItems(ctx, store.ItemFilter{MaxID: old.maxID}); err != nil {
		return nil, nil, "", err
	} else if old.maxID <= 0 || n != len(old.items) {
		why = fmt.Sprintf("%d cached items, the store has %d", len(old.items), n)
	} else {
		// The newest cached item comes back too: SQLite may give a removed
		// item's ID to a new one, and a new item under the newest cached ID
		// would keep the count.
		added, err := st.ListItems(ctx, store.ItemFilter{Brief: true, AfterID: old.maxID - 1})
		if err != nil {
			return nil, nil, "", err
		}
		k := slices.IndexFunc(added, func(m store.ItemMeta) bool { return m.ID == old.maxID })
		if k >= 0 && sameBrief(added[k], newestID(old.items)) {
			added = slices.Delete(added, k, k+1)
			if len(added) == 0 {
				return old.items, nil, "", nil
			}
			all := mergeNewest(old.items, added)
			return all, stateOf(all), "", nil
		}
		why = fmt.Sprintf("item %d changed", old.maxID)
	}
	all, err := st.ListItems(ctx, store.ItemFilter{Brief: true})
	if err != nil {
		return nil, nil, "", err
	}
	return all, stateOf(all), why, nil
}

// mergeNewest merges two newest-first listings into a, from the end, in
// the room a has (see itemsRoom).
func mergeNewest(a, b []store.ItemMeta) []store.ItemMeta {
	if !slices.IsSortedFunc(b, newestFirst) {
		b = slices.Clone(b)
		slices.SortFunc(b, newestFirst)
	}
	i, j := len(a)-1, len(b)-1
	a = slices.Grow(a, len(b))[:len(a)+len(b)]
	for k := len(a) - 1; j >= 0; k-- {
		if i >= 0 && newestFirst(b[j], a[i]) < 0 {
			a[k] = a[i]
			i--
		} else {
			a[k] = b[j]
			j--
		}
	}
	return a
}

// stateOf is the state to cache for a listing. An item without a slug yet
// (one added while the build ran) must be listed again once it has one,
// so the state stops below the first such item.
func stateOf(all []store.ItemMeta) *itemState {
	var maxID int64
	limit := int64(-1)
	for _, m := range all {
		maxID = max(maxID, m.ID)
		if m.Slug == "" && (limit < 0 || m.ID-1 < limit) {
			limit = m.ID - 1
		}
	}
	if limit < 0 {
		return &itemState{maxID: maxID, items: all}
	}
	st := &itemState{}
	for _, m := range all {
		if m.ID <= limit {
			st.items = append(st.items, m)
			st.maxID = max(st.maxID, m.ID)
		}
	}
	return st
}

// newestID returns the item with the highest ID.
func newestID(items []store.ItemMeta) store.ItemMeta {
	var out store.ItemMeta
	for _, m := range items {
		if m.ID > out.ID {
			out = m
		}
	}
	return out
}

// sameBrief reports whether two brief listings of an item agree.
func sameBrief(a, b store.ItemMeta) bool {
	return a.ID == b.ID && a.SourceID == b.SourceID && a.Slug == b.Slug && a.Published.Equal(b.Published) && a.FirstSeen.Equal(b.FirstSeen)
}
