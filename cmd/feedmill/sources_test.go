package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// nextDue is a NEXT DUE time as feedmill sources prints it: the time
// today, the date and time on another day (a run after 23:30 is next due
// tomorrow at the default 30m interval).
const nextDue = `(\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d)`

func TestSourcesCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/limited":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>x</guid></item></channel></rss>`)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	writeCfg := func(routes ...string) {
		var b strings.Builder
		fmt.Fprintf(&b, "rsshub: %s\noutput:\n  dir: posts\nsources:\n", srv.URL)
		for _, r := range routes {
			fmt.Fprintf(&b, "  - {group: 新闻, source: s, channel: %s, url: /%s}\n", r, r)
		}
		if err := os.WriteFile(cfgPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		return code, out.String() + errOut.String()
	}

	writeCfg("fine", "broken", "limited")
	if code, out := cmd("sources", "--config", cfgPath); code != 0 || !strings.Contains(out, "3 sources: 3 never fetched") {
		t.Errorf("before any run: %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "feedmill.db")); err == nil {
		t.Error("listing sources created the store")
	}
	for range 3 {
		cmd("run", "--config", cfgPath)
	}
	writeCfg("fine", "broken", "limited", "new")

	code, out := cmd("sources", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		`(?m)^SOURCE +STATUS +ERRORS +LAST SUCCESS +NEXT DUE +LAST ERROR$`,
		`(?m)^新闻/s/fine +ok +0 +\d\d:\d\d:\d\d +` + nextDue + `$`,
		`(?m)^新闻/s/broken +backing off +3 +- +\S+.* +fetch: HTTP 500 Internal Server Error$`,
		// Refused once: the runs after it left the route alone. A
		// refusal is not counted as an error.
		`(?m)^新闻/s/limited +waiting +0 +- +\S+.* +fetch: HTTP 429 Too Many Requests$`,
		`(?m)^新闻/s/new +never fetched +0 +- +now$`,
		`(?m)^4 sources: 1 ok, 1 backing off, 1 waiting, 1 never fetched$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no line matching %s in\n%s", want, out)
		}
	}
	// Columns line up although the keys hold wide characters.
	lines := strings.Split(out, "\n")
	col := strings.Index(lines[0], "STATUS")
	for i, status := range []string{"ok", "backing off", "waiting", "never fetched"} {
		l := lines[i+1]
		if w := displayWidth(l[:strings.Index(l, status)]); w != col {
			t.Errorf("status column at %d, want %d: %q", w, col, l)
		}
	}

	code, out = cmd("sources", "--config", cfgPath, "--failing")
	if code != 0 || strings.Contains(out, "/fine") || strings.Contains(out, "/new") || !strings.Contains(out, "/broken") || !strings.Contains(out, "/limited") {
		t.Errorf("--failing: exit %d\n%s", code, out)
	}
}

// A source paused from /admin is shown as paused, not ok with a next due
// time it will never be fetched at.
func TestSourcesShowsAdminPause(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>x</guid></item></channel></rss>`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	cfg := fmt.Sprintf("rsshub: %s\noutput:\n  dir: posts\nsources:\n  - {group: 新闻, source: s, channel: a, url: /a}\n  - {group: 新闻, source: s, channel: b, url: /b}\n", srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"run", "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out.String())
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "feedmill.db"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Key == "新闻/s/a" {
			if err := st.SetPaused(ctx, r.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()
	out.Reset()
	if code := run(ctx, []string{"sources", "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("sources: exit %d\n%s", code, out.String())
	}
	for _, want := range []string{
		`(?m)^新闻/s/a +paused +0 +\d\d:\d\d:\d\d +on resume$`,
		`(?m)^新闻/s/b +ok +0 `,
		`(?m)^2 sources: 1 ok, 1 paused$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("no line matching %s in\n%s", want, out.String())
		}
	}
}

// Items a broken document loses are said on the source's line of run and
// in sources, while the source stays ok; bad character references lose
// none.
func TestRunAndSourcesSayItemsLost(t *testing.T) {
	const head = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cut":
			fmt.Fprint(w, head+`<item><title>one</title><guid>1</guid></item><item><title>two</title><guid>2</guid></item><item><title>thr`)
		case "/nul":
			fmt.Fprint(w, head+`<item><title>one</title><guid>1</guid></item><item><title>t&#0;wo</title><guid>2</guid></item><item><title>three</title><guid>3</guid></item></channel></rss>`)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	cfg := fmt.Sprintf("rsshub: %s\noutput:\n  dir: posts\nsources:\n  - {group: 新闻, source: s, channel: cut, url: /cut}\n  - {group: 新闻, source: s, channel: nul, url: /nul}\n", srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"run", "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out.String())
	}
	for _, want := range []string{
		`(?m)^ok +新闻/s/cut +2 new posts, 2 items seen; lost 1 item of a broken document: .*EOF`,
		`(?m)^ok +新闻/s/nul +3 new posts, 3 items seen$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("run: no line matching %s in\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"sources", "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("sources: exit %d\n%s", code, out.String())
	}
	for _, want := range []string{
		`(?m)^新闻/s/cut +ok +0 +\d\d:\d\d:\d\d +` + nextDue + ` +http://\S+/cut: lost 1 item of a broken document: .*EOF$`,
		`(?m)^新闻/s/nul +ok +0 +\d\d:\d\d:\d\d +` + nextDue + `$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("sources: no line matching %s in\n%s", want, out.String())
		}
	}
}
