package refresh_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/publish/hugo"
	"github.com/feedmill/feedmill/internal/publish/jekyll"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store"
)

// withOutputs returns a Runner on r's store and fetcher that writes to
// outs.
func withOutputs(r *refresh.Runner, outs ...refresh.Output) *refresh.Runner {
	return &refresh.Runner{Fetch: r.Fetch, Store: r.Store, Outputs: outs, Location: r.Location, Concurrency: r.Concurrency}
}

// threeOutputs returns Hexo, Hugo and Jekyll outputs in folders of their
// own.
func threeOutputs(t *testing.T) []refresh.Output {
	var outs []refresh.Output
	for _, f := range []refresh.Format{hexo.Format{}, hugo.Format{}, jekyll.Format{}} {
		dir := t.TempDir()
		outs = append(outs, refresh.Output{Dir: dir, Format: f, Name: dir})
	}
	return outs
}

// Every output gets one post per item, exactly once, whatever the number
// of outputs; a rerun changes nothing.
func TestOutputsEachGetEveryPostOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(n, " outputs"), func(t *testing.T) {
			outs := threeOutputs(t)[:n]
			r := withOutputs(newRunner(t, outs[0].Dir), outs...)
			now := time.Now()
			host := newFeedHost(t, days(now, 1, 3)...)
			src := host.source(feed.Retention{})
			if res := runOnce(t, r, src); res.Posts != 3*n || res.New != 3 {
				t.Errorf("first run: %d new items, %d posts; want 3 and %d", res.New, res.Posts, 3*n)
			}
			before := snapshot(t, outs)
			host.set(append(days(now, 1, 3), testItem{n: 4, date: now})...)
			if res := runOnce(t, r, src); res.Posts != n || res.New != 1 {
				t.Errorf("second run: %d new items, %d posts; want 1 and %d", res.New, res.Posts, n)
			}
			for _, o := range outs {
				if got := posts(t, o.Dir); len(got) != 4 {
					t.Errorf("%s: files %q, want 4", o.Format.Name(), got)
				}
			}
			mid := snapshot(t, outs)
			for k, v := range before {
				if !bytes.Equal(mid[k], v) {
					t.Errorf("%s changed on the second run", k)
				}
			}
			if res := runOnce(t, r, src); res.Posts != 0 {
				t.Errorf("a rerun wrote %d posts", res.Posts)
			}
			if after := snapshot(t, outs); !sameFiles(mid, after) {
				t.Error("a rerun changed the outputs")
			}
		})
	}
}

// snapshot reads every file of the outputs, by path.
func snapshot(t *testing.T, outs []refresh.Output) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, o := range outs {
		for _, p := range posts(t, o.Dir) {
			abs := filepath.Join(o.Dir, p)
			data, err := os.ReadFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			m[abs] = data
		}
	}
	return m
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(b[k], v) {
			return false
		}
	}
	return true
}

// An output added to an installation gets the items the store keeps on
// the next run, without a fetch of anything new and without touching the
// first output.
func TestAddedOutputGetsTheKnownItems(t *testing.T) {
	outs := threeOutputs(t)
	r := withOutputs(newRunner(t, outs[0].Dir), outs[0])
	host := newFeedHost(t, days(time.Now(), 1, 3)...)
	src := host.source(feed.Retention{})
	runOnce(t, r, src)
	first := snapshot(t, outs[:1])

	r2 := withOutputs(r, outs...)
	if res := runOnce(t, r2, src); res.Posts != 6 || res.New != 0 {
		t.Errorf("run with two outputs added: %d new, %d posts; want 0 and 6", res.New, res.Posts)
	}
	if got := snapshot(t, outs[:1]); !sameFiles(first, got) {
		t.Error("the first output changed")
	}
	for _, o := range outs[1:] {
		if got := posts(t, o.Dir); len(got) != 3 {
			t.Errorf("%s: files %q, want 3", o.Format.Name(), got)
		}
	}
	// The outputs are independent: dropping one leaves the others.
	r3 := withOutputs(r, outs[1])
	if res := runOnce(t, r3, src); res.Posts != 0 {
		t.Errorf("a run with one of the outputs wrote %d posts", res.Posts)
	}
}

