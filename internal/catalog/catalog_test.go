package catalog

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	data, err := os.ReadFile("testdata/namespace.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseModuleEqualsJSON(t *testing.T) {
	fromJSON := testCatalog(t)
	data, err := os.ReadFile("testdata/routes-Test1234.mjs")
	if err != nil {
		t.Fatal(err)
	}
	fromModule, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromModule) {
		t.Errorf("the module and the JSON give different catalogs:\n%+v\n%+v", fromModule.Routes, fromJSON.Routes)
	}
	if len(fromJSON.Routes) != 14 {
		t.Errorf("got %d routes, want 14", len(fromJSON.Routes))
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "", "empty"},
		{"html", "<!DOCTYPE html><html><body>502</body></html>", "HTML page"},
		{"broken json", `{"guancha": {"routes": `, "invalid JSON"},
		{"no namespaces", `{}`, "no namespaces"},
		{"wrong shape", `{"guancha": []}`, `namespace "guancha"`},
		{"module without export", npmMarker + "\nvar a = {\n\"routes\": {}\n};\n", "no export line"},
		{"module with a block cut", npmMarker + "\nvar a = {\n\"routes\": {}\n", "never ends"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		path, group, source, channel, err string
	}{
		{path: "/guancha/headline", group: "新媒体", source: "观察者网", channel: "头条"},
		{path: "/guancha/headline/", group: "新媒体", source: "观察者网", channel: "头条"},
		{path: "/guancha/headline?limit=5", group: "新媒体", source: "观察者网", channel: "头条"},
		// popular says nothing of the subject: the next category is the group.
		{path: "/oschina/news", group: "编程", source: "开源中国", channel: "资讯"},
		{path: "/oschina/news/industry", group: "编程", source: "开源中国", channel: "资讯 industry"},
		// No route categories: the namespace's.
		{path: "/36kr/newsflashes", group: "金融", source: "36kr", channel: "快讯"},
		// Neither: the first category of any route of the namespace.
		{path: "/gov/pbc/goutongjiaoliu", group: "金融", source: "中国人民银行", channel: "沟通交流"},
		// None at all.
		{path: "/nocat/list", group: "其他", source: "无分类", channel: "列表"},
		{path: "/twitter/user/_RSSHub", group: "社交媒体", source: "X (Twitter)", channel: "User timeline"},
		{path: "/konachan/sfw/post/popular_recent/1w", group: "图片", source: "Konachan Anime Wallpapers", channel: "Popular Recent Posts 1w"},
		{path: "/v2ex/topics/hot", group: "论坛", source: "V2EX", channel: "最热 ／ 最新主题 hot"},
		{path: "/guancha/topic/113", group: "新媒体", source: "观察者网", channel: "风闻话题 113"},
		{path: "/guancha/topic/:id", err: "needs its parameters filled: id (for example /guancha/topic/110/1)"},
		{path: "/guancha/topic/:id/:order?", err: "needs its parameters filled: id"},
		{path: "/guancha/headlines/x", err: "route /guancha/headlines/x is not in RSSHub's catalog; the closest routes are /guancha/headline (观察者网/头条)"},
		{path: "/oschina/newz/a/b", err: "the closest routes are /oschina/news (开源中国/资讯)"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			g, s, ch, err := c.Names(tc.path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g != tc.group || s != tc.source || ch != tc.channel {
				t.Errorf("got %s/%s/%s, want %s/%s/%s", g, s, ch, tc.group, tc.source, tc.channel)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	c := testCatalog(t)
	for path, want := range map[string][]string{
		"/twitter/user/_RSSHub":      {"config"},
		"/gov/pbc/tradeAnnouncement": {"browser"},
		"/36kr/hot-list":             {"anti-crawler"},
		"/guancha/headline":          nil,
	} {
		m, ok := c.Lookup(path)
		if !ok {
			t.Fatalf("%s not found", path)
		}
		if got := m.Flags(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: flags %v, want %v", path, got, want)
		}
	}
}

func TestSearch(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"观察者", []string{"/guancha", "/guancha/headline", "/guancha/topic/110/1"}},
		{"guancha 头条", []string{"/guancha/headline"}},
		{"Guancha", []string{"/guancha", "/guancha/headline", "/guancha/topic/110/1"}},
		{"programming", []string{"/juejin/category/frontend", "/juejin/trending/all/monthly", "/oschina/news"}},
		{"金融", []string{"/36kr/newsflashes", "/gov/pbc/goutongjiaoliu", "/gov/pbc/tradeAnnouncement"}},
		{"gov/pbc", []string{"/gov/pbc/goutongjiaoliu", "/gov/pbc/tradeAnnouncement"}},
		{"nothing-like-this", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var got []string
			for _, r := range c.Search(tc.query) {
				got = append(got, r.Example)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSuccessor(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct{ path, want string }{
		{"/jjuejin/category/frontend", "/juejin/category/frontend"}, // namespace renamed
		{"/guancha/headlines", "/guancha/headline"},                 // path changed a little
		{"/gone/away", ""},
	} {
		r, ok := c.Successor(tc.path)
		got := ""
		if ok {
			got = r.Example
		}
		if got != tc.want {
			t.Errorf("Successor(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		ok            bool
		params        map[string]string
	}{
		{"/npm/package/:name{(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*}", "/npm/package/rsshub", true, map[string]string{"name": "rsshub"}},
		{"/npm/package/:name{(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*}", "/npm/package/@scope/pkg", true, map[string]string{"name": "@scope/pkg"}},
		{"/81/81rc/:category{.+}?", "/81/81rc/sy/gzdt_210283", true, map[string]string{"category": "sy/gzdt_210283"}},
		{"/81/81rc/:category{.+}?", "/81/81rc", true, map[string]string{}},
		{"/a/:x/:y?", "/a/1/2/3", false, nil},
		{"/a/*", "/a/1/2/3", true, map[string]string{}},
		{"/A/b", "/a/B", true, map[string]string{}},
	} {
		params, _, ok := matchPattern(tc.pattern, tc.path)
		if ok != tc.ok || (ok && !reflect.DeepEqual(params, tc.params)) {
			t.Errorf("matchPattern(%s, %s) = %v, %v; want %v, %v", tc.pattern, tc.path, params, ok, tc.params, tc.ok)
		}
	}
}
