package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
)

func TestParseKeep(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name, in string
		want     feed.Retention
		err      string // part of the message; "" for no error
	}{
		{"count", "15", feed.Retention{Count: 15}, ""},
		{"count with spaces", " 15 ", feed.Retention{Count: 15}, ""},
		{"zero keeps all", "0", feed.Retention{}, ""},
		{"all", "all", feed.Retention{}, ""},
		{"days", "30d", feed.Retention{Age: 30 * day}, ""},
		{"hours", "36h", feed.Retention{Age: 36 * time.Hour}, ""},
		{"weeks", "2w", feed.Retention{Age: 14 * day}, ""},
		{"zero days keeps all", "0d", feed.Retention{}, ""},
		{"empty", "", feed.Retention{}, "is not a number"},
		{"negative", "-3", feed.Retention{}, "must not be negative"},
		{"negative age", "-3d", feed.Retention{}, "must not be negative"},
		{"unknown unit", "3m", feed.Retention{}, "is not a number"},
		{"months are not taken", "1mo", feed.Retention{}, "is not a number"},
		{"unit alone", "d", feed.Retention{}, "is not a number"},
		{"fraction", "1.5d", feed.Retention{}, "is not a number"},
		{"plus sign", "+15", feed.Retention{}, "is not a number"},
		{"space before unit", "30 d", feed.Retention{}, "is not a number"},
		{"go duration", "720h0m", feed.Retention{}, "is not a number"},
		{"too long", "9999999999w", feed.Retention{}, "too long"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseKeep(c.in)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("ParseKeep(%q): %v", c.in, err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("ParseKeep(%q) error = %v, want one saying %q", c.in, err, c.err)
			}
			if got != c.want {
				t.Errorf("ParseKeep(%q) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestKeepSetting(t *testing.T) {
	const head = "rsshub: https://rsshub.example\n"
	src := func(extra string) string {
		return "  - group: g\n    source: s\n    channel: c\n    url: /a\n" + extra
	}
	for _, c := range []struct {
		name string
		yaml string
		want []feed.Retention
		err  string // "file:line: field: ..." prefix
	}{
		{"unset keeps all", head + "sources:\n" + src(""), []feed.Retention{{}}, ""},
		{"global count", head + "keep: 15\nsources:\n" + src(""), []feed.Retention{{Count: 15}}, ""},
		{"global age", head + "keep: 30d\nsources:\n" + src(""), []feed.Retention{{Age: 30 * 24 * time.Hour}}, ""},
		{"source overrides global", head + "keep: 15\nsources:\n" + src("    keep: 7d\n") + strings.Replace(src(""), "channel: c", "channel: d", 1),
			[]feed.Retention{{Age: 7 * 24 * time.Hour}, {Count: 15}}, ""},
		{"source keeps all against global", head + "keep: 15\nsources:\n" + src("    keep: all\n"), []feed.Retention{{}}, ""},
		{"bad global", head + "keep: 15x\nsources:\n" + src(""), nil, "feedmill.yaml:2:7: keep: \"15x\""},
		{"bad source", head + "sources:\n" + src("    keep: 2mo\n"), nil, "feedmill.yaml:7:11: sources[0].keep: \"2mo\""},
		{"empty global keeps all", head + "keep:\nsources:\n" + src(""), []feed.Retention{{}}, ""},
		{"list", head + "keep: [1]\nsources:\n" + src(""), nil, "feedmill.yaml:2: invalid YAML: keep must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("feedmill.yaml", []byte(c.yaml))
			if c.err != "" {
				var ce *Error
				if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("error = %v, want one starting %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			srcs := cfg.FeedSources()
			if len(srcs) != len(c.want) {
				t.Fatalf("%d sources, want %d", len(srcs), len(c.want))
			}
			for i, s := range srcs {
				if s.Retain != c.want[i] {
					t.Errorf("source %d keeps %+v, want %+v", i, s.Retain, c.want[i])
				}
			}
		})
	}
}
