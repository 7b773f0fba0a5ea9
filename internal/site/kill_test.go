//go:build unix

package site_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// A build killed half-way (kill -9: temp files, pages created in place,
// the manifest of the build before) leaves a site the next build repairs
// to exactly what a build from scratch makes.
func TestKilledBuildIsRepaired(t *testing.T) {
	const after = 40 // pages written before the kill
	if dir := os.Getenv("FEEDMILL_TEST_KILL_DIR"); dir != "" {
		st, err := sqlite.Open(t.Context(), os.Getenv("FEEDMILL_TEST_KILL_STORE"))
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		opts := site.Options{OnWrite: func(string) {
			if n.Add(1) == after {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}}
		site.Build(t.Context(), st, site.Config{Dir: dir, PerPage: 2}, opts)
		t.Fatal("the build was not killed")
	}
	f := standard(t)
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, PerPage: 2}
	build(t, f, cfg, site.Options{})
	f.add(t, 0, 30, 5*time.Hour, "killed")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledBuildIsRepaired$")
	cmd.Env = append(os.Environ(), "FEEDMILL_TEST_KILL_DIR="+dir, "FEEDMILL_TEST_KILL_STORE="+f.path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child build: %v\n%s", err, out)
	}
	stats, _ := build(t, f, cfg, site.Options{})
	if stats.PagesRendered != stats.PagesTotal {
		t.Errorf("the build after a killed one trusted the manifest: %+v", stats)
	}
	sameSite(t, f, cfg, dir)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			t.Errorf("temp file left: %s", p)
		}
		return err
	})
	if again, _ := build(t, f, cfg, site.Options{}); again.PagesRendered != 0 {
		t.Errorf("the build after the repair was not trusted: %+v", again)
	}
}
