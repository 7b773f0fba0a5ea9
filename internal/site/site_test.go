package site_test

import (
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/site"
	"github.com/feedmill/feedmill/internal/store"
)

func build(t *testing.T, f *fixture, cfg site.Config, opts site.Options) (site.Stats, []string) {
	t.Helper()
	var mu sync.Mutex
	var wrote []string
	opts.OnWrite = func(rel string) { mu.Lock(); wrote = append(wrote, rel); mu.Unlock() }
	stats, err := site.Build(t.Context(), f.st, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(wrote)
	return stats, wrote
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// standard is the fixture most tests share: 15 posts in 3 channels.
func standard(t *testing.T) *fixture {
	f := newFixture(t, "https://img.example")
	f.add(t, 0, 7, 0, "a")
	f.add(t, 1, 3, -30*time.Minute, "b")
	f.add(t, 2, 5, -10*time.Minute, "c")
	return f
}

func items(t *testing.T, f *fixture) []store.ItemMeta {
	t.Helper()
	all, err := f.st.ListItems(t.Context(), store.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestBuildWritesEveryKindOfPage(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, Title: "新闻聚合", BaseURL: "https://news.example.org/", PerPage: 3}
	stats, wrote := build(t, f, cfg, site.Options{})
	if stats.Posts != 15 || stats.PagesWritten != stats.PagesTotal || stats.PagesTotal != len(wrote) {
		t.Fatalf("stats = %+v, %d written", stats, len(wrote))
	}
	all := items(t, f)
	newest := all[0]
	post := read(t, dir, "posts/"+newest.Slug+".html")
	for _, want := range []string{
		"<title>" + newest.Title + " - 新闻聚合</title>",
		`<h1>` + newest.Title + `</h1>`,
		"新华社北京5月20日电",
		`href="https://news.example/a/0/6.html"`, // the original
		`>观察者网</a> › <a href="/categories/%E6%96%B0%E5%AA%92%E4%BD%93/%E8%A7%82%E5%AF%9F%E8%80%85%E7%BD%91/%E5%A4%B4%E6%9D%A1/">头条</a>`,
		`loading="lazy"`, `referrerpolicy="no-referrer"`,
		`<time datetime="2024-05-20T08:00:00Z">2024-05-20 08:00</time>`,
	} {
		if !strings.Contains(post, want) {
			t.Errorf("post page lacks %q", want)
		}
	}

	for _, rel := range []string{
		"index.html", "page/1.html", "categories/index.html", "categories/新媒体/index.html",
		"categories/新媒体/观察者网/index.html", "categories/新媒体/观察者网/头条/index.html",
		"archives/index.html", "archives/2024/05/index.html", "search.html", "404.html",
		"assets/style.css", "assets/search.js", "assets/favicon.svg",
	} {
		if page := read(t, dir, rel); strings.HasSuffix(rel, ".html") && !strings.Contains(page, "</html>") {
			t.Errorf("%s is not a whole page", rel)
		}
	}
	cats := read(t, dir, "categories/index.html")
	for _, want := range []string{`新媒体</a><span class="n">10</span>`, `头条<span class="n">7</span>`, `传统媒体</a><span class="n">5</span>`} {
		if !strings.Contains(cats, want) {
			t.Errorf("categories page lacks %q", want)
		}
	}

	// Every feed parses and carries the newest posts with their bodies.
	for _, dirRel := range []string{"", "categories/新媒体/", "categories/新媒体/观察者网/", "categories/传统媒体/人民日报/要闻/"} {
		var rss struct {
			Channel struct {
				Title string `xml:"title"`
				Items []struct {
					Title       string `xml:"title"`
					Link        string `xml:"link"`
					Description string `xml:"description"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal([]byte(read(t, dir, dirRel+"feed.xml")), &rss); err != nil {
			t.Fatalf("%sfeed.xml: %v", dirRel, err)
		}
		if len(rss.Channel.Items) == 0 || !strings.Contains(rss.Channel.Items[0].Description, "新华社") ||
			!strings.HasPrefix(rss.Channel.Items[0].Link, "https://news.example.org/posts/") {
			t.Errorf("%sfeed.xml: %+v", dirRel, rss.Channel)
		}
		var atom struct {
			Entries []struct {
				Title   string `xml:"title"`
				Content string `xml:"content"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal([]byte(read(t, dir, dirRel+"atom.xml")), &atom); err != nil {
			t.Fatalf("%satom.xml: %v", dirRel, err)
		}
		var jf struct {
			Version string
			Items   []struct {
				ID          string `json:"id"`
				ContentHTML string `json:"content_html"`
			}
		}
		if err := json.Unmarshal([]byte(read(t, dir, dirRel+"feed.json")), &jf); err != nil {
			t.Fatalf("%sfeed.json: %v", dirRel, err)
		}
		if len(atom.Entries) != len(rss.Channel.Items) || len(jf.Items) != len(rss.Channel.Items) || jf.Version != "https://jsonfeed.org/version/1.1" {
			t.Errorf("%s: %d rss, %d atom, %d json items", dirRel, len(rss.Channel.Items), len(atom.Entries), len(jf.Items))
		}
		// The three carry the same HTML body (RSS and Atom with a link to
		// the original after it), and a feed reader's parser reads it as
		// the HTML it is.
		body := rss.Channel.Items[0].Description
		if !strings.Contains(body, "<p>") || atom.Entries[0].Content != body || !strings.HasPrefix(body, jf.Items[0].ContentHTML) {
			t.Errorf("%s: the feeds' bodies differ:\nrss  %q\natom %q\njson %q", dirRel, rss.Channel.Items[0].Description, atom.Entries[0].Content, body)
		}
		for _, name := range []string{"feed.xml", "atom.xml"} {
			parsed, err := gofeed.NewParser().ParseString(read(t, dir, dirRel+name))
			if err != nil {
				t.Fatalf("%s%s: gofeed: %v", dirRel, name, err)
			}
			if got := parsed.Items[0]; got.Content != body && got.Description != body {
				t.Errorf("%s%s: gofeed reads the body as %q / %q", dirRel, name, got.Description, got.Content)
			}
		}
	}

	var idx struct {
		Shards []struct {
			U string
			N int
		}
	}
	if err := json.Unmarshal([]byte(read(t, dir, "search/index.json")), &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Shards) != 1 || idx.Shards[0].N != 15 {
		t.Fatalf("search index = %+v", idx)
	}
	var entries []struct{ U, T, S, D, X string }
	shard := strings.TrimPrefix(strings.Split(idx.Shards[0].U, "?")[0], "/")
	if err := json.Unmarshal([]byte(read(t, dir, shard)), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 15 || entries[0].T != newest.Title || !strings.Contains(entries[0].X, "新华社") {
		t.Errorf("search shard = %+v", entries[:1])
	}

	var smi struct {
		Sitemaps []struct{ Loc string } `xml:"sitemap"`
	}
	if err := xml.Unmarshal([]byte(read(t, dir, "sitemap.xml")), &smi); err != nil || len(smi.Sitemaps) != 2 {
		t.Fatalf("sitemap index: %+v, %v", smi, err)
	}
	posts := read(t, dir, "sitemaps/posts-0.xml")
	if strings.Count(posts, "<loc>") != 15 {
		t.Errorf("posts sitemap has %d URLs", strings.Count(posts, "<loc>"))
	}

	opml := read(t, dir, "sources.opml")
	var o struct {
		Body []struct {
			Text     string `xml:"text,attr"`
			Children []struct {
				Children []struct {
					XMLURL string `xml:"xmlUrl,attr"`
				} `xml:"outline"`
			} `xml:"outline"`
		} `xml:"body>outline"`
	}
	if err := xml.Unmarshal([]byte(opml), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Body) != 2 || o.Body[0].Children[0].Children[0].XMLURL == "" || strings.Contains(opml, "secret123") {
		t.Errorf("opml = %s", opml)
	}
}

// Lists are paginated from their oldest post: the top page takes the
// newest, and "older" links walk down to page 1.
func TestPaginationWalksEveryPost(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	build(t, f, site.Config{Dir: dir, PerPage: 4}, site.Options{})
	older := regexp.MustCompile(`class="older" rel="next" href="/([^"]+)"`)
	postLink := regexp.MustCompile(`<h2><a href="/posts/([0-9a-f]+)\.html">`)
	seen := map[string]bool{}
	rel := "index.html"
	pages := 0
	for rel != "" {
		page := read(t, dir, rel)
		pages++
		for _, m := range postLink.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Errorf("post %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		rel = ""
		if m := older.FindStringSubmatch(page); m != nil {
			rel = m[1]
		}
	}
	if len(seen) != 15 || pages != 3 {
		t.Errorf("walked %d pages and %d posts; want 3 and 15", pages, len(seen))
	}
}

// A second build with nothing new writes nothing; one after a new item
// writes exactly the pages that show it.
func TestIncrementalBuildWritesOnlyTouchedPages(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, Title: "新闻", BaseURL: "https://news.example.org/", PerPage: 6}
	first, _ := build(t, f, cfg, site.Options{})

	again, wrote := build(t, f, cfg, site.Options{})
	if again.PagesRendered != 0 || again.PagesWritten != 0 || again.PagesTotal != first.PagesTotal {
		t.Fatalf("unchanged rebuild: %+v, wrote %q", again, wrote)
	}

	f.add(t, 2, 1, 2*time.Hour, "new") // one new newest item in 传统媒体/人民日报/要闻
	stats, wrote := build(t, f, cfg, site.Options{})
	newest := items(t, f)[0]
	feeds := func(dir string) []string {
		return []string{dir + "atom.xml", dir + "feed.json", dir + "feed.xml"}
	}
	want := []string{"archives/2024/05/index.html", "archives/index.html", "categories/index.html"}
	for _, d := range []string{"", "categories/传统媒体/", "categories/传统媒体/人民日报/", "categories/传统媒体/人民日报/要闻/"} {
		want = append(want, feeds(d)...)
		want = append(want, d+"index.html")
	}
	want = append(want, "posts/"+newest.Slug+".html", "search/0.json", "search/index.json", "sitemaps/posts-0.xml")
	sort.Strings(want)
	if !reflect.DeepEqual(wrote, want) {
		t.Errorf("wrote %d pages:\n%s\nwant %d:\n%s", len(wrote), strings.Join(wrote, "\n"), len(want), strings.Join(want, "\n"))
	}
	if stats.PagesWritten != len(want) || stats.PagesTotal != first.PagesTotal+1 {
		t.Errorf("stats = %+v", stats)
	}

	// Seven more posts push the oldest of each touched list onto a new
	// archived page: the list pages written are the top pages, that new
	// page, and the archived page below it whose "newer" link now leads
	// to the new page instead of the top; never older ones.
	f.add(t, 2, 7, 3*time.Hour, "fill")
	_, wrote = build(t, f, cfg, site.Options{})
	var lists []string
	for _, w := range wrote {
		if strings.HasSuffix(w, ".html") && !strings.HasPrefix(w, "posts/") {
			lists = append(lists, w)
		}
	}
	want = []string{"archives/2024/05/index.html", "archives/2024/05/page/1.html", "archives/2024/05/page/2.html", "archives/index.html", "categories/index.html",
		"categories/传统媒体/index.html", "categories/传统媒体/page/1.html", "categories/传统媒体/人民日报/index.html", "categories/传统媒体/人民日报/page/1.html",
		"categories/传统媒体/人民日报/要闻/index.html", "categories/传统媒体/人民日报/要闻/page/1.html", "index.html", "page/1.html", "page/2.html"}
	if !reflect.DeepEqual(lists, want) {
		t.Errorf("list pages written:\n%s\nwant:\n%s", strings.Join(lists, "\n"), strings.Join(want, "\n"))
	}
}

// A post keeps its URL when newer posts arrive, and the URL derives from
// the item itself, so a store rebuilt from the same feeds gives the same.
func TestPostURLsAreStable(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	build(t, f, site.Config{Dir: dir}, site.Options{})
	before := map[string]string{}
	for _, m := range items(t, f) {
		before[m.Title] = m.Slug
		if m.Slug != store.ItemSlug(f.sources[0].Key(), "", 0) && len(m.Slug) != 12 {
			t.Errorf("slug %q", m.Slug)
		}
	}
	f.add(t, 0, 30, 5*time.Hour, "more")
	build(t, f, site.Config{Dir: dir}, site.Options{})
	for _, m := range items(t, f) {
		if s, ok := before[m.Title]; ok && s != m.Slug {
			t.Errorf("%s moved from %s to %s", m.Title, s, m.Slug)
		}
	}
	g := standard(t) // a fresh store with the same items
	for _, m := range items(t, g) {
		_ = m
	}
	if _, err := g.st.EnsureSlugs(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, m := range items(t, g) {
		if before[m.Title] != m.Slug {
			t.Errorf("fresh store gives %s slug %s, first store %s", m.Title, m.Slug, before[m.Title])
		}
	}
}

func TestRemovedItemLosesItsPage(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	build(t, f, site.Config{Dir: dir}, site.Options{})
	victim := items(t, f)[3]
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM items WHERE id = ?`, victim.ID); err != nil {
		t.Fatal(err)
	}
	stats, _ := build(t, f, site.Config{Dir: dir}, site.Options{})
	if stats.PagesRemoved != 1 || stats.Posts != 14 {
		t.Errorf("stats = %+v", stats)
	}
	if _, err := os.Stat(filepath.Join(dir, "posts", victim.Slug+".html")); !os.IsNotExist(err) {
		t.Errorf("the removed item's page is still there: %v", err)
	}
}

func TestFullBuildRendersAllWritesNothingNew(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	first, _ := build(t, f, site.Config{Dir: dir}, site.Options{})
	full, wrote := build(t, f, site.Config{Dir: dir}, site.Options{Full: true})
	if full.PagesRendered != first.PagesTotal || full.PagesWritten != 0 {
		t.Errorf("full rebuild: %+v, wrote %q", full, wrote)
	}
	// A changed setting changes the pages that show it.
	changed, _ := build(t, f, site.Config{Dir: dir, Title: "另一个标题"}, site.Options{})
	if changed.PagesRendered != first.PagesTotal-3 || changed.PagesWritten == 0 { // all but the 3 assets
		t.Errorf("after a title change: %+v", changed)
	}
}

func TestTemplatesAndAssetsCanBeOverridden(t *testing.T) {
	f := standard(t)
	tpl := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tpl, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tpl, "post.html"), []byte(`{{define "main"}}<article class="mine">{{.Post.Title}}|{{.Post.Body}}</article>{{end}}`), 0o644)
	os.WriteFile(filepath.Join(tpl, "assets", "style.css"), []byte("body{color:red}"), 0o644)
	os.WriteFile(filepath.Join(tpl, "assets", "logo.png"), []byte("png"), 0o644)
	dir := t.TempDir()
	build(t, f, site.Config{Dir: dir, Templates: tpl}, site.Options{})
	newest := items(t, f)[0]
	if post := read(t, dir, "posts/"+newest.Slug+".html"); !strings.Contains(post, `<article class="mine">`+newest.Title+"|<p>") {
		t.Errorf("override not used: %s", post)
	}
	if css := read(t, dir, "assets/style.css"); css != "body{color:red}" {
		t.Errorf("style.css = %q", css)
	}
	if read(t, dir, "assets/logo.png") != "png" {
		t.Error("extra asset not published")
	}

	os.WriteFile(filepath.Join(tpl, "nonsense.html"), []byte(`x`), 0o644)
	if _, err := site.Build(t.Context(), f.st, site.Config{Dir: dir, Templates: tpl}, site.Options{}); err == nil || !strings.Contains(err.Error(), "nonsense.html") {
		t.Errorf("unknown template name: %v", err)
	}
	os.Remove(filepath.Join(tpl, "nonsense.html"))
	os.WriteFile(filepath.Join(tpl, "list.html"), []byte(`{{define "main"}}{{.Nope}}{{end}}`), 0o644)
	if _, err := site.Build(t.Context(), f.st, site.Config{Dir: dir, Templates: tpl}, site.Options{Full: true}); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("broken template: %v", err)
	}
}

// TestOverriddenLayoutKeepsBuiltinParts: a layout.html of the user's
// (here one that defines only the page skeleton) need not define the
// parts the built-in page templates use.
func TestOverriddenLayoutKeepsBuiltinParts(t *testing.T) {
	f := standard(t)
	tpl := t.TempDir()
	os.WriteFile(filepath.Join(tpl, "layout.html"), []byte(`<!DOCTYPE html><title>{{.Title}}</title><body class="mine">{{template "main" .}}</body>`), 0o644)
	dir := t.TempDir()
	build(t, f, site.Config{Dir: dir, Templates: tpl}, site.Options{})
	newest := items(t, f)[0]
	post := read(t, dir, "posts/"+newest.Slug+".html")
	if !strings.Contains(post, `<body class="mine">`) || !strings.Contains(post, `<nav class="crumbs"><a href="/">首页</a> › <a href="/categories/`) {
		t.Errorf("post with the user's layout: %s", post)
	}
}

func TestImagesAreLazyAndProxied(t *testing.T) {
	f := standard(t)
	dir := t.TempDir()
	signer := imgproxy.NewSigner([]byte("0123456789abcdef0123"))
	build(t, f, site.Config{Dir: dir, ImageProxy: signer}, site.Options{})
	newest := items(t, f)[0] // a6: has an image
	post := read(t, dir, "posts/"+newest.Slug+".html")
	raw := "https://img.example/img/2.png"
	want := `<img src="` + strings.ReplaceAll(signer.URL("/img", raw), "&", "&amp;") + `" alt="配图" referrerpolicy="no-referrer" loading="lazy">` // the cleaner appends referrerpolicy; the site adds loading
	if !strings.Contains(post, want) {
		t.Errorf("post lacks %s:\n%s", want, post)
	}
	home := read(t, dir, "index.html")
	if !strings.Contains(home, `class="thumb"`) || strings.Contains(home, `src="https://img.example`) {
		t.Errorf("home thumbnails not proxied")
	}
}

// A build that stopped half-way (killed, or cut off by a power loss), or
// one that finished before the machine restarted (a power cut loses the
// pages still in the page cache), is followed by one that checks every
// page against the disk and repairs what was lost; the build after that
// trusts the manifest again.
func TestInterruptedBuildIsRepaired(t *testing.T) {
	for name, marker := range map[string]string{
		"stopped while building":   "building\n",
		"finished in another boot": "built in boot 00000000-0000-0000-0000-000000000000\n",
		"damaged marker":           "",
		"earlier version's marker": "a feedmill build is writing this site\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := standard(t)
			dir := t.TempDir()
			first, _ := build(t, f, site.Config{Dir: dir}, site.Options{})
			if again, _ := build(t, f, site.Config{Dir: dir}, site.Options{}); again.PagesRendered != 0 {
				t.Fatalf("a finished build was not trusted: %+v", again)
			}
			newest := items(t, f)[0]
			lost := filepath.Join(dir, "posts", newest.Slug+".html")
			os.WriteFile(lost, nil, 0o644) // a power cut lost the page's data
			os.WriteFile(filepath.Join(dir, site.BuildingName), []byte(marker), 0o644)
			stats, wrote := build(t, f, site.Config{Dir: dir}, site.Options{})
			if stats.PagesRendered != first.PagesTotal || !reflect.DeepEqual(wrote, []string{"posts/" + newest.Slug + ".html"}) {
				t.Errorf("repair build: %+v, wrote %q", stats, wrote)
			}
			if again, _ := build(t, f, site.Config{Dir: dir}, site.Options{}); again.PagesRendered != 0 {
				t.Errorf("the build after the repair was not trusted: %+v", again)
			}
		})
	}
}

// A podcast's audio is on its post page as it is in its Hexo post: the
// site cleans the body with the item's enclosures, as the refresh does.
func TestPostShowsItsEnclosures(t *testing.T) {
	f := newFixture(t, "")
	item := feed.Item{GUID: "ep1", Link: "https://pod.example/ep1", Title: "第一期：新闻播客", Content: "<p>本期节目讨论新能源汽车。</p>",
		Published:  f.now.Add(-time.Hour),
		Enclosures: []feed.Enclosure{{URL: "https://pod.example/ep1.mp3", Type: "audio/mpeg", Length: "123456"}}}
	if _, err := f.st.InsertItems(t.Context(), f.ids[0], []feed.Item{item}, 0, nil, f.now); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build(t, f, site.Config{Dir: dir}, site.Options{})
	post := read(t, dir, "posts/"+items(t, f)[0].Slug+".html")
	want := content.Process(item.Content, item.Link, content.Options{Enclosures: item.Enclosures}).HTML
	if !strings.Contains(want, "<audio") || !strings.Contains(post, `src="https://pod.example/ep1.mp3"`) || !strings.Contains(post, "<audio") {
		t.Errorf("post page lacks the audio the post has (%s):\n%s", want, post)
	}
}
