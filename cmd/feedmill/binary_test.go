package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the feedmill binary that the process tests build once.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "feedmill-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds cmd/feedmill with the go command that runs the tests, for
// the tests that must signal or kill a real process. Without a go command
// the test is skipped, except under CI, where it fails.
func binary(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no go command to build feedmill with: %v", err)
		}
		t.Skipf("no go command to build feedmill with: %v", err)
	}
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "feedmill")
		out, err := exec.Command(goCmd, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binError = &buildError{err: err, out: string(out)}
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }
