package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A fleet's processes reload feedmill.yaml on SIGHUP, as feedmill serve
// does on SQLite: a source added to the file is fetched and published
// without a restart, and a file that does not load is logged while the
// running configuration goes on.
func TestFleetReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("a fleet of processes: not with -short")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/f/"))
		fmt.Fprint(w, rssOf(n, 2))
	}))
	defer srv.Close()
	source := func(n int) string {
		return fmt.Sprintf("  - {group: g, source: s, channel: c%d, url: %s/f/%d}\n", n, srv.URL, n)
	}
	r := newFleetRig(t, "interval: 1h\nsources:\n"+source(0))
	procs := []*fleetProc{r.start("fetch"), r.start("publish")}
	posted := func(want int, what string) {
		t.Helper()
		// A guard against a hang, not a measure: the machine may be loaded.
		deadline := time.Now().Add(2 * time.Minute)
		for r.query(`SELECT COUNT(*) FROM posts WHERE posted_at IS NOT NULL`) < want {
			if time.Now().After(deadline) {
				for _, p := range procs {
					t.Logf("%s log:\n%s", p.role, readLog(p))
				}
				t.Fatalf("gave up waiting for %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	posted(2, "the first source's posts")
	hup := func() {
		for _, p := range procs {
			if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatalf("SIGHUP to the %s process: %v", p.role, err)
			}
		}
	}
	logged := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for _, p := range procs {
			for strings.Count(readLog(p), what) < n {
				if time.Now().After(deadline) {
					t.Fatalf("the %s process did not log %q; its log:\n%s", p.role, what, readLog(p))
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}

	base, err := os.ReadFile(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.cfg, append(base, source(1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	logged("config reloaded", 1)
	posted(4, "the posts of the source added by the reload")

	if err := os.WriteFile(r.cfg, append(base, "max_item: 3\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	logged("config reload failed; keeping the running configuration", 1)
	for _, p := range procs {
		if p.cmd.ProcessState != nil || p.cmd.Process.Signal(syscall.Signal(0)) != nil {
			t.Errorf("the %s process stopped on a bad configuration; its log:\n%s", p.role, readLog(p))
		}
	}
	if n := r.query(`SELECT COUNT(*) FROM sources`); n != 2 {
		t.Errorf("%d sources in the store, want 2", n)
	}
}
