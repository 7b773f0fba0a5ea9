package site

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/internal/store"
)

// layoutVersion changes whenever a change to this package's Go code
// changes the bytes of pages, so that every page is rendered again.
const layoutVersion = "feedmill-site-3"

// source is a store source with its place in the taxonomy.
type source struct {
	row                  store.Source
	group, name, channel string
	groupList            *list
	sourceList           *list
	channelList          *list
}

// item is a post of the site: the stored item and what the build derives.
type item struct {
	// ItemMeta is brief (ID, source, slug, dates) until process reads the
	// item for a page that shows it. It points into the build's listing:
	// 100,000 copies of it were a third of an incremental build's heap.
	*store.ItemMeta
	src  *source
	date time.Time // Date() in the site's zone
	fp   uint64    // fingerprint of everything its post page shows
	rel  string    // path of its post page

	// Set by process, for the items that need them.
	image   string // head image: the body's first, else the feed's
	excerpt string // the start of the body's text
	bodyImg bool   // image is in the body (not shown again above it)
	// The item's entries in the three feed formats, for feed items only,
	// dropped when the last of the feeds that show it (feedRefs) is done.
	rss, atom, json feedEntry
	feedRefs        atomic.Int32
	// entryHTML is the item as lists show it, rendered once for the five
	// lists it is in when the build is small enough to keep them all.
	entryHTML template.HTML

	renderPost, needSummary, needBody bool
	// haveEntry says that Title, excerpt and image are set: read and
	// cleaned by this build, or taken from the entries cache.
	haveEntry bool
}

// list is an ordered set of posts with its own pages: the home page, a
// taxonomy category or a month of the archives.
type list struct {
	kind    string // home, group, source, channel or month
	title   string
	dir     string // output folder, "" or ending in "/"
	crumbs  []link
	nav     template.HTML // crumbs rendered, see pageData.Nav
	items   []*item       // newest first
	feeds   bool
	year    int
	month   time.Month
	sources []*source // for categories: the channels below it
}

// link is a labelled href.
type link struct {
	Href  string
	Label string
}

// builder holds one build's state.
type builder struct {
	cfg  Config
	opts Options
	out  output
	tpl  *templates
	// prev is the manifest of the last build (nil when there is none);
	// old is the same unless the build is full, when it is nil: a page is
	// skipped only when old has its fingerprint, and compared with the
	// bytes on disk before writing when old has it or is nil.
	prev   manifest
	old    manifest
	next   manifest
	siteFP uint64
	site   *siteData
	// cacheEntries keeps each item's list entry once rendered.
	cacheEntries bool
	// entryCache is the entries file of the last build (EntriesName), nil
	// for a full build.
	entryCache map[int64]cachedEntry
	root       string
	origin     string
	logger     *slog.Logger

	sources []*source
	items   []*item
	home    *list
	groups  []*list
	srcs    []*list // source lists
	chans   []*list
	months  []*list
	byDir   map[string]*list

	stats Stats
	// bufs are page buffers to reuse, see buffer.
	bufs sync.Pool
}

func newBuilder(cfg Config, opts Options, out output, tpl *templates, prev manifest) *builder {
	old := prev
	if opts.Full {
		old = nil
	}
	b := &builder{cfg: cfg, opts: opts, out: out, tpl: tpl, prev: prev, old: old, next: make(manifest, len(prev)),
		root: cfg.root(), origin: cfg.origin(), logger: opts.Logger, byDir: map[string]*list{}}
	h := newHash()
	h.str(layoutVersion).u64(tpl.hash).str(cfg.Title).str(cfg.Description).str(cfg.BaseURL)
	h.int(cfg.PerPage).int(cfg.FeedItems).str(cfg.Location.String()).str(fmt.Sprintf("%#v", cfg.Content)).str(cfg.Content.Key())
	if cfg.ImageProxy != nil {
		h.str("proxy").str(cfg.ImageProxy.ID())
	}
	b.siteFP = h.sum()
	return b
}

// hash builds fingerprints. FNV-1a is enough: a fingerprint only has to
// change when its inputs do, and nobody attacks a build.
type hash struct{ v uint64 }

func newHash() *hash { h := fnv.New64a(); return &hash{v: h.Sum64()} }

func (h *hash) byte(c byte) {
	h.v ^= uint64(c)
	h.v *= 1099511628211
}

func (h *hash) str(s string) *hash {
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
	h.byte(0xff) // separator: ("ab","c") and ("a","bc") differ
	return h
}

func (h *hash) u64(v uint64) *hash {
	for i := 0; i < 8; i++ {
		h.byte(byte(v >> (8 * i)))
	}
	return h
}

func (h *hash) int(v int) *hash { return h.u64(uint64(v)) }

func (h *hash) sum() uint64 { return h.v }

// segment turns a taxonomy name into one path element. Names are used as
// they are (readable Chinese URLs), except those that would collide with
// the site's own files or be hidden: those get a "_" in front, and so do
// names already starting with one, which keeps the mapping one-to-one.
func segment(name string) string {
	switch name {
	case "page", "index.html", "feed.xml", "atom.xml", "feed.json":
		return "_" + name
	}
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return "_" + name
	}
	return name
}

// href turns an output path into the link to it: the root, the path with
// each element escaped, and "index.html" left off.
func (b *builder) href(rel string) string {
	rel = strings.TrimSuffix(rel, "index.html")
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return b.root + strings.Join(parts, "/")
}

