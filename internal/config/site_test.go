package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/config"
)

const sourcesYAML = `
sources:
  - group: g
    source: s
    channel: c
    url: https://example.org/feed
`

func TestSiteSettings(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		err  string // "" for valid
	}{
		{"defaults", "", ""},
		{"all set", `site:
  dir: www
  title: 新闻
  description: 每日新闻
  base_url: https://news.example.org/sub/
  templates: tpl
  per_page: 30
  feed_items: 50
admin_token: 0123456789abcdef
image_proxy: builtin
image_proxy_key: abcdefghijklmnopqrstuvwxyz`, ""},
		{"proxy prefix", "image_proxy: https://images.weserv.nl/?url=", ""},
		{"empty dir", "site:\n  dir: ''", "site.dir: must not be empty"},
		{"relative base url", "site:\n  base_url: /news/", "site.base_url"},
		{"zero per page", "site:\n  per_page: 0", "site.per_page: must be between 1 and 1000"},
		{"huge feed", "site:\n  feed_items: 5000", "site.feed_items"},
		{"short token", "admin_token: abc", "admin_token: is too short"},
		{"token twice", "admin_token: 0123456789abcdef\nadmin_token_file: tok", "set admin_token or admin_token_file, not both"},
		{"bad proxy", "image_proxy: yes-please", `image_proxy: "yes-please" is neither`},
		{"short proxy key", "image_proxy_key: x", "image_proxy_key: is too short"},
		{"misspelt", "site:\n  perpage: 3", `unknown setting; did you mean "per_page"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("/etc/feedmill/feedmill.yaml", []byte(tc.yaml+sourcesYAML))
			if tc.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tc.name == "defaults" && (cfg.Site.Dir != "public" || cfg.Site.PerPage != 20 || cfg.Site.FeedItems != 20 || cfg.SiteDir() != "/etc/feedmill/public") {
					t.Errorf("defaults: %+v", cfg.Site)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one with %q", err, tc.err)
			}
		})
	}
}

func TestAdminTokenFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("from-a-file-0123456\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "short"), []byte("abc\n"), 0o600)
	for file, want := range map[string]string{"token": "from-a-file-0123456", "short": "too short", "missing": "cannot read"} {
		cfg, err := config.Parse(filepath.Join(dir, "feedmill.yaml"), []byte("admin_token_file: "+file+sourcesYAML))
		if err != nil {
			t.Fatal(err)
		}
		got, err := cfg.AdminSecret()
		if file == "token" {
			if err != nil || got != want {
				t.Errorf("AdminSecret = %q, %v", got, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", file, err, want)
		}
	}
}
