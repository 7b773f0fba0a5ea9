// Package hexotest runs the real Hexo over posts feedmill wrote. It finds
// the pinned Hexo tree that .ci/deps/hexo.sh installs from testdata/hexo,
// makes a Hexo site from that template in a folder of the caller's, and
// runs `hexo generate` in it. The tests beside it and bench/hexo use it.
package hexotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// DirEnv names the environment variable that overrides where
// .ci/deps/hexo.sh installs Hexo; DefaultDir is used when it is unset.
const (
	DirEnv     = "FEEDMILL_HEXO_DIR"
	DefaultDir = "/tmp/feedmill-hexo"
)

// Theme names of the template site: Minimal is the small theme in
// testdata/hexo/themes that renders the pages the news site has;
// Landscape is Hexo's default theme, installed from npm.
const (
	Minimal   = "feedmill-minimal"
	Landscape = "landscape"
)

// ErrNotInstalled is returned by Find when node or the Hexo tree is
// missing.
var ErrNotInstalled = errors.New("hexo is not installed")

// Find returns the folder .ci/deps/hexo.sh installed Hexo into. It returns
// an error wrapping ErrNotInstalled that says what is missing and how to
// install it.
func Find() (string, error) {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		dir = DefaultDir
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("%w: node is not in PATH", ErrNotInstalled)
	}
	bin := filepath.Join(dir, "node_modules", "hexo", "bin", "hexo")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w: no %s (run .ci/deps/hexo.sh)", ErrNotInstalled, bin)
	}
	return dir, nil
}

// Require returns Find's folder. When Hexo is missing it skips the test,
// unless the CI environment variable is set: under CI it fails it.
func Require(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%v; CI is set, so the real-Hexo tests must run", err)
		}
		tb.Skipf("%v; skipping the real-Hexo test", err)
	}
	return dir
}

// Template returns the folder of the template site, testdata/hexo at the
// root of the module.
func Template() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "hexo")
}

// Site is a Hexo site on disk.
type Site struct {
	// Dir is the site's root, where _config.yml is.
	Dir     string
	install string
}

// NewSite makes a Hexo site in dir (which may exist; it should be empty)
// from the template, using theme and the node_modules of install (Find's
// folder), linked rather than copied.
func NewSite(dir, install, theme string) (*Site, error) {
	tmpl := Template()
	if err := copyTree(tmpl, dir); err != nil {
		return nil, fmt.Errorf("copy hexo template: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, "package-lock.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	cfg := filepath.Join(dir, "_config.yml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		return nil, err
	}
	data = []byte(strings.Replace(string(data), "\ntheme: "+Minimal+"\n", "\ntheme: "+theme+"\n", 1))
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		return nil, err
	}
	mods, err := filepath.Abs(filepath.Join(install, "node_modules"))
	if err != nil {
		return nil, err
	}
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		return nil, fmt.Errorf("link node_modules: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "source", "_posts"), 0o755); err != nil {
		return nil, err
	}
	return &Site{Dir: dir, install: install}, nil
}

// PostsDir is source/_posts, feedmill's output.dir for this site.
func (s *Site) PostsDir() string { return filepath.Join(s.Dir, "source", "_posts") }

// PublicDir is where `hexo generate` writes the site.
func (s *Site) PublicDir() string { return filepath.Join(s.Dir, "public") }

// Command returns the command that runs hexo with args in the site; the
// caller may wrap it (with /usr/bin/time, say) before running it.
func (s *Site) Command(ctx context.Context, args ...string) *exec.Cmd {
	bin := filepath.Join(s.Dir, "node_modules", "hexo", "bin", "hexo")
	cmd := exec.CommandContext(ctx, "node", append([]string{bin}, args...)...)
	cmd.Dir = s.Dir
	// Hexo colours its log when it thinks it has a terminal.
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	return cmd
}

// Generate runs `hexo generate` and returns its combined output. A
// non-zero exit, or an ERROR line in the log (Hexo logs some failures, a
// broken post among them, and still exits 0), is an error.
func (s *Site) Generate(ctx context.Context) ([]byte, error) {
	var out bytes.Buffer
	cmd := s.Command(ctx, "generate")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("hexo generate: %w", err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "ERROR") || strings.Contains(line, "FATAL") {
			return out.Bytes(), fmt.Errorf("hexo generate logged: %s", strings.TrimSpace(line))
		}
	}
	return out.Bytes(), nil
}

// copyTree copies the regular files and folders of src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
