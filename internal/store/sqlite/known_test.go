package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func TestKnownIdentities(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "a", URL: "https://example.com/a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.EnsureSource(ctx, feed.Source{Group: "g", Name: "s", Channel: "b", URL: "https://example.com/b"})
	if err != nil {
		t.Fatal(err)
	}
	// More items than one query's chunk, to cross its boundary.
	var items []feed.Item
	for i := range 1200 {
		items = append(items, feed.Item{GUID: fmt.Sprint(i), Title: "t"})
	}
	if _, err := st.AddItems(ctx, a.ID, items, time.Now()); err != nil {
		t.Fatal(err)
	}
	ask := []string{"guid:0", "guid:599", "guid:1199", "guid:1200", "link:x"}
	for i := range 1000 {
		ask = append(ask, fmt.Sprintf("guid:%d", 5000+i))
	}
	known, err := st.KnownIdentities(ctx, a.ID, ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 3 || !known["guid:0"] || !known["guid:599"] || !known["guid:1199"] {
		t.Errorf("known = %v", known)
	}
	if known, err := st.KnownIdentities(ctx, b.ID, ask); err != nil || len(known) != 0 {
		t.Errorf("other source: %v, %v", known, err)
	}
	if known, err := st.KnownIdentities(ctx, a.ID, nil); err != nil || len(known) != 0 {
		t.Errorf("no identities: %v, %v", known, err)
	}
}
