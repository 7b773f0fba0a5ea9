package refresh_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/publish/hexo"
	"github.com/feedmill/feedmill/internal/publish/hugo"
	"github.com/feedmill/feedmill/internal/publish/jekyll"
	"github.com/feedmill/feedmill/internal/refresh"
)

// Every format keeps the core guarantees: one file per item, no file
// written twice, no churn on a rerun, a file feedmill did not write never
// overwritten, retention deleting only its own unchanged files, and
// --republish bringing back a deleted post.
func TestEveryFormatKeepsTheGuarantees(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	for _, tc := range []struct {
		name   string
		format refresh.Format
		// path is where item n's post goes, relative to the output
		// folder; path2 where it goes when a file is in the way.
		path, path2 func(n int, date time.Time) string
	}{
		{"hexo", hexo.Format{},
			func(n int, _ time.Time) string { return "新闻/示例/要闻/" + testItem{n: n}.title() + ".md" },
			func(n int, _ time.Time) string { return "新闻/示例/要闻/" + testItem{n: n}.title() + "-2.md" }},
		{"hugo", hugo.Format{},
			func(n int, _ time.Time) string {
				return "posts/新闻/示例/要闻/" + testItem{n: n}.title() + ".html"
			},
			func(n int, _ time.Time) string {
				return "posts/新闻/示例/要闻/" + testItem{n: n}.title() + "-2.html"
			}},
		{"jekyll", jekyll.Format{},
			func(n int, d time.Time) string {
				return d.Format("2006-01-02") + "-" + testItem{n: n}.title() + ".html"
			},
			func(n int, d time.Time) string {
				return d.Format("2006-01-02") + "-" + testItem{n: n}.title() + "-2.html"
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			r := newRunner(t, out)
			r.Outputs[0].Format = tc.format
			items := days(now, 1, 4)
			host := newFeedHost(t, items...)
			abs := func(rel string) string { return filepath.Join(out, filepath.FromSlash(rel)) }

			// A file feedmill did not write sits at item 4's path.
			foreign := abs(tc.path(4, items[3].date))
			if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(foreign, []byte("my own page\n"), 0o644); err != nil {
				t.Fatal(err)
			}

			src := host.source(feed.Retention{Count: 3})
			checkCounts(t, runOnce(t, r, src), 3, 1, 0, 0) // item 1 is beyond the keep of 3: never written
			want := []string{tc.path(2, items[1].date), tc.path(3, items[2].date), tc.path2(4, items[3].date), tc.path(4, items[3].date)}
			if got := posts(t, out); !slices.Equal(sorted(got), sorted(want)) {
				t.Fatalf("files %q, want %q", got, want)
			}
			if data, _ := os.ReadFile(foreign); string(data) != "my own page\n" {
				t.Errorf("the file feedmill did not write was changed: %q", data)
			}

			// A rerun writes nothing.
			before := modTimes(t, out)
			checkCounts(t, runOnce(t, r, src), 0, 0, 0, 0)
			if after := modTimes(t, out); !maps(before, after) {
				t.Errorf("a rerun touched files")
			}

			// Item 5 pushes item 2 out: its file goes; item 3's, edited,
			// stays when item 6 pushes it out.
			edited := abs(tc.path(3, items[2].date))
			if err := os.WriteFile(edited, append(readFile(t, edited), "<p>my note</p>\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
			items = days(now, 1, 6)
			host.set(items...)
			checkCounts(t, runOnce(t, r, src), 2, 2, 1, 1)
			if _, err := os.Stat(abs(tc.path(2, items[1].date))); !os.IsNotExist(err) {
				t.Errorf("item 2's post was not removed: %v", err)
			}
			if _, err := os.Stat(edited); err != nil {
				t.Errorf("the edited post was removed: %v", err)
			}
			if _, err := os.Stat(foreign); err != nil {
				t.Errorf("the file feedmill did not write was removed: %v", err)
			}

			// --republish brings back a post deleted by hand.
			gone := abs(tc.path(6, items[5].date))
			wantBytes := readFile(t, gone)
			if err := os.Remove(gone); err != nil {
				t.Fatal(err)
			}
			results, err := r.Republish(t.Context(), []feed.Source{src}, nil)
			if err != nil || results[0].Err != nil {
				t.Fatalf("republish: %v %v", err, results[0].Err)
			}
			if got := readFile(t, gone); string(got) != string(wantBytes) {
				t.Errorf("republished post differs")
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func modTimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, rel := range posts(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		out[rel] = fi.ModTime()
	}
	return out
}

func maps(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !b[k].Equal(v) {
			return false
		}
	}
	return true
}

// Changing an output's format (or folder) makes a new output, written
// in full; the old output's files stay where they are, feedmill's still:
// retention deletes them as it deletes the new output's.
func TestFormatChangeIsANewOutput(t *testing.T) {
	out := t.TempDir()
	r := newRunner(t, out)
	now := time.Now()
	host := newFeedHost(t, days(now, 1, 2)...)
	src := host.source(feed.Retention{})
	runOnce(t, r, src)
	hexoPosts := posts(t, out)
	if len(hexoPosts) != 2 {
		t.Fatalf("hexo files %q", hexoPosts)
	}

	site := t.TempDir()
	h := withOutputs(r, refresh.Output{Dir: site, Format: hugo.Format{}, Name: site})
	if res := runOnce(t, h, src); res.Posts != 2 {
		t.Errorf("the new output got %d posts, want 2", res.Posts)
	}
	if got := posts(t, site); len(got) != 2 || !strings.HasSuffix(got[0], ".html") {
		t.Errorf("hugo files %q", got)
	}
	if got := posts(t, out); !slices.Equal(got, hexoPosts) {
		t.Errorf("the old output's files are now %q, were %q", got, hexoPosts)
	}
	if res := runOnce(t, h, src); res.Posts != 0 {
		t.Errorf("a rerun wrote %d posts", res.Posts)
	}
	// Keep 1: the older item goes from both folders.
	src.Retain = feed.Retention{Count: 1}
	res := runOnce(t, h, src)
	if res.Retired != 1 || res.Removed != 2 {
		t.Errorf("retention retired %d, removed %d files; want 1 and 2", res.Retired, res.Removed)
	}
	if got := posts(t, out); len(got) != 1 {
		t.Errorf("old output after retention: %q", got)
	}
	if got := posts(t, site); len(got) != 1 {
		t.Errorf("new output after retention: %q", got)
	}
}
