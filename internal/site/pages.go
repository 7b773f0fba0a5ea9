package site

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// job is a page to render: its path, its fingerprint and how to make it.
type job struct {
	rel    string
	fp     uint64
	render func() ([]byte, error)
	// feed lists the items whose feed entries the job uses.
	feed []*item
	// shared says that render returns memory the build keeps (an
	// asset's bytes), not to be reused once written.
	shared bool
}

// pageData is what every template gets.
type pageData struct {
	Site        *siteData
	Kind        string // home, list, post, categories, archives, search, 404
	Title       string // the document title (before the site's)
	Heading     string
	Description string
	Canonical   string
	Crumbs      []link
	// Nav is Crumbs as layout.html's "crumbs" renders them, once per list
	// for its pages and its posts: a post page spent a third of its time
	// on them.
	Nav template.HTML
	// Lists.
	Count    int
	Entries  []template.HTML // rendered by entry.html
	Newer    string
	Older    string
	PageNote string
	Feeds    *feedLinks
	Children []category
	// Posts.
	Post *postData
	// The taxonomy and the archives.
	Groups []category
	Years  []year
}

type siteData struct {
	Title       string
	Description string
	Root        string
	Home        string
	Categories  string
	Archives    string
	Search      string
	Feed        string
	Atom        string
	JSONFeed    string
	OPML        string
	Lang        string
	CSS         string
	SearchJS    string
	Favicon     string
	// Head, Header and Footer are layout.html's "sitehead", "header" and
	// "footer", rendered once per build.
	Head, Header, Footer template.HTML
}

// entry is a post as lists show it.
type entry struct {
	Href       string
	Title      string
	Source     string
	SourceHref string
	Date       string
	ISO        string
	Image      string
	Excerpt    string
}

type postData struct {
	Title    string
	Date     string
	ISO      string
	Source   string
	Author   string
	Image    string // head image shown above the body; "" when the body has it
	Body     template.HTML
	Original string
	Host     string
}

type feedLinks struct{ RSS, Atom, JSON string }

type category struct {
	Label    string
	Href     string
	Count    int
	Children []category
}

type year struct {
	Year   int
	Count  int
	Months []category
}

// siteData is the site as every template sees it, made once per build.
func (b *builder) siteData() *siteData { return b.site }

func (b *builder) makeSiteData() (*siteData, error) {
	sd := &siteData{
		Title: b.cfg.Title, Description: b.cfg.Description, Root: b.root,
		Home: b.root, Categories: b.href("categories/index.html"), Archives: b.href("archives/index.html"),
		Search: b.href("search.html"), Feed: b.href("feed.xml"), Atom: b.href("atom.xml"), JSONFeed: b.href("feed.json"),
		OPML: b.href("sources.opml"), Lang: "zh-CN",
		CSS: b.assetHref("style.css"), SearchJS: b.assetHref("search.js"), Favicon: b.assetHref("favicon.svg"),
	}
	var err error
	if sd.Head, err = b.tpl.part("sitehead", sd); err != nil {
		return nil, err
	}
	if sd.Header, err = b.tpl.part("header", sd); err != nil {
		return nil, err
	}
	if sd.Footer, err = b.tpl.part("footer", sd); err != nil {
		return nil, err
	}
	return sd, nil
}

