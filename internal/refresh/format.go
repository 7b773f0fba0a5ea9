package refresh

import (
	"context"
	"errors"
	"fmt"

	"github.com/feedmill/feedmill/internal/publish"
	"github.com/feedmill/feedmill/internal/store"
)

// Format is how an output's posts are written: their paths and their
// bytes. refresh keeps every guarantee (a path reserved before its file is
// written, flushed before the item is marked, never a file it did not
// write overwritten) whatever the format; the format knows only files.
// The formats live in the packages below publish.
type Format interface {
	// Name is the format's name, as output.format gives it.
	Name() string
	// Render returns the post's file. The same post renders to the same
	// bytes every time: a rerun then finds its file in place and changes
	// nothing.
	Render(p publish.Post) []byte
	// Path returns the post's path relative to the output folder,
	// slash-separated, with the n-th collision suffix (1 for none). It
	// reads only the post's title, date and categories.
	Path(p publish.Post, n int) string
	// Folder returns the folder, relative to the output folder, that holds
	// the posts of a source with these categories and no other source's,
	// or "" when sources share folders. When a source's folder does not
	// exist no file can be in its posts' way, which spares a look at each
	// post's path.
	Folder(categories []string) string
	// Adopt reports whether old, a file found at the post's path that no
	// item owns, is this very post (rendered) as the system feedmill
	// replaces wrote it: it is then kept and the item marked posted. A
	// format with no such system reports whether old is rendered.
	Adopt(old, rendered []byte) bool
	// OldPath returns the path, relative to the output folder, where the
	// system feedmill replaces wrote the post when that is not Path(p, 1)
	// (a name its site never showed); "" when there is none. A file there
	// that Adopt takes for the post is moved to the post's path.
	OldPath(p publish.Post) string
}

// formatSetting is the store setting that names the format the store's
// posts were written in.
const formatSetting = "output_format"

// FormatChangedError is returned by Run and Republish when the store's
// posts were written in another format than the Runner's: the store
// keeps each item's path in the format it was published in, so the items
// already published would never get posts in the new format, and
// --republish would write the new format at the old paths.
type FormatChangedError struct {
	Store, Config string
}

func (e *FormatChangedError) Error() string {
	return fmt.Sprintf("the store's posts were written as %s, the configuration asks for %s: "+
		"publish %s with a new store (the store setting), or set output.format back to %s", e.Store, e.Config, e.Config, e.Store)
}

// checkFormat records the Runner's format in a new store, and refuses a
// store whose posts are in another format. A store from before formats
// were recorded that holds items is Hexo's, the only format then.
func (r *Runner) checkFormat(ctx context.Context) error {
	return r.Store.Batch(ctx, func(tx store.Store) error {
		name, err := tx.Setting(ctx, formatSetting)
		switch {
		case errors.Is(err, store.ErrNotFound):
			n, err := tx.CountItems(ctx, store.ItemFilter{})
			if err != nil {
				return err
			}
			if n > 0 {
				name = "hexo"
			} else {
				name = r.Format.Name()
			}
			if name == r.Format.Name() {
				return tx.SetSetting(ctx, formatSetting, name)
			}
		case err != nil:
			return err
		}
		if name != r.Format.Name() {
			return &FormatChangedError{Store: name, Config: r.Format.Name()}
		}
		return nil
	})
}