// killAfter stops a run's writes after the first output's files are in
// place: the marks are never made, as if the process died there.
type killAfter struct {
	store.Store
}

var errKilled = errors.New("killed")

func (k *killAfter) SetPosted(ctx context.Context, posts []store.Posted, at time.Time) error {
	return errKilled
}

func (k *killAfter) Batch(ctx context.Context, fn func(store.Store) error) error {
	return k.Store.Batch(ctx, func(tx store.Store) error { return fn(&killAfter{tx}) })
}

// A run killed between two outputs' writes (the first's files in place,
// none marked) is completed by the next run: the second output gets its
// posts, and the first gets no second copy. The second output's paths
// may be reserved already (killed while writing it) or not (killed
// before it was staged; here, a run with the first output alone).
func TestCrashBetweenOutputs(t *testing.T) {
	for _, c := range []struct {
		name     string
		reserved bool
	}{{"second output reserved", true}, {"second output not reserved", false}} {
		t.Run(c.name, func(t *testing.T) {
			outs := threeOutputs(t)[:2]
			second := outs[1].Dir
			base := newRunner(t, outs[0].Dir)
			host := newFeedHost(t, days(time.Now(), 1, 3)...)
			src := host.source(feed.Retention{})
			crashing := withOutputs(base, outs[0])
			if c.reserved {
				// The second output's files are never written: its folder
				// is a file until the restart.
				if err := os.Remove(second); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(second, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				crashing = withOutputs(base, outs...)
			}
			crashing.Store = &killAfter{base.Store.(store.Store)}
			if _, err := crashing.Run(t.Context(), []feed.Source{src}, nil); !errors.Is(err, errKilled) {
				t.Fatalf("crashing run: %v", err)
			}
			written := snapshot(t, outs[:1])
			if len(written) != 3 {
				t.Fatalf("the first output has %d files before the crash, want 3", len(written))
			}
			if c.reserved {
				if err := os.Remove(second); err != nil {
					t.Fatal(err)
				}
			}
			r := withOutputs(base, outs...)
			if res := runOnce(t, r, src); res.Posts != 3 || res.PublishErr != nil {
				t.Errorf("the run after the crash wrote %d posts, %v; want 3 (the second output's)", res.Posts, res.PublishErr)
			}
			if got := snapshot(t, outs[:1]); !sameFiles(written, got) {
				t.Errorf("the first output after the restart: %d files, changed", len(got))
			}
			if got := posts(t, second); len(got) != 3 {
				t.Errorf("second output: %q", got)
			}
			if res := runOnce(t, r, src); res.Posts != 0 {
				t.Errorf("a rerun wrote %d posts", res.Posts)
			}
		})
	}
}

// A file feedmill did not write, in one output's way, is kept and the
// post takes another name there; the other outputs are not affected.
func TestForeignFileInOneOutput(t *testing.T) {
	outs := threeOutputs(t)[:2]
	r := withOutputs(newRunner(t, outs[0].Dir), outs...)
	items := days(time.Now(), 1, 2)
	host := newFeedHost(t, items...)
	src := host.source(feed.Retention{})
	// Hugo's path of item 1, as the first run would write it.
	probe := withOutputs(newRunner(t, t.TempDir()), refresh.Output{Dir: t.TempDir(), Format: hugo.Format{}, Name: "probe"})
	runOnce(t, probe, src)
	want := posts(t, probe.Outputs[0].Dir)
	if len(want) != 2 {
		t.Fatalf("probe: %q", want)
	}
	foreign := filepath.Join(outs[1].Dir, filepath.FromSlash(want[0]))
	if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(foreign, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runOnce(t, r, src)
	if res.Posts != 4 || res.PublishErr != nil {
		t.Errorf("run: %d posts, %v; want 4", res.Posts, res.PublishErr)
	}
	if data, _ := os.ReadFile(foreign); string(data) != "mine\n" {
		t.Errorf("the foreign file is now %q", data)
	}
	if got := posts(t, outs[1].Dir); len(got) != 3 {
		t.Errorf("hugo files %q, want the foreign file and 2 posts", got)
	}
	if got := posts(t, outs[0].Dir); len(got) != 2 {
		t.Errorf("hexo files %q", got)
	}
}

// Retention deletes a retired item's files in every output, each only
// while it holds what feedmill wrote: an edited file stays, in its
// output alone.
func TestRetentionPerOutput(t *testing.T) {
	outs := threeOutputs(t)
	r := withOutputs(newRunner(t, outs[0].Dir), outs...)
	host := newFeedHost(t, days(time.Now(), 1, 3)...)
	src := host.source(feed.Retention{})
	runOnce(t, r, src)
	// The user edits item 1's Jekyll post.
	var edited string
	for _, p := range posts(t, outs[2].Dir) {
		if strings.Contains(p, testItem{n: 1}.title()) {
			edited = filepath.Join(outs[2].Dir, p)
		}
	}
	if edited == "" {
		t.Fatalf("no Jekyll post of item 1 in %q", posts(t, outs[2].Dir))
	}
	if err := os.WriteFile(edited, []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src.Retain = feed.Retention{Count: 2}
	res := runOnce(t, r, src)
	if res.Retired != 1 || res.Removed != 2 || res.Left != 1 {
		t.Errorf("retention: retired %d, removed %d, left %d; want 1, 2, 1", res.Retired, res.Removed, res.Left)
	}
	for k, want := range []int{2, 2, 3} {
		if got := posts(t, outs[k].Dir); len(got) != want {
			t.Errorf("%s: files %q, want %d", outs[k].Format.Name(), got, want)
		}
	}
	if data, _ := os.ReadFile(edited); string(data) != "edited\n" {
		t.Errorf("the edited file is now %q", data)
	}
}

// --republish rewrites the changed posts of every output, and only those.
func TestRepublishPerOutput(t *testing.T) {
	outs := threeOutputs(t)[:2]
	r := withOutputs(newRunner(t, outs[0].Dir), outs...)
	host := newFeedHost(t, days(time.Now(), 1, 2)...)
	src := host.source(feed.Retention{})
	runOnce(t, r, src)
	// One post of each output is damaged (say, by an older template).
	var damaged []string
	for _, o := range outs {
		p := filepath.Join(o.Dir, posts(t, o.Dir)[0])
		if err := os.WriteFile(p, []byte("old template\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		damaged = append(damaged, p)
	}
	before := snapshot(t, outs)
	results, err := r.Republish(t.Context(), []feed.Source{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Posts != 2 || results[0].PublishErr != nil {
		t.Errorf("republish: %d posts, %v; want 2", results[0].Posts, results[0].PublishErr)
	}
	after := snapshot(t, outs)
	for p, data := range after {
		if slices.Contains(damaged, p) == bytes.Equal(before[p], data) {
			t.Errorf("%s: rewritten %v, damaged %v", p, !bytes.Equal(before[p], data), slices.Contains(damaged, p))
		}
	}
}

// An output that cannot be written fails its posts alone: the other
// output gets its posts, the failing one gets them once it works.
func TestFailingOutput(t *testing.T) {
	outs := threeOutputs(t)[:2]
	broken := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(broken, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outs[1].Dir = filepath.Join(broken, "posts") // under a file: never a folder
	r := withOutputs(newRunner(t, outs[0].Dir), outs...)
	host := newFeedHost(t, days(time.Now(), 1, 2)...)
	src := host.source(feed.Retention{})
	res := runOnce(t, r, src)
	if res.PublishErr == nil || !strings.Contains(res.PublishErr.Error(), outs[1].Dir) {
		t.Errorf("PublishErr = %v, want the failing output's folder named", res.PublishErr)
	}
	if res.Posts != 2 || len(posts(t, outs[0].Dir)) != 2 {
		t.Errorf("the working output got %d posts", res.Posts)
	}
	// The folder works again: the pending posts are written, the first
	// output's are not written twice.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	pending, err := r.PublishPending(t.Context(), []feed.Source{src})
	if err != nil || len(pending) != 1 || pending[0].Posts != 2 || pending[0].PublishErr != nil {
		t.Fatalf("PublishPending = %+v, %v", pending, err)
	}
	if got := posts(t, outs[1].Dir); len(got) != 2 {
		t.Errorf("the failed output now has %q", got)
	}
}

// feedmill prune finds a removed source's files in every output, removes
// the unchanged ones and keeps an edited one in its output.
func TestPruneEveryOutput(t *testing.T) {
	outs := threeOutputs(t)[:2]
	r := withOutputs(newRunner(t, outs[0].Dir), outs...)
	kept := newFeedHost(t, days(time.Now(), 1, 1)...)
	gone := newFeedHost(t, days(time.Now(), 1, 2)...)
	keep := kept.source(feed.Retention{})
	drop := gone.source(feed.Retention{})
	drop.Channel = "删除"
	if _, err := r.Run(t.Context(), []feed.Source{keep, drop}, nil); err != nil {
		t.Fatal(err)
	}
	hugoFiles := posts(t, outs[1].Dir)
	var edited string
	for _, p := range hugoFiles {
		if strings.Contains(p, "删除") {
			edited = filepath.Join(outs[1].Dir, p)
			break
		}
	}
	if err := os.WriteFile(edited, []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dry, err := r.Prune(t.Context(), []feed.Source{keep}, false)
	if err != nil || len(dry) != 1 || len(dry[0].Removed) != 3 || len(dry[0].Left) != 1 || dry[0].Left[0] != edited {
		t.Fatalf("dry run = %+v, %v; want 3 files to remove (both outputs) and the edited one left", dry, err)
	}
	if got := len(posts(t, outs[0].Dir)) + len(posts(t, outs[1].Dir)); got != 6 {
		t.Fatalf("a dry run removed files: %d left of 6", got)
	}
	if _, err := r.Prune(t.Context(), []feed.Source{keep}, true); err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		for _, p := range posts(t, o.Dir) {
			if strings.Contains(p, "删除") && filepath.Join(o.Dir, p) != edited {
				t.Errorf("%s: %s is still there", o.Format.Name(), p)
			}
		}
	}
	if data, _ := os.ReadFile(edited); string(data) != "edited\n" {
		t.Errorf("the edited file is now %q", data)
	}
	if got := len(posts(t, outs[0].Dir)); got != 1 {
		t.Errorf("hexo keeps %d files, want the kept source's 1", got)
	}
}

// A folder moved with its posts, and named anew in the configuration, is
// a new output that finds every post in place: each is adopted, none
// written again, in every format.
func TestMovedOutputAdoptsItsPosts(t *testing.T) {
	for _, o := range threeOutputs(t) {
		t.Run(o.Format.Name(), func(t *testing.T) {
			r := withOutputs(newRunner(t, o.Dir), o)
			host := newFeedHost(t, days(time.Now(), 1, 3)...)
			src := host.source(feed.Retention{})
			runOnce(t, r, src)
			before := snapshot(t, []refresh.Output{o})
			moved := filepath.Join(t.TempDir(), "moved")
			if err := os.Rename(o.Dir, moved); err != nil {
				t.Fatal(err)
			}
			m := refresh.Output{Dir: moved, Format: o.Format, Name: moved}
			if res := runOnce(t, withOutputs(r, m), src); res.Posts != 0 || res.PublishErr != nil {
				t.Errorf("the moved output: %d posts written, %v; want none", res.Posts, res.PublishErr)
			}
			after := snapshot(t, []refresh.Output{m})
			if len(after) != len(before) {
				t.Errorf("the moved folder has %d files, had %d", len(after), len(before))
			}
		})
	}
}
