package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const good = `rsshub: https://rsshub.app        # base URL for route paths
output:
  dir: source/_posts
store: feedmill.db
sources:
  - group: 新媒体
    source: 观察者网
    channel: 头条
    url: /guancha/headline
    max_items: 15
  - group: 科技
    source: 36kr
    channel: 快讯
    url: https://36kr.example.com/feed
  - group: 本地
    source: 样例
    channel: 文件
    url: file:feeds/a.xml
`

func TestParseGood(t *testing.T) {
	cfg, err := Parse("/site/feedmill.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	srcs := cfg.FeedSources()
	if len(srcs) != 3 {
		t.Fatalf("%d sources", len(srcs))
	}
	if srcs[0].URL != "https://rsshub.app/guancha/headline" || srcs[0].MaxItems != 15 || srcs[0].Key() != "新媒体/观察者网/头条" {
		t.Errorf("route source: %+v", srcs[0])
	}
	if srcs[1].URL != "https://36kr.example.com/feed" || srcs[1].MaxItems != 0 {
		t.Errorf("URL source: %+v", srcs[1])
	}
	if srcs[2].URL != "file:///site/feeds/a.xml" {
		t.Errorf("file source: %+v", srcs[2])
	}
	if cfg.Path(cfg.Output.Dir) != "/site/source/_posts" || cfg.Path(cfg.Store) != "/site/feedmill.db" {
		t.Errorf("paths: %s %s", cfg.Path(cfg.Output.Dir), cfg.Path(cfg.Store))
	}
}

func TestParseErrors(t *testing.T) {
	src := func(extra string) string {
		return "sources:\n  - group: g\n    source: s\n    channel: c\n    url: https://x.example.com/\n" + extra
	}
	tests := []struct {
		name  string
		yaml  string
		field string
		line  int
		msg   string
	}{
		{"empty file", "", "", 0, "empty"},
		{"invalid yaml", "sources: [\n  - a", "", 2, "invalid YAML"},
		{"not a mapping", "- a\n- b\n", "", 1, "mapping"},
		{"unknown top key", "rsshub: https://r.example.com\nsource:\n  - x\n", "source", 2, "unknown setting"},
		{"unknown source key", src("    chanel: x\n"), "sources[0].chanel", 6, "unknown setting"},
		{"misspelt with hint", src("maxItems: 3\n"), "maxItems", 6, `did you mean "max_items"`},
		{"no sources", "rsshub: https://r.example.com\n", "sources", 0, "no sources"},
		{"missing group", "sources:\n  - source: s\n    channel: c\n    url: https://x.example.com/feed\n", "sources[0].group", 2, "missing"},
		{"missing url", "sources:\n  - group: g\n    source: s\n    channel: c\n", "sources[0].url", 2, "missing"},
		{"route without rsshub", "sources:\n  - group: g\n    source: s\n    channel: c\n    url: /guancha/headline\n", "sources[0].url", 5, "no rsshub"},
		{"bad scheme", src("")[:len(src(""))-len("https://x.example.com/\n")] + "ftp://x.example.com/\n", "sources[0].url", 5, "scheme"},
		{"duplicate taxonomy", src("  - group: g\n    source: s\n    channel: c\n    url: /y\nrsshub: https://r.example.com\n"), "sources[1]", 6, "already used by sources[0]"},
		{"slash in name", "sources:\n  - group: a/b\n    source: s\n    channel: c\n    url: https://x.example.com/\n", "sources[0].group", 2, "path separator"},
		{"name Hexo would hide (underscore)", "sources:\n  - group: _drafts\n    source: s\n    channel: c\n    url: https://x.example.com/\n", "sources[0].group", 2, "Hexo skips folders"},
		{"name Hexo would hide (dot)", "sources:\n  - group: g\n    source: .hidden\n    channel: c\n    url: https://x.example.com/\n", "sources[0].source", 3, "Hexo skips folders"},
		{"channel Hexo would hide", "sources:\n  - group: g\n    source: s\n    channel: _视频\n    url: https://x.example.com/\n", "sources[0].channel", 4, "starts with \"_\""},
		{"dot dot name", "sources:\n  - group: ..\n    source: s\n    channel: c\n    url: https://x.example.com/\n", "sources[0].group", 2, "folder name"},
		{"negative max_items", src("    max_items: -1\n"), "sources[0].max_items", 6, "negative"},
		{"wrong type", src("    max_items: many\n"), "sources[0].max_items", 6, "whole number"},
		{"list for a string", "sources:\n  - group: [a]\n    source: s\n    channel: c\n    url: https://x.example.com/\n", "sources[0].group", 2, "single value"},
		{"bad duration first", "timeout: fast\n" + src(""), "timeout", 1, "not a duration"},
		{"bad bool", src("    fulltext: maybe\n"), "sources[0].fulltext", 6, "true or false"},
		{"bad duration", src("timeout: soon\n"), "timeout", 6, "duration"},
		{"bad rsshub", "rsshub: rsshub.app\n" + src(""), "rsshub", 1, "http(s) URL"},
		{"bad timezone", "timezone: Mars/Base\n" + src(""), "timezone", 1, "time zone"},
		{"sources not a list", "sources:\n  group: g\n", "sources", 2, "must be a list"},
		{"unknown key in a merged mapping", "sources:\n  - &b\n    group: g\n    source: s\n    channel: c\n    url: https://x.example.com/\n    chanel: x\n  - <<: *b\n    channel: d\n", "sources[0].chanel", 7, "unknown setting"},
		{"negative concurrency", "concurrency: -1\n" + src(""), "concurrency", 1, "at least 1"},
		{"fraction for a number", src("    max_items: 1.5\n"), "sources[0].max_items", 6, "whole number"},
		{"text for the sources list", "sources: abc\n", "sources", 1, "must be a list"},
		{"text for a mapping", "output: source/_posts\n" + src(""), "output", 1, "mapping of settings"},
		{"key twice", src("store: a.db\nstore: b.db\n"), "store", 7, "set twice"},
		{"bad format", "output:\n  format: jekyll2\n" + src(""), "output.format", 2, "not a known format"},
		{"section without Hugo", "output:\n  format: jekyll\n  section: news\n" + src(""), "output.section", 3, "only Hugo"},
		{"section of two folders", "output:\n  format: hugo\n  section: a/b\n" + src(""), "output.section", 3, "one folder name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("site/feedmill.yaml", []byte(tt.yaml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *config.Error", err)
			}
			if ce.File != "site/feedmill.yaml" || ce.Field != tt.field || ce.Line != tt.line || !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("got file %q line %d field %q msg %q; want line %d field %q msg containing %q", ce.File, ce.Line, ce.Field, ce.Msg, tt.line, tt.field, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "site/feedmill.yaml") {
				t.Errorf("message %q does not start with the file", err)
			}
		})
	}
}

