package refresh

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/feedmill/feedmill/internal/atomicfile"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/store"
)

// retain applies the source's keep: every item beyond it is retired in the
// store and its post files deleted, in every output the store knows (also
// those no longer configured), when feedmill wrote a file and nobody
// changed it since. A file feedmill did not write, or one a user edited,
// stays where it is; the item is retired all the same, so it is never
// published again. Counts go to res.
//
// The files go before the row: a run that stops between the two finds
// the item again next time, its files already gone.
func (r *Runner) retain(ctx context.Context, st store.Store, src feed.Source, sourceID int64, res *Result) error {
	if src.Retain.IsZero() {
		return nil
	}
	items, err := st.Items(ctx, sourceID, 0, false)
	if err != nil {
		return err
	}
	beyond := beyondKeep(items, src.Retain, r.now())
	if len(beyond) == 0 {
		return nil
	}
	outs := r.allOutputs()
	records := make([]map[int64]store.Item, len(outs))
	for k, out := range outs {
		items, err := st.Items(ctx, sourceID, out.id, false)
		if err != nil {
			return err
		}
		records[k] = make(map[int64]store.Item, len(items))
		for _, it := range items {
			if it.PostPath != "" {
				records[k][it.ID] = it
			}
		}
	}
	var failed []error
	for _, it := range beyond {
		var post *publish.Post
		ok := true
		for k, out := range outs {
			rec, has := records[k][it.ID]
			if !has {
				continue
			}
			if post == nil {
				p := r.Post(src, it)
				post = &p
			}
			abs := filepath.Join(out.Dir, filepath.FromSlash(rec.PostPath))
			removed, err := atomicfile.RemoveOwn(abs, rec.PostHash, out.Format.Render(*post))
			if err != nil {
				// Left unretired, the item is tried again next run.
				failed = append(failed, fmt.Errorf("%s: %w", abs, err))
				ok = false
				continue
			}
			if removed {
				res.Removed++
			} else if exists, _ := atomicfile.Exists(abs); exists {
				res.Left++
				r.logger().Info("retired post left in place: feedmill did not write the file as it is now",
					"source", src.Key(), "path", abs)
			}
		}
		if !ok {
			continue
		}
		if err := st.Retire(ctx, it.ID, r.now()); err != nil {
			return err
		}
		res.Retired++
	}
	if len(failed) > 0 {
		return &postError{err: fmt.Errorf("retire %d posts, first: %w", len(failed), failed[0])}
	}
	return nil
}

// postDate is the date a post carries: the feed's, else when feedmill
// first saw the item.
func postDate(it store.Item) time.Time {
	if !it.Item.Published.IsZero() {
		return it.Item.Published
	}
	return it.FirstSeen
}

// beyondKeep returns the items keep does not keep: with a count, all but
// the newest Count by post date (the later stored first among equal
// dates); with an age, those dated before now minus Age.
func beyondKeep(items []store.Item, keep feed.Retention, now time.Time) []store.Item {
	sorted := append([]store.Item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		di, dj := postDate(sorted[i]), postDate(sorted[j])
		if !di.Equal(dj) {
			return di.After(dj)
		}
		return sorted[i].ID > sorted[j].ID
	})
	var out []store.Item
	for i, it := range sorted {
		if (keep.Count > 0 && i >= keep.Count) || (keep.Age > 0 && postDate(it).Before(now.Add(-keep.Age))) {
			out = append(out, it)
		}
	}
	return out
}