// abs is the absolute URL of an output path when a base URL is set, else
// its href.
func (b *builder) abs(rel string) string {
	return b.origin + b.href(rel)
}

// model builds the items and lists from the store's rows.
func (b *builder) model(rows []store.Source, metas []store.ItemMeta) {
	bySource := map[int64]*source{}
	groups := map[string]*list{}
	srcLists := map[string]*list{}
	home := &list{kind: "home", title: b.cfg.Title, dir: "", feeds: true}
	b.home = home
	b.byDir[""] = home
	for _, r := range rows {
		parts := strings.SplitN(r.Key, "/", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		s := &source{row: r, group: parts[0], name: parts[1], channel: parts[2]}
		g := groups[s.group]
		if g == nil {
			dir := "categories/" + segment(s.group) + "/"
			g = &list{kind: "group", title: s.group, dir: dir, feeds: true}
			g.crumbs = []link{{b.href(dir), s.group}}
			groups[s.group] = g
			b.groups = append(b.groups, g)
			b.byDir[dir] = g
		}
		sk := s.group + "/" + s.name
		sl := srcLists[sk]
		if sl == nil {
			dir := g.dir + segment(s.name) + "/"
			sl = &list{kind: "source", title: s.name, dir: dir, feeds: true}
			sl.crumbs = append(append([]link(nil), g.crumbs...), link{b.href(dir), s.name})
			srcLists[sk] = sl
			b.srcs = append(b.srcs, sl)
			b.byDir[dir] = sl
		}
		dir := sl.dir + segment(s.channel) + "/"
		cl := &list{kind: "channel", title: s.channel, dir: dir, feeds: true}
		cl.crumbs = append(append([]link(nil), sl.crumbs...), link{b.href(dir), s.channel})
		b.chans = append(b.chans, cl)
		b.byDir[dir] = cl
		s.groupList, s.sourceList, s.channelList = g, sl, cl
		g.sources = append(g.sources, s)
		sl.sources = append(sl.sources, s)
		cl.sources = []*source{s}
		bySource[r.ID] = s
		b.sources = append(b.sources, s)
	}

	months := map[int]*list{}
	b.items = make([]*item, 0, len(metas))
	// One allocation for all the items, not 100,000.
	backing := make([]item, len(metas))
	for i := range metas {
		m := &metas[i]
		s := bySource[m.SourceID]
		if s == nil || m.Slug == "" {
			continue
		}
		it := &backing[i]
		it.ItemMeta, it.src, it.date, it.rel = m, s, m.Date().In(b.cfg.Location), "posts/"+m.Slug+".html"
		// Stored items never change (see store.Store), so the ID, slug and
		// dates stand for the rest: title, link and body are read only for
		// the items whose pages are rendered.
		h := newHash()
		h.u64(b.siteFP).str("post").int(int(m.ID)).str(m.Slug)
		h.int(int(m.Published.UnixNano())).int(int(m.FirstSeen.UnixNano())).str(s.row.Key)
		it.fp = h.sum()
		b.items = append(b.items, it)
		home.items = append(home.items, it)
		s.groupList.items = append(s.groupList.items, it)
		s.sourceList.items = append(s.sourceList.items, it)
		s.channelList.items = append(s.channelList.items, it)
		y, mo, _ := it.date.Date()
		ml := months[y*100+int(mo)]
		if ml == nil {
			dir := fmt.Sprintf("archives/%04d/%02d/", y, int(mo))
			ml = &list{kind: "month", title: fmt.Sprintf("%d年%d月", y, int(mo)), dir: dir, year: y, month: mo}
			ml.crumbs = []link{{b.href("archives/index.html"), "归档"}, {b.href(dir), ml.title}}
			months[y*100+int(mo)] = ml
			b.months = append(b.months, ml) // newest month first: items come newest first
			b.byDir[dir] = ml
		}
		ml.items = append(ml.items, it)
	}
	b.stats.Posts = len(b.items)
}

// allLists returns every list: home, categories, months.
func (b *builder) allLists() []*list {
	out := []*list{b.home}
	out = append(out, b.groups...)
	out = append(out, b.srcs...)
	out = append(out, b.chans...)
	out = append(out, b.months...)
	return out
}

// span is a page of a list: its items and its neighbours.
type span struct {
	rel          string
	k            int // page number from the oldest; 0 for the top page
	lo, hi       int // items[lo:hi] of the newest-first list
	newer, older string
}

// spans cuts a list into pages counted from its oldest item, so that new
// items change only the top page (and, when they fill it, add one
// archived page). The top page holds between PerPage and 2*PerPage-1
// items, except on a list shorter than that.
func (b *builder) spans(l *list) []span {
	n, per := len(l.items), b.cfg.PerPage
	full := n / per
	pageRel := func(k int) string {
		if k == 0 {
			return l.dir + "index.html"
		}
		return l.dir + "page/" + strconv.Itoa(k) + ".html"
	}
	top := span{rel: pageRel(0), lo: 0, hi: n}
	if full > 1 {
		top.hi = n - (full-1)*per
		top.older = pageRel(full - 1)
	}
	out := []span{top}
	for k := full - 1; k >= 1; k-- {
		s := span{rel: pageRel(k), k: k, lo: n - k*per, hi: n - (k-1)*per}
		if k+1 <= full-1 {
			s.newer = pageRel(k + 1)
		} else {
			s.newer = pageRel(0)
		}
		if k > 1 {
			s.older = pageRel(k - 1)
		}
		out = append(out, s)
	}
	return out
}
