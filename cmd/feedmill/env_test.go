package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/config"
)

// FEEDMILL_CONFIG names the configuration when --config does not, and
// --config wins over it: flag > environment > file.
func TestConfigFromEnvironment(t *testing.T) {
	a := writeConfig(t, "sources:\n  - {group: g, source: a, channel: c, url: https://x.example.com/}\n")
	b := writeConfig(t, "sources:\n  - {group: g, source: b, channel: c, url: https://x.example.com/}\n  - {group: g, source: b, channel: d, url: https://x.example.com/}\n")
	t.Setenv(config.EnvConfig, b)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"the environment's file", []string{"check"}, b + ": ok, 2 sources"},
		{"the flag wins", []string{"check", "--config", a}, a + ": ok, 1 sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, tc.want)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if !healthy {
			http.Error(w, `{"status":"failing"}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	t.Setenv(config.EnvListen, addr)
	if code, out, errOut := runCLI(t, "healthcheck"); code != 0 || !strings.Contains(out, `"ok"`) {
		t.Errorf("healthy, from FEEDMILL_LISTEN: exit %d, %q %q", code, out, errOut)
	}
	healthy = false
	if code, _, errOut := runCLI(t, "healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(errOut, "503") {
		t.Errorf("unhealthy: exit %d, %q", code, errOut)
	}
	srv.Close()
	if code, _, _ := runCLI(t, "healthcheck"); code != 1 {
		t.Errorf("nobody listening: exit %d", code)
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://[::1]:8080/healthz",
		"127.0.0.1:9000": "http://127.0.0.1:9000/healthz",
		"example.org:80": "http://example.org:80/healthz",
	} {
		if got := healthURL(addr); got != want {
			t.Errorf("healthURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
