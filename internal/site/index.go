package site

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"

	"github.com/feedmill/feedmill/internal/opml"
)

// Search shards and sitemap chunks group posts by store ID, so that new
// items (which get higher IDs) change only the last shard and chunk.
const (
	searchShard  = 500
	sitemapChunk = 10000
)

type addFunc func(rel string, fp uint64, render func() ([]byte, error), summaries, bodies []*item)

// byIDRange groups the items by ID / size, newest group first; within a
// group items stay newest first.
func (b *builder) byIDRange(size int64) ([]int64, map[int64][]*item) {
	groups := map[int64][]*item{}
	for _, it := range b.items {
		k := it.ID / size
		groups[k] = append(groups[k], it)
	}
	keys := make([]int64, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] > keys[j] })
	return keys, groups
}

type searchEntry struct {
	U string `json:"u"`
	T string `json:"t"`
	S string `json:"s"`
	D string `json:"d"`
	X string `json:"x,omitempty"`
}

type searchShardRef struct {
	U string `json:"u"`
	N int    `json:"n"`
}

func (b *builder) planSearch(add addFunc) {
	keys, groups := b.byIDRange(searchShard)
	var refs []searchShardRef
	idx := newHash().u64(b.siteFP).str("search-index")
	for _, k := range keys {
		items := groups[k]
		rel := "search/" + strconv.FormatInt(k, 10) + ".json"
		h := newHash().u64(b.siteFP).str("search").str(rel)
		for _, it := range items {
			h.u64(it.fp)
		}
		fp := h.sum()
		add(rel, fp, func() ([]byte, error) {
			out := make([]searchEntry, 0, len(items))
			for _, it := range items {
				out = append(out, searchEntry{U: b.href(it.rel), T: displayTitle(it.Title), S: it.src.name + " · " + it.src.channel,
					D: it.date.Format("2006-01-02"), X: it.excerpt})
			}
			return marshalJSON(out)
		}, items, nil)
		refs = append(refs, searchShardRef{U: b.href(rel) + "?v=" + strconv.FormatUint(fp, 16)[:8], N: len(items)})
		idx.str(refs[len(refs)-1].U).int(len(items))
	}
	add("search/index.json", idx.sum(), func() ([]byte, error) {
		return marshalJSON(struct {
			Shards []searchShardRef `json:"shards"`
		}{append([]searchShardRef{}, refs...)})
	}, nil, nil)
}

type urlSet struct {
	XMLName xml.Name  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []siteURL `xml:"url"`
}

type siteURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapIndex struct {
	XMLName  xml.Name  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []siteURL `xml:"sitemap"`
}

func (b *builder) planSitemaps(add addFunc) {
	keys, groups := b.byIDRange(sitemapChunk)
	var children []string
	for _, k := range keys {
		items := groups[k]
		rel := fmt.Sprintf("sitemaps/posts-%d.xml", k)
		h := newHash().u64(b.siteFP).str("sitemap").str(rel)
		for _, it := range items {
			h.u64(it.fp)
		}
		add(rel, h.sum(), func() ([]byte, error) {
			var set urlSet
			for _, it := range items {
				set.URLs = append(set.URLs, siteURL{Loc: b.abs(it.rel), LastMod: it.date.Format("2006-01-02")})
			}
			return marshalXML(set)
		}, nil, nil)
		children = append(children, rel)
	}
	pages := []string{"index.html", "categories/index.html", "archives/index.html", "search.html"}
	for _, l := range b.allLists() {
		if l.kind != "home" {
			pages = append(pages, l.dir+"index.html")
		}
	}
	h := newHash().u64(b.siteFP).str("sitemap-pages")
	for _, p := range pages {
		h.str(p)
	}
	add("sitemaps/pages.xml", h.sum(), func() ([]byte, error) {
		var set urlSet
		for _, p := range pages {
			set.URLs = append(set.URLs, siteURL{Loc: b.abs(p)})
		}
		return marshalXML(set)
	}, nil, nil)
	children = append(children, "sitemaps/pages.xml")
	h = newHash().u64(b.siteFP).str("sitemap-index")
	for _, c := range children {
		h.str(c)
	}
	add("sitemap.xml", h.sum(), func() ([]byte, error) {
		var idx sitemapIndex
		for _, c := range children {
			idx.Sitemaps = append(idx.Sitemaps, siteURL{Loc: b.abs(c)})
		}
		return marshalXML(idx)
	}, nil, nil)
}

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Children []opmlOutline `xml:"outline"`
}

// renderOPML lists the sources as group > source > channel outlines.
// Upstream URLs lose credentials and key-like query parameters (an RSSHub
// access key must not be published); a local file source points at the
// site's own feed of its channel instead.
func (b *builder) renderOPML() ([]byte, error) {
	doc := opmlDoc{Version: "2.0", Title: b.cfg.Title}
	for _, g := range b.groups {
		go_ := opmlOutline{Text: g.title, Title: g.title}
		seen := map[*list]int{}
		for _, s := range g.sources {
			i, ok := seen[s.sourceList]
			if !ok {
				go_.Children = append(go_.Children, opmlOutline{Text: s.name, Title: s.name})
				i = len(go_.Children) - 1
				seen[s.sourceList] = i
			}
			xmlURL := opml.PublicURL(s.row.URL)
			if xmlURL == "" {
				xmlURL = b.abs(s.channelList.dir + "feed.xml")
			}
			go_.Children[i].Children = append(go_.Children[i].Children, opmlOutline{
				Text: s.channel, Title: s.name + " · " + s.channel, Type: "rss", XMLURL: xmlURL, HTMLURL: b.abs(s.channelList.dir + "index.html"),
			})
		}
		doc.Body = append(doc.Body, go_)
	}
	return marshalXML(doc)
}
