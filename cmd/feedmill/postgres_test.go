package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
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
	before := data
	data = regexp.MustCompile(`(?m)^store: \S+`).ReplaceAll(data, []byte("store: "+dsn))
	if bytes.Equal(before, data) {
		t.Fatal("the example names no store: to replace")
	}
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
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "*", "source", "_posts", "新媒体", "观察者网", "头条", "*.md"))
	found := false
	for _, m := range matches {
		if b, _ := os.ReadFile(m); bytes.Equal(b, want) {
			found = true
		}
	}
	if !found {
		t.Errorf("the golden post is not among %v", matches)
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
