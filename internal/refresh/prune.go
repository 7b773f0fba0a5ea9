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
	// Removed are the post files (relative to the output folder) that
	// feedmill wrote and nobody changed since: removed, or to remove.
	Removed []string
	// Left are the post files that stay: edited since feedmill wrote
	// them, or not written by feedmill (adopted from the old system, or
	// from before feedmill recorded what it wrote).
	Left []string
}

// Prune finds the post files of the sources in the store that are not in
// configured (every configured source) and, with apply, removes those
// feedmill wrote and nobody changed since (their bytes still hash to the
// hash recorded when they were written), retiring their items so that
// they never come back, and then the folders it leaves empty. Other files
// are never touched. Sources are listed by key, each with what it holds.
func (r *Runner) Prune(ctx context.Context, configured []feed.Source, apply bool) ([]Pruned, error) {
	rows, err := r.Store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(configured))
	for _, s := range configured {
		keep[s.Key()] = true
	}
	var out []Pruned
	for _, row := range rows {
		if keep[row.Key] {
			continue
		}
		items, err := r.Store.Items(ctx, row.ID, false)
		if err != nil {
			return out, err
		}
		p := Pruned{Key: row.Key}
		var gone []int64 // items whose post is no longer there
		for _, it := range items {
			if it.PostPath == "" {
				continue
			}
			abs := filepath.Join(r.OutDir, filepath.FromSlash(it.PostPath))
			data, err := os.ReadFile(abs)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				gone = append(gone, it.ID)
				continue
			case err != nil:
				return out, fmt.Errorf("prune %s: %w", it.PostPath, err)
			case it.PostHash == "" || atomicfile.Hash(data) != it.PostHash:
				p.Left = append(p.Left, it.PostPath)
				continue
			}
			p.Removed = append(p.Removed, it.PostPath)
			if !apply {
				continue
			}
			// The file goes before the row, as retention does: a prune
			// that stops between the two finds the item again, its file
			// already gone.
			if _, err := atomicfile.RemoveOwn(abs, it.PostHash, nil); err != nil {
				return out, fmt.Errorf("prune %s: %w", it.PostPath, err)
			}
			gone = append(gone, it.ID)
		}
		if apply && len(gone) > 0 {
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
		if apply {
			r.removeEmptyDirs(p.Removed)
		}
		if len(p.Removed)+len(p.Left) > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}

// removeEmptyDirs removes the folders of the removed posts that are left
// empty, up to the output folder (which stays).
func (r *Runner) removeEmptyDirs(removed []string) {
	root := filepath.Clean(r.OutDir)
	for _, rel := range removed {
		dir := filepath.Dir(filepath.Join(root, filepath.FromSlash(rel)))
		for dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
			if os.Remove(dir) != nil { // not empty (or gone): stop here
				break
			}
			dir = filepath.Dir(dir)
		}
	}
}
