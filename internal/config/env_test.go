package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The environment overrides the file, setting by setting; an empty
// variable counts as unset.
func TestEnvironmentOverridesTheFile(t *testing.T) {
	file := "rsshub: https://file.example.com\nstore: file.db\nlisten: 127.0.0.1:9000\nadmin_token_file: token.txt\n" +
		"sources:\n  - {group: g, source: s, channel: c, url: https://x.example.com/}\n"
	wd, _ := os.Getwd()
	tests := []struct {
		name string
		env  map[string]string
		want func(c Config) []string // got, want, got, want, ...
	}{
		{"no variables: the file", nil, func(c Config) []string {
			return []string{c.RSSHub, "https://file.example.com", c.StoreDSN(), filepath.Join(wd, "site", "file.db"), c.Listen, "127.0.0.1:9000", c.AdminTokenFile, "token.txt"}
		}},
		{"every variable", map[string]string{EnvRSSHub: "http://rsshub:1200", EnvStore: "data/env.db", EnvListen: ":8080", EnvAdminToken: "0123456789abcdef0123"}, func(c Config) []string {
			return []string{c.RSSHub, "http://rsshub:1200", c.StoreDSN(), filepath.Join(wd, "data", "env.db"), c.Listen, ":8080", c.AdminToken, "0123456789abcdef0123", c.AdminTokenFile, ""}
		}},
		{"a postgres URL", map[string]string{EnvStore: "postgres://u@db/feedmill"}, func(c Config) []string {
			return []string{c.StoreDSN(), "postgres://u@db/feedmill"}
		}},
		{"empty variables are unset", map[string]string{EnvRSSHub: "", EnvListen: " "}, func(c Config) []string {
			return []string{c.RSSHub, "https://file.example.com", c.Listen, "127.0.0.1:9000"}
		}},
		{"a token file from the environment", map[string]string{EnvAdminTokenFile: "/run/secrets/token"}, func(c Config) []string {
			return []string{c.AdminTokenFile, "/run/secrets/token", c.AdminToken, ""}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{EnvRSSHub, EnvStore, EnvListen, EnvAdminToken, EnvAdminTokenFile} {
				t.Setenv(name, tt.env[name])
			}
			cfg, err := Parse(filepath.Join("site", "feedmill.yaml"), []byte(file))
			if err != nil {
				t.Fatal(err)
			}
			got := tt.want(cfg)
			for i := 0; i < len(got); i += 2 {
				if got[i] != got[i+1] {
					t.Errorf("setting %d is %q, want %q", i/2, got[i], got[i+1])
				}
			}
		})
	}
}

// A bad value from the environment is named by its variable, not by the
// file's line.
func TestEnvironmentMistakeNamesTheVariable(t *testing.T) {
	t.Setenv(EnvListen, "nowhere")
	_, err := Parse("feedmill.yaml", []byte("listen: 127.0.0.1:9000\nsources:\n  - {group: g, source: s, channel: c, url: https://x.example.com/}\n"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Field != "listen" || ce.Line != 0 || !strings.Contains(ce.Msg, "set by FEEDMILL_LISTEN") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	lookup := func(env map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	if got := DefaultPath(lookup(nil)); got != DefaultFile {
		t.Errorf("without the variable: %q", got)
	}
	if got := DefaultPath(lookup(map[string]string{EnvConfig: "/data/feedmill.yaml"})); got != "/data/feedmill.yaml" {
		t.Errorf("with the variable: %q", got)
	}
}
