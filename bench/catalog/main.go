// Command catalog writes the fixtures of the front door's two figures:
// a synthetic RSSHub route catalog of the real one's size and shape
// (about 4.7 MB, 2,000 namespaces, 3,900 routes, as /api/namespace serves
// it) with a configuration that reads it, and an old RSSHub → Hexo
// installation with 300 routes. It then prints the commands to time.
//
// The real catalog is AGPL-licensed data and is neither committed nor
// needed: the synthetic one has its keys, nesting, category ids, feature
// flags, parameters and description lengths.
//
//	go run ./bench/catalog -dir /tmp/feedmill-catalog
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var categories = []string{"social-media", "new-media", "traditional-media", "bbs", "blog", "programming", "design", "live",
	"multimedia", "picture", "anime", "program-update", "university", "forecast", "travel", "shopping", "game", "reading",
	"government", "study", "journal", "finance", "sport", "other"}

// words make names and descriptions of realistic length and script.
var words = []string{"新闻", "头条", "快讯", "资讯", "专栏", "热榜", "最新", "推荐", "分类", "话题", "文章", "公告",
	"通知", "动态", "政策", "解读", "视频", "直播", "评论", "深度", "news", "latest", "topic", "column", "user", "timeline"}

func phrase(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

type route struct {
	Path        any               `json:"path"`
	Categories  []string          `json:"categories,omitempty"`
	Example     string            `json:"example"`
	Parameters  map[string]string `json:"parameters"`
	Features    map[string]any    `json:"features"`
	Radar       []map[string]any  `json:"radar,omitempty"`
	Name        string            `json:"name"`
	Maintainers []string          `json:"maintainers"`
	URL         string            `json:"url,omitempty"`
	Description string            `json:"description,omitempty"`
	Location    string            `json:"location"`
	Module      string            `json:"module"`
}

type namespace struct {
	Routes      map[string]route `json:"routes"`
	APIRoutes   map[string]any   `json:"apiRoutes"`
	Name        string           `json:"name"`
	URL         string           `json:"url"`
	Categories  []string         `json:"categories,omitempty"`
	Description string           `json:"description"`
	Lang        string           `json:"lang"`
	ZH          map[string]any   `json:"zh,omitempty"`
}

// synthetic returns a catalog of nsCount namespaces and routeCount routes.
func synthetic(nsCount, routeCount int) (map[string]namespace, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	cat := map[string]namespace{}
	var examples []string
	for i := 0; i < nsCount; i++ {
		id := fmt.Sprintf("ns%04d", i)
		if i%40 == 0 {
			id = fmt.Sprintf("gov/dept%04d", i)
		}
		ns := namespace{Routes: map[string]route{}, APIRoutes: map[string]any{}, Name: "Site " + id, URL: id + ".example.com", Lang: "zh-CN"}
		if i%3 == 0 {
			ns.ZH = map[string]any{"name": phrase(r, 2) + "网"}
		}
		if i%5 == 0 {
			ns.Categories = []string{categories[r.IntN(len(categories))]}
		}
		n := routeCount / nsCount
		if i < routeCount%nsCount {
			n++
		}
		for j := 0; j < n; j++ {
			key := fmt.Sprintf("/r%d", j)
			params := map[string]string{}
			example := "/" + id + key
			if j%2 == 1 {
				key += "/:category?"
				params["category"] = "分类，见下表，默认为" + phrase(r, 3)
				example += "/c1"
			}
			rt := route{Path: key, Example: example, Parameters: params, Name: phrase(r, 2),
				Features: map[string]any{"requireConfig": (i+j)%11 == 0, "requirePuppeteer": (i+2*j)%13 == 0, "antiCrawler": (i+3*j)%7 == 0,
					"supportBT": false, "supportPodcast": false, "supportScihub": false},
				Radar:       []map[string]any{{"source": []string{id + ".example.com/"}, "target": key}},
				Maintainers: []string{"someone"}, URL: id + ".example.com/",
				Description: "| 分类 | 代码 |\n| --- | --- |\n" + strings.Repeat("| "+phrase(r, 2)+" | "+phrase(r, 1)+" |\n", 6+r.IntN(36)),
				Location:    fmt.Sprintf("r%d.ts", j), Module: fmt.Sprintf("() => import('@/routes/%s/r%d.ts')", id, j)}
			if i%5 != 0 || j%2 == 0 {
				rt.Categories = []string{categories[r.IntN(len(categories))]}
				if j%9 == 0 {
					rt.Categories = append([]string{"popular"}, rt.Categories...)
				}
			}
			ns.Routes[key] = rt
			examples = append(examples, example)
		}
		cat[id] = ns
	}
	return cat, examples
}

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "feedmill-catalog"), "where to write the fixtures")
	nsCount := flag.Int("namespaces", 2000, "namespaces in the catalog")
	routeCount := flag.Int("routes", 3900, "routes in the catalog")
	oldRoutes := flag.Int("old-routes", 300, "routes of the old installation")
	flag.Parse()

	cat, examples := synthetic(*nsCount, *routeCount)
	data, err := json.Marshal(cat)
	if err != nil {
		log.Fatal(err)
	}
	must(os.MkdirAll(filepath.Join(*dir, "site"), 0o755))
	must(os.WriteFile(filepath.Join(*dir, "catalog.json"), data, 0o644))
	must(os.WriteFile(filepath.Join(*dir, "site", "feedmill.yaml"), []byte(
		"rsshub: https://rsshub.example.org\ncatalog: ../catalog.json\nsources:\n  - "+examples[0]+"\n"), 0o644))

	// The old installation: docs pages of 10 groups, a route per channel,
	// slect: every one, a few diy: entries, and muti_work.py.
	old := filepath.Join(*dir, "old")
	must(os.MkdirAll(filepath.Join(old, "temple"), 0o755))
	must(os.MkdirAll(filepath.Join(old, "source", "_posts"), 0o755))
	var slect strings.Builder
	slect.WriteString("# 新媒体\n#   观察者网\nslect:\n")
	diy := 20
	for g := 0; g < 10; g++ {
		var page strings.Builder
		fmt.Fprintf(&page, "---\npageClass: routes\n---\n\n# 分组%d {#group-%d}\n\n", g, g)
		for i := g; i < *oldRoutes-diy; i += 10 {
			ex := examples[i*len(examples)/(*oldRoutes)]
			fmt.Fprintf(&page, "## 来源%d {#source-%d}\n\n### 栏目%d\n\n<Route author=\"someone\" example=\"%s\" path=\"%s\" radar=\"1\" rssbud=\"1\"/>\n\n| 说明 | 值 |\n| --- | --- |\n| a | b |\n\n", i, i, i, ex, ex)
			fmt.Fprintf(&slect, "  - %s\n", ex)
		}
		must(os.WriteFile(filepath.Join(old, "temple", fmt.Sprintf("group%d.md", g)), []byte(page.String()), 0o644))
	}
	must(os.WriteFile(filepath.Join(old, "temple", "temple_config.yml"), []byte(slect.String()), 0o644))
	var uc strings.Builder
	uc.WriteString("diy:\n")
	for i := 0; i < diy; i++ {
		fmt.Fprintf(&uc, "  - categories: 自定义\n    source_parent: 站点%d\n    source_child: 首页\n    link: /custom%d/index\n", i, i)
	}
	must(os.WriteFile(filepath.Join(old, "user_config.yml"), []byte(uc.String()), 0o644))
	must(os.WriteFile(filepath.Join(old, "muti_work.py"), []byte("requests_url = 'https://rsshub.example.org' + url['link']\n"), 0o644))

	routes := 0
	for _, ns := range cat {
		routes += len(ns.Routes)
	}
	fmt.Printf("catalog: %s, %.1f MB, %d namespaces, %d routes\n", filepath.Join(*dir, "catalog.json"), float64(len(data))/1e6, len(cat), routes)
	fmt.Printf("old installation: %s, %d routes\n\n", old, *oldRoutes)
	fmt.Printf(`go build -o %[1]s/feedmill ./cmd/feedmill
%[1]s/feedmill routes --config %[1]s/site/feedmill.yaml --refresh > /dev/null   # fills the store's cache
hyperfine -N --warmup 3 '%[1]s/feedmill version' '%[1]s/feedmill routes --config %[1]s/site/feedmill.yaml 新闻' '%[1]s/feedmill import %[1]s/old -o %[1]s/imported.yaml --force'
`, *dir)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
