package config

import (
	"strings"
	"testing"
	"time"
)

func TestServeSettings(t *testing.T) {
	const src = "sources:\n  - {group: g, source: s, channel: c, url: https://example.com/feed}\n"
	tests := []struct {
		name     string
		yaml     string
		listen   string
		interval []time.Duration // per source, after defaults
		err      string
	}{
		{"defaults", src, "127.0.0.1:8080", []time.Duration{30 * time.Minute}, ""},
		{"global", "listen: ':9090'\ninterval: 10m\n" + src, ":9090", []time.Duration{10 * time.Minute}, ""},
		{"per source", "interval: 10m\nsources:\n  - {group: g, source: s, channel: c, url: https://example.com/a, interval: 2h}\n  - {group: g, source: s, channel: d, url: https://example.com/b}\n",
			"127.0.0.1:8080", []time.Duration{2 * time.Hour, 10 * time.Minute}, ""},
		{"bad listen", "listen: localhost\n" + src, "", nil, "listen: \"localhost\" is not an address"},
		{"zero interval", "interval: 0s\n" + src, "", nil, "interval: must be positive"},
		{"bad interval", "interval: often\n" + src, "", nil, "not a duration"},
		{"interval below the floor", "interval: 1ms\n" + src, "", nil, "feedmill.yaml:1:11: interval: 1ms is too often: the least interval is 1m0s"},
		{"source interval below the floor", "sources:\n  - {group: g, source: s, channel: c, url: https://example.com/a, interval: 1ns}\n", "", nil, "sources[0].interval: 1ns is too often"},
		{"just the floor", "interval: 1m\n" + src, "127.0.0.1:8080", []time.Duration{time.Minute}, ""},
		{"floor lowered for one's own servers", "min_interval: 5s\ninterval: 10s\nsources:\n  - {group: g, source: s, channel: c, url: http://127.0.0.1:1200/a, interval: 5s}\n  - {group: g, source: s, channel: d, url: http://127.0.0.1:1200/b}\n",
			"127.0.0.1:8080", []time.Duration{5 * time.Second, 10 * time.Second}, ""},
		{"below a lowered floor", "min_interval: 5s\nsources:\n  - {group: g, source: s, channel: c, url: https://example.com/a, interval: 1s}\n", "", nil, "sources[0].interval: 1s is below min_interval (5s)"},
		{"floor too low", "min_interval: 1ms\ninterval: 1ms\n" + src, "", nil, "min_interval: must be at least 1s, not 1ms"},
		{"negative source interval", "sources:\n  - {group: g, source: s, channel: c, url: https://example.com/a, interval: -1m}\n", "", nil, "sources[0].interval: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("feedmill.yaml", []byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Listen != tt.listen {
				t.Errorf("Listen = %q, want %q", cfg.Listen, tt.listen)
			}
			for i, s := range cfg.FeedSources() {
				if s.Interval != tt.interval[i] {
					t.Errorf("source %d: Interval = %v, want %v", i, s.Interval, tt.interval[i])
				}
			}
		})
	}
}
