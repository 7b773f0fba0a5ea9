package refresh

import (
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store"
)

// TestPostContentOptions: a source's own content options win over the
// global ones, and the item's enclosures reach the body.
func TestPostContentOptions(t *testing.T) {
	a := feed.Source{Group: "g", Name: "a", Channel: "c"}
	b := feed.Source{Group: "g", Name: "b", Channel: "c"}
	r := &Runner{
		Content:       content.Options{ImageProxy: "https://global.example/?u="},
		SourceContent: map[string]content.Options{b.Key(): {ImageProxy: "https://b.example/?u="}},
	}
	it := store.Item{Item: feed.Item{
		Link:       "http://news.example/1.html",
		Content:    `<p><img src="/1.jpg"></p>`,
		Enclosures: []feed.Enclosure{{URL: "http://news.example/1.mp3", Type: "audio/mpeg"}},
	}}
	for _, tc := range []struct {
		src  feed.Source
		want string
	}{
		{a, "https://global.example/?u=http://news.example/1.jpg"},
		{b, "https://b.example/?u=http://news.example/1.jpg"},
	} {
		p := r.Post(tc.src, it)
		if p.Image != tc.want {
			t.Errorf("%s: headimg %q, want %q", tc.src.Key(), p.Image, tc.want)
		}
		if !strings.Contains(p.Body, `<audio controls preload="none" src="http://news.example/1.mp3"></audio>`) {
			t.Errorf("%s: the enclosure is missing from the body:\n%s", tc.src.Key(), p.Body)
		}
	}
}
