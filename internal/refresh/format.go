package refresh

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/feedmill/feedmill/internal/atomicfile"
	"github.com/feedmill/feedmill/internal/config"
	"github.com/feedmill/feedmill/internal/publish"
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

// Output is a folder the Runner writes posts to, in one format. Each
// output has its own post records in the store (see store.Output), so
// every item gets a post in each, exactly once, and an output added
// later gets the items the store keeps on the next run.
type Output struct {
	// Dir is the folder posts are written under, laid out as Format says.
	Dir    string
	Format Format
	// Name is the folder as the configuration gives it: with the
	// format's name it is the output's identity in the store, which a
	// store moved with its configuration keeps.
	Name string

	id int64 // the store's; set by prepareOutputs
}

// prepareOutputs gives each output its store ID, creating the outputs the
// store does not know yet, and finds the outputs the store knows that are
// no longer configured (another format, another folder): their posts are
// never written again, but retention and prune still delete their files
// (see allOutputs). It runs once per Runner.
func (r *Runner) prepareOutputs(ctx context.Context) error {
	r.outputsMu.Lock()
	defer r.outputsMu.Unlock()
	if r.outputsReady {
		return nil
	}
	if len(r.Outputs) == 0 {
		return errors.New("refresh: no output configured")
	}
	configured := map[int64]bool{}
	for i := range r.Outputs {
		o, err := r.Store.EnsureOutput(ctx, r.Outputs[i].Format.Name(), r.Outputs[i].Name)
		if err != nil {
			return err
		}
		r.Outputs[i].id = o.ID
		configured[o.ID] = true
	}
	known, err := r.Store.Outputs(ctx)
	if err != nil {
		return err
	}
	r.former = nil
	for _, o := range known {
		// An output of a store from before outputs that no configured
		// output took over has no folder to look in.
		dir := filepath.FromSlash(o.Dir)
		if configured[o.ID] || o.Dir == "" || (!filepath.IsAbs(dir) && r.Base == "") {
			continue
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(r.Base, dir)
		}
		r.former = append(r.former, Output{Dir: dir, Format: FormatOf(config.Output{Format: o.Format}), Name: o.Dir, id: o.ID})
	}
	r.outputsReady = true
	return nil
}

// OutputIDs returns the store's IDs of the configured outputs, creating
// those the store does not know yet.
func (r *Runner) OutputIDs(ctx context.Context) ([]int64, error) {
	if err := r.prepareOutputs(ctx); err != nil {
		return nil, err
	}
	ids := make([]int64, len(r.Outputs))
	for i, o := range r.Outputs {
		ids[i] = o.id
	}
	return ids, nil
}

// allOutputs returns the configured outputs and those no longer
// configured, for deleting posts.
func (r *Runner) allOutputs() []Output {
	return append(r.Outputs[:len(r.Outputs):len(r.Outputs)], r.former...)
}

// OutputDirs names the output folders, for messages.
func (r *Runner) OutputDirs() string {
	dirs := make([]string, len(r.Outputs))
	for i, o := range r.Outputs {
		dirs[i] = o.Dir
	}
	return strings.Join(dirs, ", ")
}

// CleanTemp removes the temp files a crash may have left in the output
// folders. A folder that fails does not keep the others from being
// cleaned; the failures are returned together.
func (r *Runner) CleanTemp() error {
	var errs []error
	for _, o := range r.Outputs {
		if err := atomicfile.CleanTemp(o.Dir); err != nil {
			errs = append(errs, fmt.Errorf("clean temp files in %s: %w", o.Dir, err))
		}
	}
	return errors.Join(errs...)
}