// An output without a dir writes where its generator reads posts, as
// seen from the site's root: source/_posts, content or _posts.
func TestOutputDefaultDirFollowsFormat(t *testing.T) {
	const sources = "sources:\n  - {group: g, source: s, channel: c, url: https://x.example.com/}\n"
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"no output", "", []string{"source/_posts"}},
		{"hexo", "output:\n  format: hexo\n", []string{"source/_posts"}},
		{"hugo", "output:\n  format: hugo\n", []string{"content"}},
		{"jekyll", "output:\n  format: jekyll\n", []string{"_posts"}},
		{"a dir given is kept", "output:\n  format: jekyll\n  dir: site/_posts\n", []string{"site/_posts"}},
		{"outputs", "outputs:\n  - {format: hugo}\n  - {format: jekyll}\n  - {dir: blog/source/_posts}\n  - {}\n", []string{"content", "_posts", "blog/source/_posts", "source/_posts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("feedmill.yaml", []byte(tc.yaml+sources))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range cfg.OutputList() {
				got = append(got, o.Dir)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("dirs %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOutputFormats(t *testing.T) {
	for _, format := range []string{"hexo", "hugo", "jekyll"} {
		cfg, err := Parse("feedmill.yaml", []byte("output:\n  format: "+format+"\n  dir: out\nsources:\n  - group: g\n    source: s\n    channel: c\n    url: https://x.example.com/\n"))
		if err != nil || cfg.Output.Format != format {
			t.Errorf("%s: %v, format %q", format, err, cfg.Output.Format)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "nope.yaml") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v", err)
	}
}

func TestExampleConfigsAreValid(t *testing.T) {
	paths, _ := filepath.Glob("../../examples/*.yaml")
	// The example sites' own (examples/hugo, examples/jekyll).
	sites, _ := filepath.Glob("../../examples/*/feedmill.yaml")
	if len(sites) < 2 {
		t.Errorf("example sites' configs: %v", sites)
	}
	paths = append(paths, sites...)
	if len(paths) == 0 {
		t.Fatal("no example configs")
	}
	for _, p := range paths {
		if _, err := Load(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat("../../examples/feeds"); err != nil {
		t.Error(err)
	}
}

// The examples are Beijing news sites: each keeps its posts, site and
// store in its own folder, so running both never mixes them.
func TestExampleConfigsKeepApart(t *testing.T) {
	paths, _ := filepath.Glob("../../examples/*.yaml")
	used := map[string]string{}
	for _, p := range paths {
		cfg, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Timezone != "Asia/Shanghai" {
			t.Errorf("%s: timezone %q, want Asia/Shanghai", p, cfg.Timezone)
		}
		if cfg.Site.Title == Default().Site.Title {
			t.Errorf("%s: the site keeps the default title %q", p, cfg.Site.Title)
		}
		for _, dir := range []string{cfg.Path(cfg.Output.Dir), cfg.Path(cfg.Store), cfg.SiteDir()} {
			for other, by := range used {
				if by != p && (dir == other || strings.HasPrefix(dir, other+string(filepath.Separator)) || strings.HasPrefix(other, dir+string(filepath.Separator))) {
					t.Errorf("%s and %s share %s", p, by, dir)
				}
			}
			used[dir] = p
		}
	}
}

func TestMergeKeys(t *testing.T) {
	cfg, err := Parse("feedmill.yaml", []byte("sources:\n  - &b\n    group: g\n    source: s\n    channel: a\n    url: https://x.example.com/\n    max_items: 3\n  - <<: *b\n    channel: b\n  - <<: [*b]\n    channel: c\n"))
	if err != nil {
		t.Fatal(err)
	}
	srcs := cfg.FeedSources()
	if len(srcs) != 3 || srcs[1].Key() != "g/s/b" || srcs[1].URL != "https://x.example.com/" || srcs[1].MaxItems != 3 || srcs[2].Key() != "g/s/c" {
		t.Errorf("sources %+v", srcs)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// TestErrorMessages checks the whole message of each broken configuration
// in testdata/errors against its .golden file (go test -update rewrites
// them): every mistake, each at the line and column of the node at fault.
func TestErrorMessages(t *testing.T) {
	paths, _ := filepath.Glob("testdata/errors/*.yaml")
	if len(paths) == 0 {
		t.Fatal("no cases")
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := Load(p)
			if err == nil {
				t.Fatal("no error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(p, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("message:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "unknown_%d: x\n", i)
	}
	_, err := Parse("f.yaml", []byte(b.String()))
	var list Errors
	if !errors.As(err, &list) || len(list) != maxErrors {
		t.Fatalf("err = %v, want %d errors", err, maxErrors)
	}
	var first *Error
	if !errors.As(err, &first) || first.Field != "unknown_0" || first.Line != 1 || first.Column != 1 {
		t.Errorf("first error %+v, want unknown_0 at 1:1", first)
	}
}

func TestMissingFileSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "feedmill.yaml"))
	for _, want := range []string{"no such file", "--config", "feedmill init"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}
