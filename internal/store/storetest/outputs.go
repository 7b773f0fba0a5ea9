package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// testOutputs: each output has its own post records: a path is unique in
// its output only, a post marked in one output is unposted in another,
// and EnsureOutput names an output once (taking over the unnamed output
// of a store from before outputs).
func testOutputs(t *testing.T, ctx context.Context, s store.Store) {
	hexo, err := s.EnsureOutput(ctx, "hexo", "source/_posts")
	if err != nil {
		t.Fatal(err)
	}
	hugo, err := s.EnsureOutput(ctx, "hugo", "site/content")
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.EnsureOutput(ctx, "hexo", "source/_posts")
	if err != nil || again != hexo || hugo.ID == hexo.ID || hugo.Format != "hugo" || hugo.Dir != "site/content" {
		t.Fatalf("EnsureOutput: hexo %+v, hugo %+v, hexo again %+v, %v", hexo, hugo, again, err)
	}
	// One dir in two formats is two outputs.
	jekyll, err := s.EnsureOutput(ctx, "jekyll", "source/_posts")
	if err != nil || jekyll.ID == hexo.ID {
		t.Fatalf("EnsureOutput of a second format in one dir = %+v, %v", jekyll, err)
	}

	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	added, err := s.InsertItems(ctx, row.ID, []feed.Item{{GUID: "1", Title: "One"}, {GUID: "2", Title: "Two"}, {GUID: "3", Title: "Three"}},
		hexo.ID, []string{"a.md", "b.md", ""}, now)
	if err != nil || len(added) != 3 || added[0].PostPath != "a.md" {
		t.Fatalf("InsertItems = %+v, %v", added, err)
	}
	one, two, three := added[0].ID, added[1].ID, added[2].ID
	// The paths InsertItems reserved are Hexo's alone.
	if _, ok, err := s.PathOwner(ctx, hugo.ID, "a.md"); ok || err != nil {
		t.Errorf("PathOwner in hugo of a path reserved in hexo = %v, %v", ok, err)
	}
	// The same path in two outputs belongs to each output's own item.
	if err := s.SetPostPath(ctx, hugo.ID, two, "a.md"); err != nil {
		t.Fatalf("SetPostPath in hugo of a path hexo has: %v", err)
	}
	if err := s.SetPostPath(ctx, hugo.ID, one, "a.md"); !errors.Is(err, store.ErrPathTaken) {
		t.Errorf("SetPostPath of a path taken in hugo: %v, want ErrPathTaken", err)
	}
	if err := s.SetPostPath(ctx, hugo.ID, one, "one.html"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		output int64
		path   string
		want   int64
	}{{hexo.ID, "a.md", one}, {hugo.ID, "a.md", two}, {hugo.ID, "one.html", one}, {hexo.ID, "one.html", 0}, {jekyll.ID, "a.md", 0}} {
		id, ok, err := s.PathOwner(ctx, c.output, c.path)
		if err != nil || ok != (c.want != 0) || id != c.want {
			t.Errorf("PathOwner(%d, %s) = %d, %v, %v; want %d", c.output, c.path, id, ok, err, c.want)
		}
	}
	if err := s.SetPostPath(ctx, 1<<40, one, "x.md"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPostPath in a missing output: %v, want ErrNotFound", err)
	}
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: one, Output: 1 << 40}}, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPosted in a missing output: %v, want ErrNotFound", err)
	}

	// Posted in Hexo: one and two with hashes; in Hugo: one, without
	// hash; three gets its Hugo record at SetPosted, with no path (a file
	// adopted without one).
	if err := s.SetPosted(ctx, []store.Posted{{ItemID: one, Output: hexo.ID, Hash: "h1"}, {ItemID: two, Output: hexo.ID, Hash: "h2"},
		{ItemID: one, Output: hugo.ID}, {ItemID: three, Output: hugo.ID, Hash: "g3"}}, now); err != nil {
		t.Fatal(err)
	}
	records := func(output int64, unposted bool) string {
		t.Helper()
		items, err := s.Items(ctx, row.ID, output, unposted)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, it := range items {
			got += fmt.Sprintf("%s:%v:%s:%s ", it.Title, it.Posted, it.PostPath, it.PostHash)
		}
		return got
	}
	for _, c := range []struct {
		output   int64
		unposted bool
		want     string
	}{
		{hexo.ID, false, "One:true:a.md:h1 Two:true:b.md:h2 Three:false:: "},
		{hexo.ID, true, "Three:false:: "},
		{hugo.ID, false, "One:true:one.html: Two:false:a.md: Three:true::g3 "},
		{hugo.ID, true, "Two:false:a.md: "},
		{jekyll.ID, true, "One:false:: Two:false:: Three:false:: "},
		{0, false, "One:false:: Two:false:: Three:false:: "},
	} {
		if got := records(c.output, c.unposted); got != c.want {
			t.Errorf("Items(output %d, unposted %v) = %q, want %q", c.output, c.unposted, got, c.want)
		}
	}
	// A retired item keeps its paths in every output.
	if err := s.Retire(ctx, one, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPostPath(ctx, hugo.ID, three, "one.html"); !errors.Is(err, store.ErrPathTaken) {
		t.Errorf("SetPostPath of a retired item's hugo path: %v, want ErrPathTaken", err)
	}
	if err := s.SetPostPath(ctx, hexo.ID, three, "a.md"); !errors.Is(err, store.ErrPathTaken) {
		t.Errorf("SetPostPath of a retired item's hexo path: %v, want ErrPathTaken", err)
	}
	all, err := s.Outputs(ctx)
	if err != nil || !reflect.DeepEqual(all, []store.Output{hexo, hugo, jekyll}) {
		t.Errorf("Outputs = %+v, %v", all, err)
	}
}

// testUnnamedOutput: the output of a store from before outputs has no
// dir; the first EnsureOutput of its format takes it over with its
// records, and later ones of the format get outputs of their own.
func testUnnamedOutput(t *testing.T, ctx context.Context, s store.Store) {
	old, err := s.EnsureOutput(ctx, "hexo", "")
	if err != nil {
		t.Fatal(err)
	}
	row, err := s.EnsureSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertItems(ctx, row.ID, []feed.Item{{GUID: "1", Title: "One"}}, old.ID, []string{"g/s/c/One.md"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	hugo, err := s.EnsureOutput(ctx, "hugo", "content")
	if err != nil || hugo.ID == old.ID {
		t.Fatalf("EnsureOutput of another format = %+v, %v; want a new output", hugo, err)
	}
	named, err := s.EnsureOutput(ctx, "hexo", "source/_posts")
	if err != nil || named.ID != old.ID || named.Dir != "source/_posts" {
		t.Fatalf("EnsureOutput of the unnamed output's format = %+v, %v; want output %d named", named, err, old.ID)
	}
	if id, ok, err := s.PathOwner(ctx, named.ID, "g/s/c/One.md"); !ok || err != nil || id == 0 {
		t.Errorf("the named output lost its record: %d, %v, %v", id, ok, err)
	}
	second, err := s.EnsureOutput(ctx, "hexo", "other/_posts")
	if err != nil || second.ID == old.ID {
		t.Errorf("a second Hexo output = %+v, %v; want a new output", second, err)
	}
	all, err := s.Outputs(ctx)
	if err != nil || len(all) != 3 || all[0] != named {
		t.Errorf("Outputs = %+v, %v", all, err)
	}
}
