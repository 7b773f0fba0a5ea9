package site_test

import (
	"bytes"
	"database/sql"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/site"
)

// tree reads every page of a built site (the dot files aside).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameSite fails the test when an incrementally built site differs from
// a site built from scratch out of the same store.
func sameSite(t *testing.T, f *fixture, cfg site.Config, dir string) {
	t.Helper()
	fresh := cfg
	fresh.Dir = t.TempDir()
	if _, err := site.Build(t.Context(), f.st, fresh, site.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	got, want := tree(t, dir), tree(t, fresh.Dir)
	for rel, w := range want {
		if g, ok := got[rel]; !ok {
			t.Errorf("%s missing from the incremental site", rel)
		} else if g != w {
			t.Errorf("%s differs from a fresh build:\n%s\nwant:\n%s", rel, g, w)
		}
	}
	for rel := range got {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s is in the incremental site only", rel)
		}
	}
}

// debugLog captures a build's debug messages.
func debugLog() (*bytes.Buffer, *slog.Logger) {
	var buf bytes.Buffer
	return &buf, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Incremental builds reuse the cached item list and the feed entries in
// place; whatever arrives or leaves, the site must be byte for byte the
// one a build from scratch makes.
func TestIncrementalBuildsMatchAFreshBuild(t *testing.T) {
	for _, base := range []string{"https://news.example.org/sub/", ""} {
		t.Run("base="+base, func(t *testing.T) {
			f := standard(t)
			dir := t.TempDir()
			cfg := site.Config{Dir: dir, Title: "新闻", BaseURL: base, PerPage: 3, FeedItems: 4}
			build(t, f, cfg, site.Options{})
			sameSite(t, f, cfg, dir)
			for round := range 4 {
				if round == 2 {
					victim := items(t, f)[0] // built, and in the home page's feed
					if err := f.st.Retire(t.Context(), victim.ID, f.now); err != nil {
						t.Fatal(err)
					}
				}
				f.add(t, round%3, 1+round, time.Duration(round+1)*time.Hour, "r"+string(rune('a'+round)))
				buf, logger := debugLog()
				build(t, f, cfg, site.Options{Logger: logger})
				if strings.Contains(buf.String(), "lists every item") && round != 2 {
					t.Errorf("round %d listed every item:\n%s", round, buf)
				}
				if round == 2 && !strings.Contains(buf.String(), "lists every item") {
					t.Errorf("a retired item did not make the build list every item:\n%s", buf)
				}
				sameSite(t, f, cfg, dir)
			}
		})
	}
}

func TestMemorySiteReusesFeedEntries(t *testing.T) {
	f := standard(t)
	mem := site.NewMemory()
	cfg := site.Config{Memory: mem, Title: "新闻", BaseURL: "https://news.example.org/", PerPage: 3, FeedItems: 4}
	build(t, f, cfg, site.Options{})
	f.add(t, 1, 2, 3*time.Hour, "mem")
	buf, logger := debugLog()
	build(t, f, cfg, site.Options{Logger: logger})
	if strings.Contains(buf.String(), "lists every item") {
		t.Errorf("the memory site listed every item:\n%s", buf)
	}
	ref := cfg
	ref.Memory, ref.Dir = nil, t.TempDir()
	build(t, f, ref, site.Options{})
	h := site.Handler(cfg)
	for rel, want := range tree(t, ref.Dir) {
		if !strings.HasSuffix(rel, ".xml") && !strings.HasSuffix(rel, ".json") {
			continue
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+rel, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s differs in memory:\n%s\nwant:\n%s", rel, got, want)
		}
	}
}

// A damaged, foreign or missing items file only costs a full listing.
func TestItemsFileDamagedOrMissing(t *testing.T) {
	for name, damage := range map[string]func(path string){
		"missing":   func(p string) { os.Remove(p) },
		"truncated": func(p string) { data, _ := os.ReadFile(p); os.WriteFile(p, data[:len(data)/2], 0o644) },
		"flipped": func(p string) {
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 0x40
			os.WriteFile(p, data, 0o644)
		},
		"garbage": func(p string) { os.WriteFile(p, []byte("not a feedmill file\n"), 0o644) },
		"empty":   func(p string) { os.WriteFile(p, nil, 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			f := standard(t)
			dir := t.TempDir()
			cfg := site.Config{Dir: dir, PerPage: 4}
			build(t, f, cfg, site.Options{})
			damage(filepath.Join(dir, site.ItemsName))
			f.add(t, 0, 2, time.Hour, "after")
			buf, logger := debugLog()
			stats, _ := build(t, f, cfg, site.Options{Logger: logger})
			if !strings.Contains(buf.String(), "lists every item") {
				t.Errorf("the build trusted a %s items file:\n%s", name, buf)
			}
			if stats.Posts != 17 {
				t.Errorf("posts = %d, want 17", stats.Posts)
			}
			sameSite(t, f, cfg, dir)
			// The next build has a good file again.
			f.add(t, 1, 1, 2*time.Hour, "later")
			buf, logger = debugLog()
			build(t, f, cfg, site.Options{Logger: logger})
			if strings.Contains(buf.String(), "lists every item") {
				t.Errorf("the repaired items file was not used:\n%s", buf)
			}
			sameSite(t, f, cfg, dir)
		})
	}
}

// Items retired or removed since the last build leave the site although
// the items file still lists them.
func TestRetiredAndRemovedItemsLeaveWithItemsFile(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, PerPage: 4}
	build(t, f, cfg, site.Options{})
	all := items(t, f)
	retired, newest := all[5], all[0]
	for _, m := range all {
		if m.ID > newest.ID {
			newest = m // the highest ID, which SQLite gives again once removed
		}
	}
	if newest.ID == retired.ID {
		retired = all[6]
	}
	if err := f.st.Retire(t.Context(), retired.ID, f.now); err != nil {
		t.Fatal(err)
	}
	stats, _ := build(t, f, cfg, site.Options{})
	if stats.Posts != 14 || stats.PagesRemoved != 1 {
		t.Errorf("after retiring: %+v", stats)
	}
	if _, err := os.Stat(filepath.Join(dir, "posts", retired.Slug+".html")); !os.IsNotExist(err) {
		t.Errorf("the retired item's page is still there: %v", err)
	}
	sameSite(t, f, cfg, dir)

	// The item with the highest ID removed and its ID given to a new
	// item: the count
	// of items up to the cached highest ID is the same.
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM items WHERE id = ?`, newest.ID); err != nil {
		t.Fatal(err)
	}
	f.add(t, 2, 1, 5*time.Hour, "reused")
	var reused bool
	for _, m := range items(t, f) {
		reused = reused || (m.ID == newest.ID && m.Slug != newest.Slug)
	}
	if !reused {
		t.Fatalf("SQLite did not give ID %d again", newest.ID)
	}
	buf, logger := debugLog()
	stats, _ = build(t, f, cfg, site.Options{Logger: logger})
	if !strings.Contains(buf.String(), "lists every item") {
		t.Errorf("a reused ID was not noticed:\n%s", buf)
	}
	if stats.Posts != 14 {
		t.Errorf("after the reused ID: %+v", stats)
	}
	sameSite(t, f, cfg, dir)
}

// A missing or damaged manifest makes the next build render every page
// (and compare each with the disk); the site stays the one a build from
// scratch makes, and the build after uses the manifest it saved.
func TestManifestDamagedOrMissing(t *testing.T) {
	for name, damage := range map[string]func(path string){
		"missing":   func(p string) { os.Remove(p) },
		"truncated": func(p string) { data, _ := os.ReadFile(p); os.WriteFile(p, data[:len(data)/2], 0o644) },
		"flipped": func(p string) {
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 0x40
			os.WriteFile(p, data, 0o644)
		},
		"garbage": func(p string) { os.WriteFile(p, []byte("not a feedmill file\n"), 0o644) },
		"empty":   func(p string) { os.WriteFile(p, nil, 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			f := standard(t)
			dir := t.TempDir()
			cfg := site.Config{Dir: dir, PerPage: 4}
			first, _ := build(t, f, cfg, site.Options{})
			damage(filepath.Join(dir, site.ManifestName))
			f.add(t, 0, 2, time.Hour, "after")
			stats, _ := build(t, f, cfg, site.Options{})
			if stats.PagesRendered != stats.PagesTotal || stats.PagesTotal <= first.PagesTotal {
				t.Errorf("with a %s manifest the build rendered %d of %d pages, want all", name, stats.PagesRendered, stats.PagesTotal)
			}
			sameSite(t, f, cfg, dir)
			again, _ := build(t, f, cfg, site.Options{})
			if again.PagesRendered != 0 || again.PagesWritten != 0 {
				t.Errorf("the repaired manifest was not used: %+v", again)
			}
			f.add(t, 1, 1, 2*time.Hour, "later")
			build(t, f, cfg, site.Options{})
			sameSite(t, f, cfg, dir)
		})
	}
}

// A site built by an earlier version has a text manifest: the next build
// reads it and renders only what changed.
func TestTextManifestStillRead(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, PerPage: 4}
	build(t, f, cfg, site.Options{})
	// Rewrite the binary manifest in the old text format.
	path := filepath.Join(dir, site.ManifestName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := site.ManifestAsText(t, data)
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	again, _ := build(t, f, cfg, site.Options{})
	if again.PagesRendered != 0 || again.PagesWritten != 0 {
		t.Errorf("a text manifest was not used: %+v", again)
	}
	f.add(t, 1, 1, time.Hour, "new")
	build(t, f, cfg, site.Options{})
	sameSite(t, f, cfg, dir)
}

// The list entries of the items on top pages are cached: a new item's
// build reads only the new item from the store, not the items beside it,
// and a damaged or missing entries file only means reading them.
func TestEntriesFile(t *testing.T) {
	for name, damage := range map[string]func(path string){
		"intact":    func(string) {},
		"missing":   func(p string) { os.Remove(p) },
		"truncated": func(p string) { data, _ := os.ReadFile(p); os.WriteFile(p, data[:len(data)/2], 0o644) },
		"flipped": func(p string) {
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 0x40
			os.WriteFile(p, data, 0o644)
		},
		"garbage": func(p string) { os.WriteFile(p, []byte("not a feedmill file\n"), 0o644) },
		"empty":   func(p string) { os.WriteFile(p, nil, 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			f := standard(t)
			dir := t.TempDir()
			cfg := site.Config{Dir: dir, PerPage: 4, FeedItems: 2}
			build(t, f, cfg, site.Options{})
			damage(filepath.Join(dir, site.EntriesName))
			f.add(t, 0, 2, time.Hour, "after")
			buf, logger := debugLog()
			build(t, f, cfg, site.Options{Logger: logger})
			cached := !strings.Contains(buf.String(), "cached=0")
			if want := name == "intact"; cached != want {
				t.Errorf("entries served from a %s file: %v, want %v\n%s", name, cached, want, buf)
			}
			sameSite(t, f, cfg, dir)
			// The next build has a good file again.
			f.add(t, 1, 1, 2*time.Hour, "later")
			buf, logger = debugLog()
			build(t, f, cfg, site.Options{Logger: logger})
			if strings.Contains(buf.String(), "cached=0") {
				t.Errorf("the repaired entries file was not used:\n%s", buf)
			}
			sameSite(t, f, cfg, dir)
		})
	}
}
