package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// names is a stand-in catalog of two routes.
func names(route string) (string, string, string, error) {
	switch route {
	case "/guancha/headline":
		return "新媒体", "观察者网", "头条", nil
	case "/oschina/news":
		return "编程", "开源中国", "资讯", nil
	case "/bad/name":
		return "新媒体", "a/b", "c", nil
	}
	return "", "", "", fmt.Errorf("route %s is not in RSSHub's catalog; the closest routes are /guancha/headline", route)
}

func TestRouteOnlySources(t *testing.T) {
	yml := `rsshub: https://rsshub.example.com
sources:
  - /guancha/headline
  - {url: /oschina/news, interval: 10m}
  - {url: /guancha/headline, channel: 头条二}
  - {group: 科技, source: 掘金, channel: 前端, url: https://juejin.example.com/feed}
`
	cfg, err := Parse("feedmill.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NeedsCatalog() {
		t.Fatal("NeedsCatalog = false")
	}
	if got := cfg.CatalogLocation(); got != "https://rsshub.example.com/api/namespace" {
		t.Errorf("CatalogLocation = %q", got)
	}
	if err := cfg.FillNames(names); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range cfg.FeedSources() {
		keys = append(keys, s.Key()+" "+s.URL)
	}
	want := []string{
		"新媒体/观察者网/头条 https://rsshub.example.com/guancha/headline",
		"编程/开源中国/资讯 https://rsshub.example.com/oschina/news",
		"新媒体/观察者网/头条二 https://rsshub.example.com/guancha/headline",
		"科技/掘金/前端 https://juejin.example.com/feed",
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Errorf("sources:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	if cfg.FeedSources()[1].Interval.String() != "10m0s" {
		t.Errorf("interval = %v", cfg.FeedSources()[1].Interval)
	}
	if cfg.NeedsCatalog() {
		t.Error("NeedsCatalog after FillNames")
	}
}

func TestFillNamesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, sources string
		line          int
		field, msg    string
	}{
		{"unknown route", "  - /guancha/headline\n  - /guancha/headlines\n", 4, "sources[1].url", "route /guancha/headlines is not in RSSHub's catalog; the closest routes are /guancha/headline"},
		{"duplicate after naming", "  - /guancha/headline\n  - {group: 新媒体, source: 观察者网, channel: 头条, url: /guancha/headline}\n", 4, "sources[1]", `"新媒体/观察者网/头条" is already used by sources[0]`},
		{"catalog name with a slash", "  - /bad/name\n", 3, "sources[0].source", `"a/b" contains a path separator`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("feedmill.yaml", []byte("rsshub: https://r.example.com\nsources:\n"+tc.sources))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.FillNames(names)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a config Error", err)
			}
			if ce.Line != tc.line || ce.Field != tc.field || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got line %d field %q msg %q; want line %d field %q msg containing %q", ce.Line, ce.Field, ce.Msg, tc.line, tc.field, tc.msg)
			}
		})
	}
}

func TestCheckRoutes(t *testing.T) {
	cfg, err := Parse("feedmill.yaml", []byte(`rsshub: https://r.example.com
sources:
  - {group: a, source: b, channel: c, url: /guancha/headline}
  - {group: a, source: b, channel: d, url: /nope/x}
  - {group: a, source: b, channel: e, url: https://example.com/feed}
`))
	if err != nil {
		t.Fatal(err)
	}
	errs := cfg.CheckRoutes(func(r string) error { _, _, _, err := names(r); return err })
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "feedmill.yaml:4:44: sources[1].url: route /nope/x is not in") {
		t.Errorf("errs = %v", errs)
	}
}

func TestCatalogSetting(t *testing.T) {
	for _, tc := range []struct{ yml, want, err string }{
		{"catalog: routes.json\n", "/srv/blog/routes.json", ""},
		{"catalog: https://rsshub.example.com/api/namespace\n", "https://rsshub.example.com/api/namespace", ""},
		{"catalog: ftp//x\nrsshub: https://r.example.com\n", "/srv/blog/ftp/x", ""},
		{"catalog: http://\n", "", "not an http(s) URL"},
		{"catalog: \"  \"\n", "", "is empty"},
	} {
		cfg, err := Parse("/srv/blog/feedmill.yaml", []byte(tc.yml+"sources:\n  - {group: a, source: b, channel: c, url: https://example.com/feed}\n"))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.yml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.CatalogLocation(); got != tc.want {
			t.Errorf("%q: CatalogLocation = %q, want %q", tc.yml, got, tc.want)
		}
	}
}
