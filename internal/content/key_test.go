package content

import (
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
)

// Key tells apart every setting Process's output depends on, and gives the
// same key however often it is asked (it remembers the keys it made).
func TestKey(t *testing.T) {
	opts := []Options{
		{},
		{ImageProxy: "https://proxy.example/?u="},
		{Style: StyleDrop},
		{Style: StyleKeep},
		{BaseURL: "https://news.example/a/"},
		{BaseURL: "https://news.example/b/"},
		{ImageProxy: "https://proxy.example/?u=", Style: StyleKeep, BaseURL: "https://news.example/a/"},
	}
	seen := map[string]int{}
	for i, o := range opts {
		k := o.Key()
		if j, ok := seen[k]; ok {
			t.Errorf("options %d and %d share the key %s", j, i, k)
		}
		seen[k] = i
		if again := o.Key(); again != k {
			t.Errorf("options %d: key %s, then %s", i, k, again)
		}
		if fresh := (keyOf{o.ImageProxy, o.Style, o.BaseURL}).hash(); fresh != k {
			t.Errorf("options %d: remembered key %s, made anew %s", i, k, fresh)
		}
	}
	// The default style is StyleScope, so the two spellings are one key;
	// enclosures are per item and not part of it.
	if (Options{}).Key() != (Options{Style: StyleScope}).Key() {
		t.Error(`Style "" and StyleScope differ in key`)
	}
	if (Options{}).Key() != (Options{Enclosures: []feed.Enclosure{{URL: "https://news.example/a.mp3", Type: "audio/mpeg"}}}).Key() {
		t.Error("enclosures change the key")
	}
}
