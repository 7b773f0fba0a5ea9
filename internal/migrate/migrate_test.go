package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func keysOf(ss []Source) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Key()+" "+s.URL)
	}
	return out
}

func TestDocsQuirks(t *testing.T) {
	dir := writeFiles(t, map[string]string{"page.md": `# 新媒体 {#xin-mei-ti}

## 观察者网 {#guan-cha-zhe-wang}

### 头条 ###

<Route author="a" example="/guancha/headline" path="/guancha/headline"/>

### 风闻
<Route path="/guancha/topic/:id" author='b' example='/guancha/topic/110'

## 36氪

` + "```" + `
# 代码里的标题
<Route example="/in/code" />
` + "```" + `

<Route
  example="/36kr/newsflashes"
  path="/36kr/newsflashes"
/>

#没有空格不是标题
### 快讯
<Route radar="1" example="/36kr/motif/x" path="/36kr/motif/:id"></Route>
<Route path="/36kr/no-example" />
`})
	im := &Importer{}
	if err := im.Add(filepath.Join(dir, "page.md")); err != nil {
		t.Fatal(err)
	}
	res, err := im.Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"新媒体/观察者网/头条 /guancha/headline",
		"新媒体/观察者网/风闻 /guancha/topic/110",
		"新媒体/36氪/36氪 /36kr/newsflashes",
		"新媒体/36氪/快讯 /36kr/motif/x",
	}
	if got := keysOf(res.Sources); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if !strings.HasSuffix(res.Sources[0].From, "page.md:7") {
		t.Errorf("From = %q", res.Sources[0].From)
	}
}

func TestDiyAndBase(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"user_config.yml": "diy:\n  - categories: 科技\n    source_parent: 少数派\n    source_child: 首页\n    link: /sspai/index\n  - {categories: 'yes', source_parent: \"a: b\", source_child: c, link: /x}\n",
		"muti_work.py":    "    requests_url = \"https://rss.example.org/\" + url[\"link\"]\n",
	})
	im := &Importer{}
	if err := im.Add(dir); err != nil {
		t.Fatal(err)
	}
	res, err := im.Result()
	if err != nil {
		t.Fatal(err)
	}
	if res.RSSHub != "https://rss.example.org" {
		t.Errorf("RSSHub = %q", res.RSSHub)
	}
	if got := keysOf(res.Sources); !reflect.DeepEqual(got, []string{"科技/少数派/首页 /sspai/index", "yes/a: b/c /x"}) {
		t.Errorf("got %q", got)
	}
	// Names YAML would read otherwise are quoted, and read back the same.
	out := Config(res, ConfigOptions{RSSHub: res.RSSHub, OutputDir: "source/_posts"})
	var back struct {
		Sources []struct{ Group, Source, Channel, URL string }
	}
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if back.Sources[1].Group != "yes" || back.Sources[1].Source != "a: b" {
		t.Errorf("read back %+v from\n%s", back.Sources[1], out)
	}
}

func TestOPML(t *testing.T) {
	dir := writeFiles(t, map[string]string{"feeds.opml": `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>订阅</title></head><body>
  <outline text="新媒体">
    <outline text="观察者网">
      <outline text="头条" type="rss" xmlUrl="https://rsshub.example.org/guancha/headline"/>
    </outline>
    <outline text="开源中国资讯" xmlUrl="https://rsshub.example.org/oschina/news"/>
    <outline text="某博客" xmlUrl="https://blog.example.com/feed.xml"/>
  </outline>
  <outline text="36kr 快讯" xmlUrl="https://rsshub.example.org/36kr/newsflashes"/>
  <outline title="只有标题" xmlUrl="https://other.example.com/rss"/>
  <outline text="只有标题" xmlUrl="https://third.example.com/rss"/>
  <outline text="重复" xmlUrl="https://blog.example.com/feed.xml"/>
</body></opml>`})
	im := &Importer{Namer: func(route string) (string, string, string, bool) {
		switch route {
		case "/oschina/news":
			return "编程", "开源中国", "资讯", true
		case "/36kr/newsflashes":
			return "新媒体", "36kr", "快讯", true
		}
		return "", "", "", false
	}}
	im.res.RSSHub = "https://rsshub.example.org"
	if err := im.Add(filepath.Join(dir, "feeds.opml")); err != nil {
		t.Fatal(err)
	}
	res, err := im.Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"新媒体/观察者网/头条 /guancha/headline",
		"新媒体/开源中国/资讯 /oschina/news",
		"新媒体/某博客/全部 https://blog.example.com/feed.xml",
		"新媒体/36kr/快讯 /36kr/newsflashes",
		"其他/只有标题/全部 https://other.example.com/rss",
		"其他/只有标题/全部 2 https://third.example.com/rss",
		"其他/重复/全部 https://blog.example.com/feed.xml",
	}
	if got := keysOf(res.Sources); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestOPMLLimits(t *testing.T) {
	deep := strings.Repeat(`<outline text="x">`, 100) + strings.Repeat(`</outline>`, 100)
	dir := writeFiles(t, map[string]string{
		"deep.opml": `<opml version="2.0"><body>` + deep + `</body></opml>`,
		"self.opml": `<opml version="2.0"><body><outline text="me" type="include" url="self.opml"/></body></opml>`,
	})
	for name, want := range map[string]string{"deep.opml": "nested more than 64 deep", "self.opml": "in a loop"} {
		err := (&Importer{}).Add(filepath.Join(dir, name))
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

func TestPlainScalars(t *testing.T) {
	for _, s := range []string{"新媒体", "/guancha/headline", "yes", "true", "null", "123", "a: b", "#x", "- x", "x ", "观察者网 {#a}", "'q'", `"d"`, "Ünïcode", "/a b", "~", "@x", "*x", "&x", "!x", "%x", "|x", ">x", "[x]"} {
		var back string
		if err := yaml.Unmarshal([]byte("v: "+scalar(s)), &struct{ V *string }{&back}); err != nil || back != s {
			t.Errorf("scalar(%q) = %q reads back as %q (%v)", s, scalar(s), back, err)
		}
	}
}
