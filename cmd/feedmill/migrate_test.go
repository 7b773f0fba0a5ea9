package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/store"
	"github.com/feedmill/feedmill/internal/store/backend"
	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// tree is every file under dir but the SQLite store's, with its bytes
// and modification time.
type tree map[string]string

func snapshot(t *testing.T, dir string) tree {
	t.Helper()
	out := tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(d.Name(), ".db") || strings.HasSuffix(d.Name(), ".yaml") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = info.ModTime().Format(time.RFC3339Nano) + "\n" + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (a tree) diff(b tree) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "removed "+k)
		} else if v != w {
			d = append(d, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "added "+k)
		}
	}
	return d
}

// withStore writes a copy of the configuration at cfg, beside it, with
// store: set to dsn.
func withStore(t *testing.T, cfg, name, dsn string) string {
	t.Helper()
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = regexp.MustCompile(`(?m)^store: \S+`).ReplaceAll(data, []byte("store: "+dsn))
	path := filepath.Join(filepath.Dir(cfg), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func exportRows(t *testing.T, dsn string) []store.Row {
	t.Helper()
	st, err := backend.OpenExisting(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rows []store.Row
	if _, err := st.(store.Copier).Export(t.Context(), func(r store.Row) error {
		rows = append(rows, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

// The example's SQLite store goes to PostgreSQL and back: every row comes
// back as it was, and on each store feedmill run finds nothing new and
// feedmill build changes no page; posts and site stay byte for byte.
func TestMigrateSQLiteToPostgresAndBack(t *testing.T) {
	pg := pgtest.Database(t)
	dir := t.TempDir()
	for _, name := range []string{"feedmill.yaml", "feeds"} {
		copyTree(t, filepath.Join("../../examples", name), filepath.Join(dir, name))
	}
	cfg := filepath.Join(dir, "feedmill.yaml")
	// The image proxy's key is generated into the store's settings,
	// beside the format of its posts.
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("\nimage_proxy: builtin\n")...), 0o644)
	for _, cmd := range []string{"run", "build"} {
		if code, out, errOut := runCLI(t, cmd, "--config", cfg); code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", cmd, code, out, errOut)
		}
	}
	before := snapshot(t, dir)
	dbs, _ := filepath.Glob(filepath.Join(dir, "*", "feedmill.db"))
	if len(dbs) != 1 {
		t.Fatalf("the example's store: %v", dbs)
	}
	keepAsEdits(t, dbs[0])
	original := exportRows(t, dbs[0])

	code, out, errOut := runCLI(t, "migrate", "--config", cfg, "--to", pg)
	if code != 0 || !strings.Contains(out, "copied 4 sources, 5 items, 1 outputs, 5 posts") || !strings.Contains(out, " 1 settings") {
		t.Fatalf("migrate to PostgreSQL: exit %d\n%s\n%s", code, out, errOut)
	}
	onPG := withStore(t, cfg, "pg.yaml", pg)
	back := filepath.Join(dir, "back", "feedmill.db")
	for _, step := range []struct{ cfg, then string }{{onPG, back}, {withStore(t, cfg, "back.yaml", back), ""}} {
		code, out, _ := runCLI(t, "run", "--config", step.cfg)
		if code != 0 || !strings.Contains(out, " 0 new posts in") {
			t.Errorf("%s: run after migrating: exit %d\n%s", filepath.Base(step.cfg), code, out)
		}
		code, out, _ = runCLI(t, "build", "--config", step.cfg)
		if code != 0 || !strings.Contains(out, "site: 0 of ") {
			t.Errorf("%s: build after migrating: exit %d\n%s", filepath.Base(step.cfg), code, out)
		}
		if d := before.diff(snapshot(t, dir)); len(d) > 0 {
			t.Errorf("%s: files changed after migrating: %v", filepath.Base(step.cfg), d)
		}
		if step.then != "" {
			if code, out, errOut := runCLI(t, "migrate", "--config", step.cfg, "--to", step.then); code != 0 {
				t.Fatalf("migrate back: exit %d\n%s\n%s", code, out, errOut)
			}
		}
	}
	// The runs after the copies changed the sources' fetch times only.
	got := exportRows(t, back)
	if len(got) != len(original) {
		t.Fatalf("%d rows came back, %d went", len(got), len(original))
	}
	for i := range original {
		if original[i].Source != nil {
			a, b := *original[i].Source, *got[i].Source
			a.LastSuccess, b.LastSuccess, a.Schedule, b.Schedule = time.Time{}, time.Time{}, store.Schedule{}, store.Schedule{}
			if a != b {
				t.Errorf("source came back as\n%+v\nwent as\n%+v", b, a)
			}
			continue
		}
		if !reflect.DeepEqual(original[i], got[i]) {
			t.Errorf("row %d came back as %+v, went as %+v", i, deref(got[i]), deref(original[i]))
		}
	}

	// The target must be empty.
	code, _, errOut = runCLI(t, "migrate", "--config", cfg, "--to", pg)
	if code != exitProblem || !strings.Contains(errOut, "already holds a store") {
		t.Errorf("migrate into a store with rows: exit %d, %s", code, errOut)
	}
}

// keepAsEdits gives the store's first item a body kept as edits to its
// content (store.Prepared.Edits), which the example's bodies, unchanged
// by cleaning, do not have: the copies must carry those too.
func keepAsEdits(t *testing.T, db string) {
	t.Helper()
	var item *store.ItemRow
	for _, r := range exportRows(t, db) {
		if r.Item != nil {
			item = r.Item
			break
		}
	}
	if item == nil {
		t.Fatal("no item in the example's store")
	}
	p := store.NewPrepared(item.ID, "edited", item.Content, item.Content+"<p>edited</p>", "")
	if p.Edits == nil {
		t.Fatalf("item %d's %d-byte body: no edits", item.ID, len(item.Content))
	}
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetPrepared(t.Context(), []store.Prepared{p}); err != nil {
		t.Fatal(err)
	}
}

func deref(r store.Row) any {
	switch {
	case r.Source != nil:
		return *r.Source
	case r.Item != nil:
		return *r.Item
	case r.Prepared != nil:
		return *r.Prepared
	}
	return *r.Setting
}

// A copy that fails half-way (PostgreSQL refuses a NUL byte that SQLite
// took) leaves the target empty.
func TestMigrateFailureLeavesTargetEmpty(t *testing.T) {
	pg := pgtest.Database(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "feedmill.db")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSetting(t.Context(), "a", "fine"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSetting(t.Context(), "z", "nul\x00byte"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(cfg, []byte("store: feedmill.db\nsources:\n  - {group: g, source: s, channel: c, url: http://127.0.0.1:1/}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "migrate", "--config", cfg, "--to", pg)
	if code != exitProblem || !strings.Contains(errOut, "left empty") {
		t.Fatalf("exit %d, %s", code, errOut)
	}
	if rows := exportRows(t, pg); len(rows) != 0 {
		t.Errorf("a failed copy left %d rows: %+v", len(rows), rows)
	}
	if code, _, errOut := runCLI(t, "migrate", "--config", cfg); code != exitUsage || !strings.Contains(errOut, "--to") {
		t.Errorf("no --to: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "migrate", "--config", cfg, "--to", db); code != exitUsage || !strings.Contains(errOut, "own store") {
		t.Errorf("--to the store itself: exit %d, %s", code, errOut)
	}
}
