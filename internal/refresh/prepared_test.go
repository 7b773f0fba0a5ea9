package refresh_test

import (
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
