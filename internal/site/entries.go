package site

import (
	"encoding/binary"
	"errors"
	"html/template"
	"sync"
)

// EntriesName is the file in the site's folder that keeps, for the items
// on the top pages of the lists, what their list entries show beyond the
// brief listing (the title, the excerpt and the head image, which search
// shards show too) and the entries as rendered. A new item
// changes the top page of every list it lands on, and rendering those
// pages again needs the entries of the items already there: without the
// file, thousands of bodies are read from the store and cleaned again to
// cut an excerpt, and thousands of entries are rendered again through
// the template, a tenth of such a build. Like ItemsName it is a cache, never needed: an entry is
// used only for an item of the same fingerprint (ID, slug, dates, source
// and the site's settings), and a missing or damaged file only means the
// bodies are read. Full builds neither read nor trust it.
const EntriesName = ".feedmill-entries"

const entriesMagic = "feedmill site entries 2\n"

// cachedEntry is what a list entry needs beyond the brief listing, and
// the entry rendered ("" when the build that saved it did not render it).
// The fingerprint covers everything else the entry shows: the item's
// dates, slug and source, the templates and the site's settings.
type cachedEntry struct {
	fp                          uint64
	title, excerpt, image, html string
}

// encodeEntries writes the cache: magic, count, then per item its ID
// (varint), fingerprint (8 bytes), title, excerpt, image and the rendered
// entry (uvarint length and bytes), and a final CRC-32C.
func encodeEntries(m map[int64]cachedEntry) []byte {
	n := len(entriesMagic) + 16
	for _, e := range m {
		n += 32 + len(e.title) + len(e.excerpt) + len(e.image) + len(e.html)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, entriesMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(m)))
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	for id, e := range m {
		buf = binary.AppendVarint(buf, id)
		buf = binary.LittleEndian.AppendUint64(buf, e.fp)
		str(e.title)
		str(e.excerpt)
		str(e.image)
		str(e.html)
	}
	return seal(buf)
}

var errDamagedEntries = errors.New("damaged site entries file")

func decodeEntries(data []byte) (map[int64]cachedEntry, error) {
	p, ok := unseal(data, entriesMagic)
	if !ok {
		return nil, errDamagedEntries
	}
	d := decoder{p: p}
	n := d.count()
	if d.bad {
		return nil, errDamagedEntries
	}
	m := make(map[int64]cachedEntry, n)
	for range n {
		id := d.varint()
		e := cachedEntry{fp: d.fixed64()}
		e.title, e.excerpt, e.image, e.html = d.str(), d.str(), d.str(), d.str()
		if d.bad {
			return nil, errDamagedEntries
		}
		m[id] = e
	}
	if len(d.p) != 0 || len(m) != int(n) {
		return nil, errDamagedEntries
	}
	return m, nil
}

// useCachedEntries gives the items whose list entries alone are needed
// (no post page, no feed body) their title, excerpt and image from the
// cache, so that process does not read and clean their bodies, and
// their rendered entries. It reports the items it served.
func (b *builder) useCachedEntries(cache map[int64]cachedEntry) map[*item]bool {
	if len(cache) == 0 {
		return nil
	}
	hits := map[*item]bool{}
	for _, it := range b.items {
		if !it.needSummary || it.renderPost || it.needBody {
			continue
		}
		e, ok := cache[it.ID]
		if !ok || e.fp != it.fp {
			continue
		}
		it.Title, it.excerpt, it.image = e.title, e.excerpt, e.image
		it.entryHTML = template.HTML(e.html)
		it.haveEntry = true
		hits[it] = true
	}
	return hits
}

// renderEntries renders the list entries of the given items concurrently.
func (b *builder) renderEntries(items []*item) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan *item)
	for range b.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				e, err := b.tpl.entry(b.entry(it))
				if err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					continue
				}
				it.entryHTML = e
			}
		}()
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// entriesToKeep is the cache for the next build: the entries of the items
// on the top pages of the lists (the pages new items change), as far as
// this build knows them.
// The entries of the old cache that still hold are kept for the items
// this build did not read.
func (b *builder) entriesToKeep(old map[int64]cachedEntry) map[int64]cachedEntry {
	out := map[int64]cachedEntry{}
	for _, l := range b.allLists() {
		top := b.spans(l)[0]
		for _, it := range l.items[top.lo:top.hi] {
			if _, ok := out[it.ID]; ok {
				continue
			}
			if it.haveEntry {
				out[it.ID] = cachedEntry{fp: it.fp, title: it.Title, excerpt: it.excerpt, image: it.image, html: string(it.entryHTML)}
			} else if e, ok := old[it.ID]; ok && e.fp == it.fp {
				out[it.ID] = e
			}
		}
	}
	return out
}
