package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// outputsFeed serves one feed of two items per path.
func outputsFeed(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title>`+
			`<item><title>First of %[1]s</title><guid>%[1]s-1</guid><pubDate>Fri, 28 Jan 2022 10:30:43 GMT</pubDate><description>&lt;p&gt;{{ one }}&lt;/p&gt;</description></item>`+
			`<item><title>Second of %[1]s</title><guid>%[1]s-2</guid><pubDate>Fri, 28 Jan 2022 11:30:43 GMT</pubDate><description>&lt;p&gt;{%% two %%}&lt;/p&gt;</description></item>`+
			`</channel></rss>`, name)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// files lists the files under dir, relative and slash-separated.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// One run of the real binary writes Hexo, Hugo and Jekyll posts at once,
// each output exactly once; a rerun writes nothing; an output added later
// gets the known items on the next run.
func TestRunWritesSeveralOutputs(t *testing.T) {
	bin := binary(t)
	srv := outputsFeed(t)
	config := func(outputs string) string {
		return "rsshub: " + srv.URL + "\noutputs:\n" + outputs + "sources:\n  - {group: g, source: s, channel: a, url: /a}\n  - {group: g, source: s, channel: b, url: /b}\n"
	}
	two := "  - {format: hexo, dir: source/_posts}\n  - {format: hugo, dir: site/content}\n"
	path := writeConfig(t, config(two))
	dir := filepath.Dir(path)
	runBin := func(args ...string) (int, string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bin, append([]string{"run", "--config", path}, args...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); err != nil {
			var ok bool
			if ee, ok = err.(*exec.ExitError); !ok {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		return code, string(out)
	}
	if code, out := runBin(); code != 0 || !strings.Contains(out, "8 new posts") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	if got := files(t, filepath.Join(dir, "source/_posts")); len(got) != 4 {
		t.Errorf("hexo files %q", got)
	}
	if got := files(t, filepath.Join(dir, "site/content")); len(got) != 4 || !strings.HasPrefix(got[0], "posts/g/s/") || !strings.HasSuffix(got[0], ".html") {
		t.Errorf("hugo files %q", got)
	}
	if code, out := runBin(); code != 0 || !strings.Contains(out, " 0 new posts") {
		t.Errorf("rerun: exit %d\n%s", code, out)
	}
	// Jekyll joins: it gets the four known items, the others nothing.
	if err := os.WriteFile(path, []byte(config(two+"  - {format: jekyll, dir: jekyll/_posts}\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runBin(); code != 0 || !strings.Contains(out, " 4 new posts") {
		t.Errorf("run with jekyll added: exit %d\n%s", code, out)
	}
	got := files(t, filepath.Join(dir, "jekyll/_posts"))
	if len(got) != 4 || !strings.HasPrefix(got[0], "2022-01-28-") {
		t.Errorf("jekyll files %q", got)
	}
	for _, f := range got {
		data, _ := os.ReadFile(filepath.Join(dir, "jekyll/_posts", f))
		if !strings.Contains(string(data), "render_with_liquid: false") {
			t.Errorf("%s lacks render_with_liquid: false:\n%s", f, data)
		}
	}
	if code, out := runBin("--republish"); code != 0 || !strings.Contains(out, " 0 posts rewritten") {
		t.Errorf("republish of unchanged posts: exit %d\n%s", code, out)
	}
	if code, out := runBin(); code != 0 || !strings.Contains(out, " 0 new posts") {
		t.Errorf("rerun with three outputs: exit %d\n%s", code, out)
	}
}

// An output that cannot be written fails the run with status 3, naming
// that output; the others get their posts.
func TestRunOneOutputFails(t *testing.T) {
	srv := outputsFeed(t)
	path := writeConfig(t, "rsshub: "+srv.URL+"\noutputs:\n  - {format: hexo, dir: posts}\n  - {format: jekyll, dir: broken}\nsources:\n  - {group: g, source: s, channel: a, url: /a}\n")
	broken := filepath.Join(filepath.Dir(path), "broken")
	if err := os.WriteFile(broken, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "run", "--config", path)
	if code != 3 || !strings.Contains(errOut, "cannot write posts to "+broken+":") || !strings.Contains(out, "1 ok, 0 failed") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got := files(t, filepath.Join(filepath.Dir(path), "posts")); len(got) != 2 {
		t.Errorf("the working output has %q", got)
	}
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "run", "--config", path, "--due")
	if code != 0 || !strings.Contains(out, " 2 new posts") {
		t.Errorf("once the folder works: exit %d\n%s%s", code, out, errOut)
	}
	if got := files(t, broken); len(got) != 2 {
		t.Errorf("the repaired output has %q", got)
	}
}

// output and outputs together, or two outputs in one folder, are
// configuration mistakes (exit 2) that name the fields.
func TestOutputsConfigMistakes(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"both", "output:\n  dir: posts\noutputs:\n  - {format: hugo, dir: content}\n", "outputs: output and outputs are both set"},
		{"same dir", "outputs:\n  - {format: hexo, dir: posts}\n  - {format: jekyll, dir: ./posts/}\n", `outputs[1].dir: "./posts/" is also the folder of outputs[0]`},
		{"nested", "outputs:\n  - {format: hugo, dir: site}\n  - {format: jekyll, dir: site/_posts}\n", "outputs[1].dir: \"site/_posts\" and the folder of outputs[0] are one inside the other"},
		{"unknown format", "outputs:\n  - {format: gatsby, dir: posts}\n", `outputs[0].format: "gatsby" is not a known format`},
		{"section", "outputs:\n  - {format: jekyll, dir: posts, section: news}\n", "outputs[0].section: only Hugo has sections"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.yaml+"sources:\n  - {group: g, source: s, channel: c, url: https://example.com/feed}\n")
			code, _, errOut := runCLI(t, "run", "--config", path)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want %q", code, errOut, c.want)
			}
		})
	}
}
