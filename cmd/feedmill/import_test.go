package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func rss(title string, items ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>` + title + `</title>` + strings.Join(items, "") + `</channel></rss>`)
}

func rssItem(guid, title, date, body string) string {
	return fmt.Sprintf(`<item><title>%s</title><guid>%s</guid><link>https://example.com/%s</link><pubDate>%s</pubDate><description><![CDATA[%s]]></description></item>`, title, guid, guid, date, body)
}

// readTree returns every file under dir by its path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, p)
			out[rel] = data
		}
		return nil
	})
	return out
}

// oldSite copies the fixture of an old installation, pointing its
// muti_work.py at base.
func oldSite(t *testing.T, base string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blog")
	copyTree(t, "testdata/oldsite", dir)
	py := filepath.Join(dir, "muti_work.py")
	data, err := os.ReadFile(py)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(py, bytes.ReplaceAll(data, []byte("RSSHUB_BASE"), []byte(base)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The migration: an old installation (docs pages with every quirk,
// slect:, diy:, muti_work.py, and posts the old scripts wrote) →
// feedmill import → feedmill run against a local RSSHub: every old post
// stays byte for byte where it was, and the new items land beside them.
func TestMigrationKeepsOldPosts(t *testing.T) {
	hub := newRSSHub(t)
	hub.setFeed("/36kr/newsflashes", rss("36氪 - 快讯",
		rssItem("kr-2", "特斯拉降价", "Mon, 07 Dec 2026 03:00:00 GMT", "<p>特斯拉宣布降价。</p>"),
		rssItem("kr-1", "苹果发布新品，售价 9999 元", "Mon, 07 Dec 2026 01:00:00 GMT", "<p>苹果今日发布新品。</p>")))
	hub.setFeed("/oschina/news/industry", rss("开源中国", rssItem("os-9", "Rust 2027 路线图", "Sun, 06 Dec 2026 10:00:00 GMT", "<p>路线图</p>")))
	hub.setFeed("/juejin/category/frontend", rss("掘金", rssItem("jj-1", "CSS 新特性", "Sun, 06 Dec 2026 11:00:00 GMT", "<p>@scope</p>")))
	hub.setFeed("/sspai/index", rss("少数派", rssItem("ss-1", "效率工具推荐", "Sun, 06 Dec 2026 12:00:00 GMT", "<p>工具</p>")))

	dir := oldSite(t, hub.URL)
	posts := filepath.Join(dir, "source", "_posts")
	before := readTree(t, posts)
	cfgPath := filepath.Join(dir, "feedmill.yaml")

	code, out, errOut := runCLI(t, "import", dir, "-o", cfgPath)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"temple/new-media.md: 3 routes", "temple/programming.md: 2 routes", "temple/temple_config.yml: 5 routes in slect:",
		"user_config.yml: 1 diy: entries", "muti_work.py: RSSHub at " + hub.URL, "source/_posts: 2 old posts",
		"slect: 1 paths are in no docs page", "/weibo/search/hot", "wrote " + cfgPath + ": 5 sources",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	cfg, _ := os.ReadFile(cfgPath)
	for _, want := range []string{"rsshub: " + hub.URL + "\n", "max_items: 15", "  dir: source/_posts\n",
		"  - group: 新媒体\n    source: 观察者网\n    channel: 头条\n    url: /guancha/headline  # temple/new-media.md:11\n",
		"  - group: 新媒体\n    source: 36氪\n    channel: 快讯\n    url: /36kr/newsflashes",
		"  - group: 编程\n    source: 开源中国\n    channel: 资讯\n    url: /oschina/news/industry",
		"  - group: 编程\n    source: 掘金\n    channel: 分类\n    url: /juejin/category/frontend",
		"  - group: 科技\n    source: 少数派\n    channel: 首页\n    url: /sspai/index",
	} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("feedmill.yaml lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(string(cfg), "风闻话题") || strings.Contains(string(cfg), "/not/a/route") {
		t.Errorf("feedmill.yaml has a route slect: did not select:\n%s", cfg)
	}

	code, out, errOut = runCLI(t, "run", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	after := readTree(t, posts)
	for p, data := range before {
		if !bytes.Equal(after[p], data) {
			t.Errorf("old post %s changed or went away", p)
		}
	}
	for _, p := range []string{
		"新媒体/36氪/快讯/特斯拉降价.md", "编程/开源中国/资讯/Rust 2027 路线图.md",
		"编程/掘金/分类/CSS 新特性.md", "科技/少数派/首页/效率工具推荐.md",
	} {
		if _, ok := after[filepath.FromSlash(p)]; !ok {
			t.Errorf("new post %s is missing; posts: %v", p, keys(after))
		}
	}
	if len(after) != len(before)+4 {
		t.Errorf("%d posts after the run, want %d: %v", len(after), len(before)+4, keys(after))
	}

	// Importing again does not overwrite the configuration.
	code, _, errOut = runCLI(t, "import", dir, "-o", cfgPath)
	if now, _ := os.ReadFile(cfgPath); code != 2 || !strings.Contains(errOut, "exists (use --force") || !bytes.Equal(now, cfg) {
		t.Errorf("second import: exit %d\n%s", code, errOut)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestImportBadInput(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	page := "# 新媒体\n## 观察者网\n### 头条\n<Route example=\"/guancha/headline\" path=\"/guancha/headline\"/>\n"
	var big strings.Builder
	big.WriteString(`<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>`)
	for i := range 10000 {
		fmt.Fprintf(&big, `<outline text="feed %d" xmlUrl="https://example.com/%d.xml"/>`, i, i)
	}
	big.WriteString(`</body></opml>`)
	for _, tc := range []struct {
		name  string
		files map[string]string
		arg   string // relative to the folder; "" is the folder
		code  int
		want  string
	}{
		{"docs page without H1", map[string]string{"temple/a.md": "## 观察者网\n### 头条\n<Route example=\"/guancha/headline\"/>\n", "temple/temple_config.yml": "slect:\n  - /guancha/headline\n"},
			"", 2, `temple/a.md:3: a route (/guancha/headline) comes before any "# " heading naming its group`},
		{"unknown key in diy", map[string]string{"user_config.yml": "diy:\n  - categories: 科技\n    source_parent: 少数派\n    source_child: 首页\n    links: /sspai/index\n"},
			"", 2, `user_config.yml:5: diy[0]: unknown key "links"; an entry has only categories, source_parent, source_child, link`},
		{"diy entry missing a field", map[string]string{"user_config.yml": "diy:\n  - categories: 科技\n    source_parent: 少数派\n    link: /sspai/index\n"},
			"", 2, "user_config.yml:2: diy[0]: source_child is missing or empty"},
		{"duplicate triples", map[string]string{"temple/a.md": page, "temple/temple_config.yml": "slect:\n  - /guancha/headline\n",
			"user_config.yml": "diy:\n  - {categories: 新媒体, source_parent: 观察者网, source_child: 头条, link: /guancha/other}\n"},
			"", 2, `give two routes the same group/source/channel "新媒体/观察者网/头条" (/guancha/headline and /guancha/other)`},
		{"OPML include loop", map[string]string{"a.opml": `<opml version="2.0"><body><outline text="b" type="include" url="b.opml"/></body></opml>`,
			"b.opml": `<opml version="2.0"><body><outline text="a" type="include" url="a.opml"/></body></opml>`},
			"a.opml", 2, "outlines include each other in a loop"},
		{"not OPML", map[string]string{"a.opml": "hello"}, "a.opml", 2, "a.opml: not an OPML file"},
		{"not an installation", map[string]string{"README.md.txt": "x"}, "", 2, "is not an old RSSHub → Hexo installation"},
		{"nothing selected", map[string]string{"temple/a.md": page, "temple/temple_config.yml": "slect: []\n"}, "", 2, "found no sources to import"},
		{"10,000 outlines", map[string]string{"big.opml": big.String()}, "big.opml", 0, "10000 sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := write(t, tc.files)
			out := filepath.Join(t.TempDir(), "feedmill.yaml")
			code, stdout, errOut := runCLI(t, "import", filepath.Join(dir, tc.arg), "-o", out)
			if code != tc.code || !strings.Contains(stdout+errOut, tc.want) {
				t.Errorf("exit %d (want %d)\n%s\n%s\nwant %q", code, tc.code, stdout, errOut, tc.want)
			}
			_, err := os.Stat(out)
			if written := err == nil; written != (tc.code == 0) {
				t.Errorf("written: %v", written)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*.tmp")); len(leftovers) > 0 {
				t.Errorf("temp files left: %v", leftovers)
			}
		})
	}
}

// With a catalog at hand, import names the routes RSSHub no longer has and
// their likely successor, and still writes them as the old scripts had
// them: the old instance may serve them yet.
func TestImportNamesRoutesRSSHubNoLongerHas(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "temple"), 0o755)
	os.WriteFile(filepath.Join(dir, "temple", "a.md"), []byte("# 编程\n## 掘金\n### 前端\n<Route example=\"/jjuejin/category/frontend\" path=\"/jjuejin/category/:category\"/>\n### 后端\n<Route example=\"/gone/away\"/>\n## 开源中国\n### 资讯\n<Route example=\"/oschina/news\"/>\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "temple", "temple_config.yml"), []byte("slect:\n  - /jjuejin/category/frontend\n  - /gone/away\n  - /oschina/news\n"), 0o644)
	out := filepath.Join(dir, "feedmill.yaml")
	code, stdout, errOut := runCLI(t, "import", dir, "-o", out, "--catalog", "../../internal/catalog/testdata/routes-Test1234.mjs")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, errOut)
	}
	for _, want := range []string{
		"RSSHub no longer has /jjuejin/category/frontend (编程/掘金/前端); likely successor: /juejin/category/frontend (编程/掘金/分类)",
		"RSSHub no longer has /gone/away (编程/掘金/后端); no clear successor",
		"rsshub: no muti_work.py named the RSSHub base; https://rsshub.app is assumed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "no longer has /oschina/news") {
		t.Errorf("a route RSSHub has is reported:\n%s", stdout)
	}
	cfg, _ := os.ReadFile(out)
	if !strings.Contains(string(cfg), "  # RSSHub no longer has /jjuejin/category/frontend") || !strings.Contains(string(cfg), "url: /jjuejin/category/frontend") {
		t.Errorf("feedmill.yaml:\n%s", cfg)
	}
	if code, _, errOut := runCLI(t, "import", dir, "-o", out+"2", "--catalog", "https://rsshub.example.org/api/namespace"); code != 2 || !strings.Contains(errOut, "import fetches nothing") {
		t.Errorf("--catalog URL: exit %d\n%s", code, errOut)
	}
}