// renderNavs renders the crumbs of every list that has some.
func (b *builder) renderNavs() error {
	for _, l := range b.allLists() {
		if len(l.crumbs) == 0 {
			continue
		}
		var err error
		if l.nav, err = b.tpl.part("crumbs", &pageData{Site: b.site, Crumbs: l.crumbs}); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) assetHref(name string) string {
	return b.href("assets/"+name) + "?v=" + b.tpl.assetVer[name]
}

// plan decides, for every file of the site, whether it must be rendered.
// Post pages are only marked here (process renders them); every other
// page comes back as a job.
func (b *builder) plan() []job {
	var jobs []job
	var feeds []feedPlan
	add := func(rel string, fp uint64, render func() ([]byte, error), summaries, bodies []*item) {
		b.next[rel] = fp
		if old, ok := b.old[rel]; ok && old == fp {
			return
		}
		for _, it := range summaries {
			it.needSummary = true
		}
		for _, it := range bodies {
			it.needBody = true
			it.feedRefs.Add(1)
		}
		jobs = append(jobs, job{rel: rel, fp: fp, render: render, feed: bodies})
	}

	for _, it := range b.items {
		b.next[it.rel] = it.fp
		if old, ok := b.old[it.rel]; !ok || old != it.fp {
			it.renderPost = true
		}
	}

	for _, l := range b.allLists() {
		for _, s := range b.spans(l) {
			h := newHash().u64(b.siteFP).str("list").str(l.kind).str(l.title).str(l.dir).str(s.rel).str(s.newer).str(s.older)
			if s.k == 0 {
				h.int(len(l.items))
				for _, c := range b.children(l) {
					h.str(c.Href).int(c.Count)
				}
			}
			for _, it := range l.items[s.lo:s.hi] {
				h.u64(it.fp)
			}
			l, s := l, s
			add(s.rel, h.sum(), func() ([]byte, error) { return b.renderList(l, s) }, l.items[s.lo:s.hi], nil)
		}
		if l.feeds {
			items := l.items[:min(len(l.items), b.cfg.FeedItems)]
			for _, f := range feedFormats {
				h := newHash().u64(b.siteFP).str("feed").str(f.name).str(l.title).str(l.dir)
				for _, it := range items {
					h.u64(it.fp)
				}
				feeds = append(feeds, feedPlan{l: l, f: f, items: items, rel: l.dir + f.name, fp: h.sum()})
			}
		}
	}

	// A feed that changed keeps most of its entries: those are taken from
	// the feed in place instead of rendering their bodies again. The old
	// feeds are read concurrently: a new item touches hundreds of them.
	b.findReusable(feeds)
	for _, p := range feeds {
		bodies := p.items
		if len(p.reuse) > 0 {
			bodies = nil
			for _, it := range p.items {
				if _, ok := p.reuse[it]; !ok {
					bodies = append(bodies, it)
				}
			}
		}
		p := p
		add(p.rel, p.fp, func() ([]byte, error) { return p.f.render(b, p.l, p.items, p.reuse) }, bodies, bodies)
	}

	h := newHash().u64(b.siteFP).str("categories")
	for _, l := range b.allLists() {
		if l.kind != "month" {
			h.str(l.dir).int(len(l.items))
		}
	}
	add("categories/index.html", h.sum(), b.renderCategories, nil, nil)
	h = newHash().u64(b.siteFP).str("archives")
	for _, l := range b.months {
		h.str(l.dir).int(len(l.items))
	}
	add("archives/index.html", h.sum(), b.renderArchives, nil, nil)

	for _, name := range []string{"search", "404"} {
		name := name
		add(name+".html", newHash().u64(b.siteFP).str(name).sum(), func() ([]byte, error) { return b.renderStatic(name) }, nil, nil)
	}
	for _, name := range b.tpl.assetNames() {
		data := b.tpl.assets[name]
		add("assets/"+name, newHash().str("asset").str(b.tpl.assetVer[name]).sum(), func() ([]byte, error) { return data, nil }, nil, nil)
		if n := len(jobs); n > 0 && jobs[n-1].rel == "assets/"+name {
			jobs[n-1].shared = true
		}
	}

	b.planSearch(add)
	b.planSitemaps(add)
	h = newHash().u64(b.siteFP).str("opml")
	for _, s := range b.sources {
		h.str(s.row.Key).str(s.row.URL)
	}
	add("sources.opml", h.sum(), b.renderOPML, nil, nil)
	// Feeds first: each frees the feed entries no other feed still needs,
	// so that they are gone before the many list pages are rendered.
	slices.SortStableFunc(jobs, func(a, b job) int {
		return cmp.Compare(boolInt(len(b.feed) > 0), boolInt(len(a.feed) > 0))
	})
	return jobs
}

// feedPlan is a feed of a list, planned.
type feedPlan struct {
	l     *list
	f     feedFormat
	items []*item
	rel   string
	fp    uint64
	reuse map[*item]string
}

// findReusable fills in the reusable entries of the feeds that changed.
func (b *builder) findReusable(feeds []feedPlan) {
	var todo []int
	for i, p := range feeds {
		if old, ok := b.old[p.rel]; ok && old != p.fp {
			todo = append(todo, i)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(todo), 2*b.workers()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := &feeds[i]
				p.reuse = b.reusableEntries(p.rel, p.f, p.items)
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
}

// children are the categories one level below a category list, for its
// top page.
func (b *builder) children(l *list) []category {
	var out []category
	switch l.kind {
	case "group":
		seen := map[*list]bool{}
		for _, s := range l.sources {
			if !seen[s.sourceList] {
				seen[s.sourceList] = true
				out = append(out, category{Label: s.name, Href: b.href(s.sourceList.dir), Count: len(s.sourceList.items)})
			}
		}
	case "source":
		for _, s := range l.sources {
			out = append(out, category{Label: s.channel, Href: b.href(s.channelList.dir), Count: len(s.channelList.items)})
		}
	}
	return out
}

func (b *builder) entry(it *item) entry {
	return entry{
		Href: b.href(it.rel), Title: displayTitle(it.Title),
		Source: it.src.name + " · " + it.src.channel, SourceHref: b.href(it.src.channelList.dir),
		Date: it.date.Format("2006-01-02 15:04"), ISO: it.date.Format("2006-01-02T15:04:05Z07:00"),
		Image: b.imageURL(it.image), Excerpt: it.excerpt,
	}
}

// displayTitle is a title for pages: untitled items still get a label.
func displayTitle(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	if t == "" {
		return "（无标题）"
	}
	return t
}

func (b *builder) renderList(l *list, s span) ([]byte, error) {
	d := &pageData{Site: b.siteData(), Kind: "list", Heading: l.title, Crumbs: l.crumbs, Nav: l.nav}
	if l.kind == "home" {
		d.Kind = "home"
		d.Title = ""
	} else {
		d.Title = l.title
	}
	if s.k > 0 {
		d.Title = strings.TrimSpace(d.Title + " 第" + strconv.Itoa(s.k) + "页")
	}
	d.Canonical = b.abs(s.rel)
	d.Description = b.cfg.Description
	for _, it := range l.items[s.lo:s.hi] {
		e := it.entryHTML
		if e == "" {
			var err error
			if e, err = b.tpl.entry(b.entry(it)); err != nil {
				return nil, err
			}
		}
		d.Entries = append(d.Entries, e)
	}
	if s.newer != "" {
		d.Newer = b.href(s.newer)
	}
	if s.older != "" {
		d.Older = b.href(s.older)
	}
	if s.hi > s.lo {
		first, last := l.items[s.hi-1].date, l.items[s.lo].date
		d.PageNote = first.Format("2006-01-02") + " — " + last.Format("2006-01-02")
	}
	if l.feeds {
		d.Feeds = &feedLinks{RSS: b.href(l.dir + "feed.xml"), Atom: b.href(l.dir + "atom.xml"), JSON: b.href(l.dir + "feed.json")}
	}
	if s.k == 0 {
		// Only the top page shows what changes with every new post.
		d.Count = len(l.items)
		d.Children = b.children(l)
	}
	return b.tpl.execute(b.buffer(pageSize(d)), "list", d)
}

func (b *builder) renderPost(it *item, body string) ([]byte, error) {
	s := it.src
	d := &pageData{Site: b.siteData(), Kind: "post", Title: displayTitle(it.Title), Heading: displayTitle(it.Title),
		Crumbs: s.channelList.crumbs, Nav: s.channelList.nav, Canonical: b.abs(it.rel), Description: it.excerpt}
	p := &postData{
		Title: displayTitle(it.Title), Date: it.date.Format("2006-01-02 15:04"), ISO: it.date.Format("2006-01-02T15:04:05Z07:00"),
		Source: s.name + " · " + s.channel, Author: strings.TrimSpace(it.Author),
		Body: template.HTML(body), Original: safeLink(it.Link),
	}
	if !it.bodyImg && it.image != "" {
		p.Image = b.imageURL(it.image)
	}
	if p.Original != "" {
		p.Host = hostOf(p.Original)
	}
	d.Post = p
	return b.tpl.execute(b.buffer(pageSize(d)), "post", d)
}

func (b *builder) renderCategories() ([]byte, error) {
	d := &pageData{Site: b.siteData(), Kind: "categories", Title: "分类", Heading: "分类", Canonical: b.abs("categories/index.html"),
		Count: len(b.items)}
	for _, g := range b.groups {
		gc := category{Label: g.title, Href: b.href(g.dir), Count: len(g.items)}
		seen := map[*list]bool{}
		for _, s := range g.sources {
			sl := s.sourceList
			if seen[sl] {
				continue
			}
			seen[sl] = true
			sc := category{Label: sl.title, Href: b.href(sl.dir), Count: len(sl.items)}
			for _, c := range sl.sources {
				sc.Children = append(sc.Children, category{Label: c.channel, Href: b.href(c.channelList.dir), Count: len(c.channelList.items)})
			}
			gc.Children = append(gc.Children, sc)
		}
		d.Groups = append(d.Groups, gc)
	}
	return b.tpl.execute(b.buffer(pageSize(d)), "categories", d)
}

func (b *builder) renderArchives() ([]byte, error) {
	d := &pageData{Site: b.siteData(), Kind: "archives", Title: "归档", Heading: "归档", Canonical: b.abs("archives/index.html"),
		Count: len(b.items)}
	for _, m := range b.months {
		if len(d.Years) == 0 || d.Years[len(d.Years)-1].Year != m.year {
			d.Years = append(d.Years, year{Year: m.year})
		}
		y := &d.Years[len(d.Years)-1]
		y.Count += len(m.items)
		y.Months = append(y.Months, category{Label: fmt.Sprintf("%d月", int(m.month)), Href: b.href(m.dir), Count: len(m.items)})
	}
	return b.tpl.execute(b.buffer(pageSize(d)), "archives", d)
}

func (b *builder) renderStatic(name string) ([]byte, error) {
	d := &pageData{Site: b.siteData(), Kind: name}
	switch name {
	case "search":
		d.Title, d.Heading, d.Canonical = "搜索", "搜索", b.abs("search.html")
	case "404":
		d.Title, d.Heading = "找不到页面", "找不到页面"
	}
	return b.tpl.execute(b.buffer(pageSize(d)), name, d)
}

// sortedKeys returns a manifest's paths in order.
func sortedKeys(m manifest) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}
