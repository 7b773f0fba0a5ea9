package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// A store from before outputs keeps its posts: the items' post columns
// become the records of its one output, in the format the output_format
// setting named, and the first run's EnsureOutput of that format names
// the output. An output of another format starts empty.
func TestMigrationMakesTheOneOutput(t *testing.T) {
	for _, c := range []struct {
		name, setting, format string
	}{
		{"recorded format", "hugo", "hugo"},
		{"from before formats were recorded", "", "hexo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "feedmill.db")
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range migrations[:6] {
				if err := m(t.Context(), tx); err != nil {
					t.Fatal(err)
				}
			}
			setting := ""
			if c.setting != "" {
				setting = fmt.Sprintf(`INSERT INTO settings (name, value) VALUES ('output_format', '%s');`, c.setting)
			}
			if _, err := tx.Exec(`
INSERT INTO sources (id, key, url, created_at) VALUES (1, 'g/s/c', 'https://example.com/feed', 0);
INSERT INTO items (id, source_id, identity, guid, link, title, author, content, image, categories, enclosures, first_seen_at, random_n, post_path, posted_at, post_hash)
VALUES (1, 1, 'guid:1', '1', '', 'One', '', '', '', '', '', 0, 1, 'g/s/c/One.md', 5, 'h1'),
       (2, 1, 'guid:2', '2', '', 'Two', '', '', '', '', '', 0, 1, 'g/s/c/Two.md', NULL, ''),
       (3, 1, 'guid:3', '3', '', 'Three', '', '', '', '', '', 0, 1, NULL, NULL, '');
PRAGMA user_version = 6;` + setting); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			db.Close()

			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			other := "hexo"
			if c.format == "hexo" {
				other = "jekyll"
			}
			fresh, err := s.EnsureOutput(t.Context(), other, "site")
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.EnsureOutput(t.Context(), c.format, "posts")
			if err != nil || out.ID == fresh.ID {
				t.Fatalf("EnsureOutput = %+v, %v", out, err)
			}
			items, err := s.Items(t.Context(), 1, out.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, it := range items {
				got += fmt.Sprintf("%s:%v:%s:%s ", it.Title, it.Posted, it.PostPath, it.PostHash)
			}
			if want := "One:true:g/s/c/One.md:h1 Two:false:g/s/c/Two.md: Three:false:: "; got != want {
				t.Errorf("records of the store's output: %q, want %q", got, want)
			}
			if unposted, err := s.Items(t.Context(), 1, fresh.ID, true); err != nil || len(unposted) != 3 {
				t.Errorf("a new output has %d items to write, %v; want 3", len(unposted), err)
			}
			if _, err := s.Setting(t.Context(), "output_format"); err == nil {
				t.Error("the output_format setting is left")
			}
		})
	}
}
