package refresh

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// Renamer is the part of the store AdoptRenamed uses.
type Renamer interface {
	Sources(ctx context.Context) ([]store.Source, error)
	RenameSource(ctx context.Context, sourceID int64, key string) error
}

// Renamed is a source row that took a configured source's new names.
type Renamed struct {
	From, To string // group/source/channel before and after
}

// AdoptRenamed gives each configured source that has no row under its
// key the row of a source no longer configured that has the same URL: a
// source whose names changed but whose URL did not is the same source
// renamed, so its items, posts and fetch state stay its own and appear
// once, under the new names, instead of every item again under a new
// source. sources must be every configured source (not only those due):
// a row whose key is configured is never taken.
func AdoptRenamed(ctx context.Context, st Renamer, sources []feed.Source) ([]Renamed, error) {
	rows, err := st.Sources(ctx)
	if err != nil {
		return nil, err
	}
	configured := make(map[string]bool, len(sources))
	for _, s := range sources {
		configured[s.Key()] = true
	}
	// The rows of sources no longer configured, by URL, oldest first.
	orphans := map[string][]store.Source{}
	for _, r := range rows {
		if !configured[r.Key] {
			orphans[r.URL] = append(orphans[r.URL], r)
		}
	}
	if len(orphans) == 0 {
		return nil, nil
	}
	known := store.ByKey(rows)
	var out []Renamed
	for _, s := range sources {
		if _, ok := known[s.Key()]; ok {
			continue
		}
		cands := orphans[s.URL]
		if len(cands) == 0 {
			continue
		}
		old := cands[0]
		for _, c := range cands[1:] {
			if c.ID < old.ID {
				old = c
			}
		}
		if err := st.RenameSource(ctx, old.ID, s.Key()); err != nil {
			return out, fmt.Errorf("rename source %s to %s: %w", old.Key, s.Key(), err)
		}
		orphans[s.URL] = removeRow(cands, old.ID)
		out = append(out, Renamed{From: old.Key, To: s.Key()})
	}
	return out, nil
}

func removeRow(rows []store.Source, id int64) []store.Source {
	out := rows[:0:0]
	for _, r := range rows {
		if r.ID != id {
			out = append(out, r)
		}
	}
	return out
}
