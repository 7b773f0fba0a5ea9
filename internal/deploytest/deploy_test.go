// Package deploytest checks the deployment examples: the GitHub Actions
// workflows of examples/github-actions pass actionlint (installed by
// .ci/deps/actionlint.sh), and the compose file and Dockerfile say what
// the README promises. .ci/image.sh builds and runs the image itself.
package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionlint returns the actionlint command: on PATH, else where go
// install put it.
func actionlint(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("actionlint"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "actionlint")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("actionlint is not installed (run .ci/deps/actionlint.sh)")
	return ""
}

func TestWorkflowsPassActionlint(t *testing.T) {
	bin := actionlint(t)
	files, err := filepath.Glob("../../examples/github-actions/*.yml")
	if err != nil || len(files) < 4 {
		t.Fatalf("workflows: %q, %v", files, err)
	}
	out, err := exec.CommandContext(t.Context(), bin, append([]string{"-no-color"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

// The workflows deploy what they build, keep their state with
// actions/cache and never commit posts.
func TestWorkflowsKeepStateInTheCache(t *testing.T) {
	files, _ := filepath.Glob("../../examples/github-actions/*.yml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for _, want := range []string{"actions/cache/restore@", "actions/cache/save@", "feedmill run --due", "actions/upload-pages-artifact@", "actions/deploy-pages@"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %s", filepath.Base(f), want)
			}
		}
		for _, bad := range []string{"git commit", "git push", "contents: write"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s has %q: posts must not be committed", filepath.Base(f), bad)
			}
		}
	}
}

func TestComposeRunsFeedmillBesideRSSHub(t *testing.T) {
	data, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Services["rsshub"].Image != "diygod/rsshub" {
		t.Errorf("rsshub image %q", c.Services["rsshub"].Image)
	}
	fm := c.Services["feedmill"]
	if fm.Environment["FEEDMILL_RSSHUB"] != "http://rsshub:1200" || len(fm.Volumes) == 0 || !strings.HasSuffix(fm.Volumes[0], ":/data") {
		t.Errorf("feedmill service %+v", fm)
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"FROM scratch", "USER 65532:65532", "VOLUME /data", `CMD ["serve"]`, `HEALTHCHECK`, "ca-certificates.crt"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}
