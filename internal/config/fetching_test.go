package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFetchingSettings(t *testing.T) {
	const base = "rsshub: https://rsshub.example\n"
	const src = "sources:\n  - group: g\n    source: s\n    channel: c\n    url: /r\n"
	cfg, err := Parse("f.yaml", []byte(base+src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PerHost != 2 || cfg.HostDelay.Std() != 100*time.Millisecond || cfg.ConnectTimeout.Std() != 10*time.Second || cfg.DenyPrivateNetworks {
		t.Errorf("defaults = per_host %d, host_delay %s, connect_timeout %s, deny %v", cfg.PerHost, cfg.HostDelay.Std(), cfg.ConnectTimeout.Std(), cfg.DenyPrivateNetworks)
	}

	cfg, err = Parse("f.yaml", []byte(base+"per_host: 4\nhost_delay: 0s\nconnect_timeout: 3s\ndeny_private_networks: true\n"+src+
		"    headers: {Authorization: Bearer x}\n    cookies: {session: abc}\n    proxy: socks5://127.0.0.1:1080\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.FeedSources()[0]
	if cfg.PerHost != 4 || cfg.HostDelay != 0 || cfg.ConnectTimeout.Std() != 3*time.Second || !cfg.DenyPrivateNetworks ||
		s.Headers["Authorization"] != "Bearer x" || s.Cookies["session"] != "abc" || s.Proxy != "socks5://127.0.0.1:1080" {
		t.Errorf("parsed = %+v, source %+v", cfg, s)
	}

	bad := []struct{ yaml, field string }{
		{"per_host: 0\n" + src, "per_host"},
		{"host_delay: -1s\n" + src, "host_delay"},
		{"host_delay: 2m\n" + src, "host_delay"},
		{"connect_timeout: 0s\n" + src, "connect_timeout"},
		{src + "    headers: {\"Bad Name\": x}\n", "sources[0].headers"},
		{src + "    headers: {Host: example.com}\n", "sources[0].headers.Host"},
		{src + "    cookies: {\"a;b\": x}\n", "sources[0].cookies"},
		{src + "    cookies: {a: \"x;y\"}\n", "sources[0].cookies.a"},
		{src + "    proxy: ftp://p:21\n", "sources[0].proxy"},
		{src + "    proxy: nonsense\n", "sources[0].proxy"},
		{src + "    proxys: direct\n", "sources[0].proxys"},
	}
	for _, tc := range bad {
		_, err := Parse("f.yaml", []byte(base+tc.yaml))
		var cerr *Error
		if !errors.As(err, &cerr) || cerr.Field != tc.field {
			t.Errorf("%q: err = %v, want an error on %s", tc.yaml, err, tc.field)
			continue
		}
		if !strings.HasPrefix(err.Error(), "f.yaml:") {
			t.Errorf("%q: %v does not name the file", tc.yaml, err)
		}
	}
}
