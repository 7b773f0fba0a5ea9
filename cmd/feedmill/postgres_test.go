package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/store/postgres/pgtest"
)

// exampleWithStore copies the README's offline example into a folder of
// its own with store: set to dsn, and returns its configuration's path.
func exampleWithStore(t *testing.T, dsn string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"feedmill.yaml", "feeds"} {
		copyTree(t, filepath.Join("../../examples", name), filepath.Join(dir, name))
	}
	cfg := filepath.Join(dir, "feedmill.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("store: feedmill.db"), []byte("store: "+dsn), 1)
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The example runs on PostgreSQL as on SQLite: the same golden post, and
// a second run that finds nothing new.
func TestRunExampleOnPostgres(t *testing.T) {
	cfg := exampleWithStore(t, pgtest.Database(t))
	code, out, errOut := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	want, _ := os.ReadFile("../../testdata/golden/guancha-headline.md")
	got, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "site/source/_posts/新媒体/观察者网/头条", "国务院联防联控机制：春节期间疫情防控形势总体平稳.md"))
	if err != nil {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "site/source/_posts/新媒体/观察者网/头条/*.md"))
		for _, m := range matches {
			if b, _ := os.ReadFile(m); bytes.Equal(b, want) {
				got, err = b, nil
			}
		}
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the golden post is not among the posts (%v)", err)
	}
	code, out, _ = runCLI(t, "run", "--config", cfg)
	if code != 0 || !strings.Contains(out, " 0 new posts in") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "sources", "--config", cfg)
	if code != 0 || !strings.Contains(out, "新媒体/观察者网/头条") {
		t.Errorf("sources: exit %d\n%s", code, out)
	}
}
