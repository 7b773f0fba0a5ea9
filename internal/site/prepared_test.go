package site_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
)

// TestPreparedBodiesMakeTheSamePages: a build that takes the bodies the
// refresh kept writes the very pages of one that cleans every body
// itself; a body kept with other options is not taken.
func TestPreparedBodiesMakeTheSamePages(t *testing.T) {
	f := standard(t)
	pod := feed.Item{GUID: "ep1", Link: "https://pod.example/ep1", Title: "第一期：新闻播客", Content: `<p>本期节目<img data-src="/cover.jpg"></p><script>x()</script>`,
		Published: f.now.Add(-time.Hour), Enclosures: []feed.Enclosure{{URL: "https://pod.example/ep1.mp3", Type: "audio/mpeg"}}}
	if _, err := f.st.InsertItems(t.Context(), f.ids[0], []feed.Item{pod}, 0, nil, f.now); err != nil {
		t.Fatal(err)
	}
	opts := content.Options{ImageProxy: "https://proxy.example/?u="}
	cfg := func(dir string) site.Config { return site.Config{Dir: dir, Content: opts} }

	cleaned := t.TempDir()
	build(t, f, cfg(cleaned), site.Options{})

	// Keep every body as a refresh with the site's options would.
	all := items(t, f)
	ids := make([]int64, len(all))
	for i, m := range all {
		ids[i] = m.ID
	}
	var kept []store.Prepared
	if err := f.st.ItemContents(t.Context(), ids, "", func(m store.ItemMeta, b store.ItemBody) error {
		o := opts
		o.Enclosures = b.Enclosures
		r := content.Process(b.Content, m.Link, o)
		kept = append(kept, store.Prepared{ItemID: m.ID, Key: o.Key(), HTML: r.HTML, Image: r.Image})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetPrepared(t.Context(), kept); err != nil {
		t.Fatal(err)
	}
	prepared := t.TempDir()
	build(t, f, cfg(prepared), site.Options{})
	if diff := compareTrees(t, cleaned, prepared); diff != "" {
		t.Fatalf("the pages differ: %s", diff)
	}

	// The kept body is what the page shows; one kept with other options
	// is not.
	marked := []store.Prepared{
		{ItemID: all[0].ID, Key: opts.Key(), HTML: "<p>KEPT-BODY</p>"},
		{ItemID: all[1].ID, Key: content.Options{}.Key(), HTML: "<p>OTHER-OPTIONS</p>"},
	}
	if err := f.st.SetPrepared(t.Context(), marked); err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	build(t, f, cfg(again), site.Options{})
	if post := read(t, again, "posts/"+all[0].Slug+".html"); !strings.Contains(post, "<p>KEPT-BODY</p>") {
		t.Errorf("the kept body is not on its page:\n%s", post)
	}
	if got, want := read(t, again, "posts/"+all[1].Slug+".html"), read(t, cleaned, "posts/"+all[1].Slug+".html"); got != want {
		t.Errorf("a body kept with other options was taken:\n%s", got)
	}
}

// compareTrees returns "" when the two built sites hold the same pages
// with the same bytes (see tree), else the first difference.
func compareTrees(t *testing.T, a, b string) string {
	t.Helper()
	fa, fb := tree(t, a), tree(t, b)
	if len(fa) < 10 {
		t.Fatalf("only %d files in %s", len(fa), a)
	}
	for rel, data := range fa {
		other, ok := fb[rel]
		if !ok {
			return rel + " is missing"
		}
		if other != data {
			return rel + " differs"
		}
	}
	if len(fa) != len(fb) {
		return "file counts differ"
	}
	return ""
}
