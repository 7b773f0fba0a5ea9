package site

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/store"
)

func TestItemsFileRoundTrip(t *testing.T) {
	at := time.Date(2025, 6, 1, 8, 0, 0, 123, time.UTC)
	st := itemState{maxID: 9, items: []store.ItemMeta{
		{ID: 9, SourceID: 2, Slug: "新闻-abc", Published: at, FirstSeen: at.Add(time.Minute)},
		{ID: 3, SourceID: 1, Slug: "x", FirstSeen: at.Add(-time.Hour)}, // no feed date
	}}
	data := encodeItems(st)
	got, err := decodeItems(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, st)
	}
	// Every cut and every flipped byte is noticed.
	for i := range data {
		if _, err := decodeItems(data[:i]); err == nil {
			t.Errorf("a file cut at %d bytes was taken", i)
		}
		bad := append([]byte(nil), data...)
		bad[i] ^= 1
		if _, err := decodeItems(bad); err == nil {
			t.Errorf("a file with byte %d flipped was taken", i)
		}
	}
}

func TestMergeNewest(t *testing.T) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	m := func(id int64, h int) store.ItemMeta {
		return store.ItemMeta{ID: id, Slug: "s", FirstSeen: at.Add(time.Duration(h) * time.Hour)}
	}
	old := []store.ItemMeta{m(2, 5), m(1, 5), m(3, 1)}
	added := []store.ItemMeta{m(5, 0), m(4, 9), m(6, 5)} // not in order
	var ids []int64
	for _, x := range mergeNewest(old, added) {
		ids = append(ids, x.ID)
	}
	if want := []int64{4, 6, 2, 1, 3, 5}; !reflect.DeepEqual(ids, want) {
		t.Errorf("merged %v, want %v", ids, want)
	}
	// An item still without a slug stops the cached state below it.
	st := stateOf([]store.ItemMeta{m(7, 9), {ID: 6, FirstSeen: at}, m(5, 1), m(4, 0)})
	if st.maxID != 5 || len(st.items) != 2 {
		t.Errorf("state = %+v", st)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := manifest{"index.html": 1, "posts/新闻-abc.html": 1<<64 - 1, "categories/a b/page/12.html": 0x0123456789abcdef}
	data := formatManifest(m)
	got, err := parseManifest(bytes.Clone(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip: %v, want %v", got, m)
	}
	if got, err := parseManifest(formatManifest(manifest{})); err != nil || len(got) != 0 {
		t.Errorf("empty manifest: %v, %v", got, err)
	}
	// Every cut and every flipped byte is noticed.
	for i := range data {
		if _, err := parseManifest(bytes.Clone(data[:i])); err == nil {
			t.Errorf("a manifest cut at %d bytes was taken", i)
		}
		bad := bytes.Clone(data)
		bad[i] ^= 1
		if _, err := parseManifest(bad); err == nil {
			t.Errorf("a manifest with byte %d flipped was taken", i)
		}
	}
	// The text manifest of earlier versions is still read.
	text := manifestHead + "\n1 index.html\nffffffffffffffff posts/新闻-abc.html\n123456789abcdef categories/a b/page/12.html\n"
	if got, err := parseManifest([]byte(text)); err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("text manifest: %v, %v", got, err)
	}
}

func TestEntriesFileRoundTrip(t *testing.T) {
	m := map[int64]cachedEntry{
		9: {fp: 1<<64 - 1, title: "新闻 标题", excerpt: "正文开头……", image: "https://img.example.org/a.jpg",
			html: `<li class="entry"><a href="/posts/a.html">新闻 标题</a></li>`},
		3: {fp: 7},
	}
	data := encodeEntries(m)
	got, err := decodeEntries(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip: %+v, want %+v", got, m)
	}
	for i := range data {
		if _, err := decodeEntries(data[:i]); err == nil {
			t.Errorf("a file cut at %d bytes was taken", i)
		}
		bad := bytes.Clone(data)
		bad[i] ^= 1
		if _, err := decodeEntries(bad); err == nil {
			t.Errorf("a file with byte %d flipped was taken", i)
		}
	}
}

// The marker goes "building" → "built in boot <id>" without a sync, and
// where the boot cannot be named, "building" → gone after a sync.
func TestBuildMarker(t *testing.T) {
	for _, boot := range []string{"", "boot-1"} {
		t.Run("boot="+boot, func(t *testing.T) {
			dir := t.TempDir()
			o := &diskOutput{dir: dir, tmpPrefix: ".feedmill-test-", boot: boot, marker: readMarker(dir, boot)}
			if o.marker != markerNone {
				t.Fatalf("empty folder: marker %d", o.marker)
			}
			if _, err := o.write("posts/a.html", []byte("a"), false, true); err != nil {
				t.Fatal(err)
			}
			if got := readMarker(dir, boot); got != markerUntrusted {
				t.Errorf("while building: marker %d, want untrusted", got)
			}
			if err := o.saveManifest(manifest{"posts/a.html": 1}); err != nil {
				t.Fatal(err)
			}
			want := markerThisBoot
			if boot == "" {
				want = markerNone
			}
			if got := readMarker(dir, boot); got != want {
				t.Errorf("after the build: marker %d, want %d", got, want)
			}
			if boot != "" {
				if got := readMarker(dir, "boot-2"); got != markerUntrusted {
					t.Errorf("after a restart: marker %d, want untrusted", got)
				}
				if _, ok, err := (&diskOutput{dir: dir, marker: readMarker(dir, "boot-2")}).loadManifest(); ok || err != nil {
					t.Errorf("after a restart the manifest was trusted (%v)", err)
				}
			}
			if names, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(names) > 0 {
				t.Errorf("temp files left: %q", names)
			}
		})
	}
}
