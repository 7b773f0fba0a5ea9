package refresh_test

import (
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/refresh"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

func TestAdoptRenamed(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := func(channel, url string) feed.Source {
		return feed.Source{Group: "g", Name: "s", Channel: channel, URL: "https://x.example.com" + url}
	}
	old, _ := st.EnsureSource(ctx, src("old", "/a"))
	gone, _ := st.EnsureSource(ctx, src("gone", "/b"))
	shared, _ := st.EnsureSource(ctx, src("shared", "/c"))

	// Only "shared" is due in this call, but every configured source is
	// given: a configured row is never taken, whatever is due.
	configured := []feed.Source{src("new", "/a"), src("shared", "/c"), src("fresh", "/c"), src("other", "/d")}
	renamed, err := refresh.AdoptRenamed(ctx, st, configured)
	if err != nil {
		t.Fatal(err)
	}
	if len(renamed) != 1 || renamed[0] != (refresh.Renamed{From: "g/s/old", To: "g/s/new"}) {
		t.Fatalf("renamed %+v, want g/s/old to g/s/new only", renamed)
	}
	rows, _ := st.Sources(ctx)
	byKey := map[string]int64{}
	for _, r := range rows {
		byKey[r.Key] = r.ID
	}
	if byKey["g/s/new"] != old.ID || byKey["g/s/gone"] != gone.ID || byKey["g/s/shared"] != shared.ID || len(rows) != 3 {
		t.Errorf("rows after: %v", byKey)
	}
	// Again: nothing left to rename.
	if again, err := refresh.AdoptRenamed(ctx, st, configured); err != nil || len(again) != 0 {
		t.Errorf("second call renamed %+v, %v", again, err)
	}
}
