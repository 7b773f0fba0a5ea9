package refresh_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

var errCrash = errors.New("simulated crash")

// crashing stops the run at one step of publishing, as a crash would:
// the step before it has happened, the step itself and all after it not.
type crashing struct {
	store.Store
	// at is "InsertItems" or "SetPostPath" (after a post path is
	// reserved: as a new item is stored in a new folder, or later) or
	// "SetPosted" (before marking posts posted).
	at string
}

// Batch hands the batch's store on wrapped, so that a crash inside a
// transaction is a crash too.
func (c *crashing) Batch(ctx context.Context, fn func(store.Store) error) error {
	return c.Store.Batch(ctx, func(tx store.Store) error { return fn(&crashing{Store: tx, at: c.at}) })
}

func (c *crashing) InsertItems(ctx context.Context, sourceID int64, items []feed.Item, output int64, paths []string, now time.Time) ([]store.Item, error) {
	added, err := c.Store.InsertItems(ctx, sourceID, items, output, paths, now)
	if err != nil {
		return nil, err
	}
	if c.at == "InsertItems" {
		for _, it := range added {
			if it.PostPath != "" {
				return nil, errCrash
			}
		}
	}
	return added, nil
}

func (c *crashing) SetPostPath(ctx context.Context, output int64, id int64, path string) error {
	if err := c.Store.SetPostPath(ctx, output, id, path); err != nil {
		return err
	}
	if c.at == "SetPostPath" {
		return errCrash
	}
	return nil
}

func (c *crashing) SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error {
	if c.at == "SetPosted" {
		return errCrash
	}
	return c.Store.SetPosted(ctx, posts, at)
}

func TestCrashWhilePublishing(t *testing.T) {
	for _, c := range []struct {
		at     string
		folder bool // the source's folder is there before the run
	}{{"InsertItems", false}, {"SetPostPath", true}, {"SetPosted", false}, {"SetPosted", true}} {
		at := c.at
		t.Run(fmt.Sprintf("after %s, folder there %v", at, c.folder), func(t *testing.T) {
			f := feeds{"/a": rss("One|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>1</p>", "Two|2|Fri, 28 Jan 2022 11:30:43 GMT|<p>2</p>")}
			srv := f.serve(t)
			out := t.TempDir()
			if c.folder {
				if err := os.MkdirAll(filepath.Join(out, "g/s/c"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			r := newRunner(t, out)
			real := r.Store.(store.Store)
			r.Store = &crashing{Store: real, at: at}
			srcs := []feed.Source{source(srv, "c", "/a")}
			if _, err := r.Run(t.Context(), srcs, nil); !errors.Is(err, errCrash) {
				t.Fatalf("run: %v", err)
			}
			r.Store = real
			if _, err := r.Run(t.Context(), srcs, nil); err != nil {
				t.Fatal(err)
			}
			got := posts(t, out)
			if len(got) != 2 || got[0] != "g/s/c/One.md" || got[1] != "g/s/c/Two.md" {
				t.Fatalf("posts after restart: %v", got)
			}
			rows, _ := real.Sources(t.Context())
			o, _ := real.EnsureOutput(t.Context(), "hexo", out)
			items, _ := real.Items(t.Context(), rows[0].ID, o.ID, true)
			if len(items) != 0 {
				t.Errorf("%d items still unposted", len(items))
			}
			for _, p := range got {
				readFrontMatter(t, filepath.Join(out, p))
			}
		})
	}
}

func TestLeftoverTempFilesAreRemoved(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join(out, "g/s/c")
	os.MkdirAll(dir, 0o755)
	tmp := filepath.Join(dir, ".feedmill-0123456789abcdef.tmp")
	os.WriteFile(tmp, []byte("\n---\ntitle: 'half"), 0o644)
	f := feeds{"/a": rss("One|1||x")}
	srv := f.serve(t)
	r := newRunner(t, out)
	if _, err := r.Run(t.Context(), []feed.Source{source(srv, "c", "/a")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Error("a crashed run's temp file is still there")
	}
}
