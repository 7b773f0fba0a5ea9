package refresh_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// TestRunKeepsPreparedBodies: a run keeps each post's body as it cleaned
// it, under the key of the options it used (a source's own, else the
// global ones), so that the site need not clean it again; a republish
// with other options keeps the new bodies.
func TestRunKeepsPreparedBodies(t *testing.T) {
	body := `<p>正文</p><p><img data-src="/pic/1.jpg" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></p><script>alert(1)</script>`
	f := feeds{
		"/a": rss("One|1|Fri, 28 Jan 2022 10:30:43 GMT|"+body, "Two|2|Fri, 28 Jan 2022 11:30:43 GMT|<p>2</p>"),
		"/b": rss("Three|3|Fri, 28 Jan 2022 12:30:43 GMT|" + body),
	}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	a, b := source(srv, "a", "/a"), source(srv, "b", "/b")
	r.Content = content.Options{ImageProxy: "https://global.example/?u="}
	r.SourceContent = map[string]content.Options{b.Key(): {ImageProxy: "https://b.example/?u=", Style: content.StyleDrop}}
	if _, err := r.Run(t.Context(), []feed.Source{a, b}, nil); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, src feed.Source, opts content.Options, n int) {
		t.Helper()
		row, err := r.Store.EnsureSource(t.Context(), src)
		if err != nil {
			t.Fatal(err)
		}
		items, err := r.Store.Items(t.Context(), row.ID, 0, false)
		if err != nil || len(items) != n {
			t.Fatalf("%s: %d items, %v", src.Key(), len(items), err)
		}
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		got := map[int64]*store.Prepared{}
		if err := r.Store.(store.Store).ItemContents(t.Context(), ids, opts.Key(), func(m store.ItemMeta, body store.ItemBody) error {
			got[m.ID] = body.Prepared
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			p := got[it.ID]
			o := opts
			o.Enclosures = it.Enclosures
			want := content.Process(it.Content, it.Link, o)
			if p == nil {
				t.Errorf("%s %q: no body kept under its options' key", src.Key(), it.Title)
				continue
			}
			if p.HTML != want.HTML || p.Image != want.Image {
				t.Errorf("%s %q: kept %q (image %q), the post's body is %q (image %q)", src.Key(), it.Title, p.HTML, p.Image, want.HTML, want.Image)
			}
			if strings.Contains(p.HTML, "<script") {
				t.Errorf("kept body is not clean: %s", p.HTML)
			}
		}
	}
	check(t, a, r.Content, 2)
	check(t, b, r.SourceContent[b.Key()], 1)

	// Options changed and the posts republished: the new bodies are kept.
	r.Content = content.Options{Style: content.StyleKeep}
	if _, err := r.Republish(t.Context(), []feed.Source{a}, nil); err != nil {
		t.Fatal(err)
	}
	check(t, a, r.Content, 2)
}

// TestPublisherWritesKeptBodies: a fleet's fetcher stores its items with
// the bodies it cleaned, and the publisher writes those bodies instead of
// cleaning each a second time; a body kept under other options is
// cleaned again, and so is every body on a republish.
func TestPublisherWritesKeptBodies(t *testing.T) {
	f := feeds{"/a": rss("One|1|Fri, 28 Jan 2022 10:30:43 GMT|<p>first body</p>", "Two|2|Fri, 28 Jan 2022 11:30:43 GMT|<p>second body</p>")}
	srv := f.serve(t)
	out := t.TempDir()
	r := newRunner(t, out)
	a := source(srv, "a", "/a")
	r.FetchOnly = true
	if _, err := r.Run(t.Context(), []feed.Source{a}, nil); err != nil {
		t.Fatal(err)
	}
	if got := posts(t, out); len(got) != 0 {
		t.Fatalf("a fetcher wrote posts: %v", got)
	}
	st := r.Store.(store.Store)
	row, err := st.EnsureSource(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.Items(t.Context(), row.ID, 0, false)
	if err != nil || len(items) != 2 {
		t.Fatalf("%d items stored, %v", len(items), err)
	}
	// Marked bodies show which the publisher wrote: the first under the
	// options' key, the second under another.
	if err := st.SetPrepared(t.Context(), []store.Prepared{
		{ItemID: items[0].ID, Key: r.Content.Key(), HTML: "<p>kept by the fetcher</p>"},
		{ItemID: items[1].ID, Key: "other options", HTML: "<p>kept under other options</p>"},
	}); err != nil {
		t.Fatal(err)
	}
	r.FetchOnly = false
	if _, err := r.PublishSources(t.Context(), []feed.Source{a}, []int64{row.ID}); err != nil {
		t.Fatal(err)
	}
	read := func(it store.Item) string {
		t.Helper()
		outs, err := st.Outputs(t.Context())
		if err != nil || len(outs) != 1 {
			t.Fatalf("outputs %v, %v", outs, err)
		}
		stored, err := st.Items(t.Context(), row.ID, outs[0].ID, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stored {
			if s.ID == it.ID {
				b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(s.PostPath)))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}
		t.Fatalf("item %d gone", it.ID)
		return ""
	}
	if post := read(items[0]); !strings.Contains(post, "kept by the fetcher") || strings.Contains(post, "first body") {
		t.Errorf("the publisher did not write the kept body:\n%s", post)
	}
	if post := read(items[1]); !strings.Contains(post, "second body") || strings.Contains(post, "other options") {
		t.Errorf("a body kept under other options was written:\n%s", post)
	}
	if _, err := r.Republish(t.Context(), []feed.Source{a}, nil); err != nil {
		t.Fatal(err)
	}
	if post := read(items[0]); !strings.Contains(post, "first body") {
		t.Errorf("a republish wrote the kept body, not the cleaned one:\n%s", post)
	}
}
