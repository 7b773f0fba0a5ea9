package config

import (
	"strings"
	"testing"
)

func TestCleaningSettings(t *testing.T) {
	cfg, err := Parse("feedmill.yaml", []byte(`
image_proxy: https://images.weserv.nl/?url=
style: keep
sources:
  - {group: 新闻, source: 观察者网, channel: 头条, url: https://a.example/feed}
  - {group: 新闻, source: 澎湃, channel: 要闻, url: https://b.example/feed, image_proxy: "", style: drop}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][2]string{{"https://images.weserv.nl/?url=", "keep"}, {"", "drop"}} {
		proxy, style := cfg.Cleaning(i)
		if proxy != want[0] || style != want[1] {
			t.Errorf("source %d: Cleaning() = %q, %q, want %q, %q", i, proxy, style, want[0], want[1])
		}
	}
	if proxy, style := Default().Cleaning(0); proxy != "" || style != "" {
		t.Errorf("defaults: %q, %q, want none (the content stage's defaults apply)", proxy, style)
	}
}

func TestCleaningSettingsInvalid(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"style", "style: inline\n", `style: "inline" is not one of scope, keep, drop`},
		{"proxy", "image_proxy: images.weserv.nl\n", "image_proxy: \"images.weserv.nl\" is neither \"builtin\" nor an http(s) URL prefix"},
		{"source style", "sources:\n  - {group: a, source: b, channel: c, url: https://a.example/, style: none}\n", `sources[0].style: "none" is not one of`},
		{"source proxy", "sources:\n  - {group: a, source: b, channel: c, url: https://a.example/, image_proxy: ftp://x/}\n", `sources[0].image_proxy: "ftp://x/" is neither`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.yaml
			if !strings.Contains(doc, "sources:") {
				doc += "sources:\n  - {group: a, source: b, channel: c, url: https://a.example/}\n"
			}
			_, err := Parse("feedmill.yaml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
