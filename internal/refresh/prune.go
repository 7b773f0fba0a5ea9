package refresh

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/feedmill/feedmill/internal/atomicfile"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Pruned is what pruning does, or would do, to the posts of one source
// no longer configured.
type Pruned struct {
	Key string // group/source/channel
	// Removed are the post files (their paths, in every output folder the
	// store knows) that feedmill wrote and nobody changed since: removed,
	// or to remove.
	Removed []string
	// Left are the post files that stay: edited since feedmill wrote
	// them, or not written by feedmill (adopted from the old system, or
	// from before feedmill recorded what it wrote).
	Left []string
}

// Prune finds the post files of the sources in the store that are not in
// configured (every configured source), in every output the store knows,
// and, with apply, removes those feedmill wrote and nobody changed since
// (their bytes still hash to the hash recorded when they were written),
// retiring the items none of whose files is left so that they never come
// back, and then the folders it leaves empty. Other files are never
// touched. Sources are listed by key, each with what it holds.
func (r *Runner) Prune(ctx context.Context, configured []feed.Source, apply bool) ([]Pruned, error) {
	if err := r.prepareOutputs(ctx); err != nil {
		return nil, err
	}
	rows, err := r.Store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(configured))
	for _, s := range configured {
		keep[s.Key()] = true
	}
	outs := r.allOutputs()
	var out []Pruned
	for _, row := range rows {
		if keep[row.Key] {
			continue
		}
		p := Pruned{Key: row.Key}
		left := map[int64]bool{} // items with a file that stays
		var ids []int64          // the source's items with a post, in order
		posted := map[int64]bool{}
		removed := make([][]string, len(outs))
		for k, o := range outs {
			items, err := r.Store.Items(ctx, row.ID, o.id, false)
			if err != nil {
				return out, err
			}
			for _, it := range items {
				if it.PostPath == "" {
					continue
				}
				if !posted[it.ID] {
					posted[it.ID] = true
					ids = append(ids, it.ID)
				}
				abs := filepath.Join(o.Dir, filepath.FromSlash(it.PostPath))
				data, err := os.ReadFile(abs)
				switch {
				case errors.Is(err, fs.ErrNotExist):
					continue
				case err != nil:
					return out, fmt.Errorf("prune %s: %w", abs, err)
				case !atomicfile.HashMatches(data, it.PostHash):
					p.Left = append(p.Left, abs)
					left[it.ID] = true
					continue
				}
				p.Removed = append(p.Removed, abs)
				if !apply {
					continue
				}
				// The files go before the row, as retention does: a prune
				// that stops between the two finds the item again, its
				// files already gone.
				if _, err := atomicfile.RemoveOwn(abs, it.PostHash, nil); err != nil {
					return out, fmt.Errorf("prune %s: %w", abs, err)
				}
				removed[k] = append(removed[k], abs)
			}
		}
		if apply {
			var gone []int64 // items with posts, none of them left
			for _, id := range ids {
				if !left[id] {
					gone = append(gone, id)
				}
			}
			if len(gone) > 0 {
				err := r.Store.Batch(ctx, func(tx store.Store) error {
					for _, id := range gone {
						if err := tx.Retire(ctx, id, r.now()); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return out, err
				}
			}
			for k, o := range outs {
				removeEmptyDirs(o.Dir, removed[k])
			}
		}
		if len(p.Removed)+len(p.Left) > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}

// removeEmptyDirs removes the folders of the removed posts (absolute
// paths) that are left empty, up to the output folder root (which stays).
func removeEmptyDirs(root string, removed []string) {
	root = filepath.Clean(root)
	for _, abs := range removed {
		dir := filepath.Dir(abs)
		for dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
			if os.Remove(dir) != nil { // not empty (or gone): stop here
				break
			}
			dir = filepath.Dir(dir)
		}
	}
}
