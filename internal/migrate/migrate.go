// Package migrate reads the configurations of the system feedmill
// replaces — the RSSHub → Hexo scripts — and OPML files, and turns them
// into feedmill sources with the same group, source and channel names, so
// that every old post keeps its path.
//
// An old installation is a folder with:
//   - temple/*.md: copies of RSSHub's old docs pages. "# " names the group,
//     "## " the source, "### " the channel; a <Route example="…" path="…">
//     tag is a route of that channel;
//   - temple/temple_config.yml: slect:, the example paths to fetch;
//   - user_config.yml: diy:, the user's own {categories, source_parent,
//     source_child, link} entries;
//   - muti_work.py: requests_url = 'https://…' + url['link'], the RSSHub
//     base it fetched from;
//   - source/_posts/<group>/<source>/<channel>/<title>.md: its posts.
//
// Nothing is fetched: migrate reads files only.
package migrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrInput is wrapped by every error about what the files say (as
// opposed to failing to read them).
var ErrInput = errors.New("cannot import")

// Source is an imported source.
type Source struct {
	Group, Source, Channel string
	// URL is an RSSHub route path ("/guancha/headline") or a feed URL.
	URL string
	// From says where it was found: "temple/news.md:12",
	// "user_config.yml: diy[0]", "feeds.opml".
	From string
}

// Key is the source's group/source/channel.
func (s Source) Key() string { return s.Group + "/" + s.Source + "/" + s.Channel }

// Result is what an import found.
type Result struct {
	// RSSHub is the base URL the old scripts fetched routes from; "" when
	// none was found.
	RSSHub string
	// Sources are the sources, in the order found, without duplicates.
	Sources []Source
	// PostsDir is the old installation's post folder (source/_posts),
	// "" when none was found.
	PostsDir string
	// Posts counts the old posts under PostsDir.
	Posts int
	// Notes say what was found and what was left out, for the user.
	Notes []string
}

// Importer gathers the sources of several files and folders.
type Importer struct {
	// Namer names a feed of a flat OPML list that is an RSSHub route:
	// the catalog's group, source and channel; nil, or ok false, leaves
	// the feed's own title.
	Namer func(route string) (group, source, channel string, ok bool)

	res       Result
	docs      []docRoute // routes of the docs pages read
	slect     []selected // the slect: entries read
	slectOK   bool       // a temple_config.yml was read
	diy       []Source
	opmlFeeds []opmlFeed
	pages     int
}

// Result returns what the import found: the docs routes that slect:
// selects (or, when no temple_config.yml was read, every route of the
// docs pages), then the diy: entries, then the OPML feeds. Two sources
// with the same route and names are one; two different routes with one
// group/source/channel are an error, since the old system would have
// mixed their posts in one folder.
func (im *Importer) Result() (Result, error) {
	res := im.res
	var all []Source
	if im.slectOK {
		byExample := map[string][]docRoute{}
		for _, r := range im.docs {
			byExample[r.Example] = append(byExample[r.Example], r)
		}
		missing := []string{}
		for _, s := range im.slect {
			rs, ok := byExample[s.path]
			if !ok {
				missing = append(missing, s.path)
				continue
			}
			for _, r := range rs {
				all = append(all, r.Source)
			}
		}
		if len(missing) > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("slect: %d paths are in no docs page, so the old scripts fetched nothing for them; not imported: %s", len(missing), strings.Join(missing, ", ")))
		}
	} else {
		for _, r := range im.docs {
			all = append(all, r.Source)
		}
	}
	all = append(all, im.diy...)
	used := map[string]string{}
	for _, s := range all {
		used[s.Key()] = s.URL
	}
	all = append(all, im.opmlSources(res.RSSHub, used)...)
	seen := map[string]Source{}
	for _, s := range all {
		if prev, ok := seen[s.Key()]; ok {
			if prev.URL == s.URL {
				continue // the same source twice (slect: and diy:, say)
			}
			return res, fmt.Errorf("%w: %s and %s give two routes the same group/source/channel %q (%s and %s); the old scripts wrote both into one folder, which feedmill does not: give one of them its own channel", ErrInput, prev.From, s.From, s.Key(), prev.URL, s.URL)
		}
		seen[s.Key()] = s
		if msg := checkName(s); msg != "" {
			return res, fmt.Errorf("%w: %s: %s", ErrInput, s.From, msg)
		}
		res.Sources = append(res.Sources, s)
	}
	return res, nil
}

// checkName says why a source's names cannot be folder names, or "".
func checkName(s Source) string {
	for _, n := range []struct{ what, v string }{{"group", s.Group}, {"source", s.Source}, {"channel", s.Channel}} {
		switch {
		case strings.TrimSpace(n.v) == "":
			return fmt.Sprintf("the %s name is empty", n.what)
		case strings.ContainsAny(n.v, "/\\\x00"):
			return fmt.Sprintf("the %s %q contains a slash, which would be a folder of its own", n.what, n.v)
		case n.v == "." || n.v == "..":
			return fmt.Sprintf("the %s %q cannot be a folder name", n.what, n.v)
		}
	}
	if strings.TrimSpace(s.URL) == "" {
		return "no route or URL"
	}
	return ""
}

// Add reads a path: an old installation's folder, or one of its files
// (temple/*.md, temple_config.yml, user_config.yml, muti_work.py), or an
// OPML file.
func (im *Importer) Add(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return im.addInstall(path)
	}
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".markdown"):
		return im.addDocs(path, path)
	case name == "temple_config.yml" || name == "temple_config.yaml":
		if err := im.addSlect(path, path); err != nil {
			return err
		}
		// Its docs pages sit beside it, as in an installation.
		return im.addDocsDir(filepath.Dir(path), "")
	case name == "user_config.yml" || name == "user_config.yaml":
		return im.addDiy(path, path)
	case strings.HasSuffix(name, ".py"):
		return im.addBase(path, path)
	case strings.HasSuffix(name, ".opml") || strings.HasSuffix(name, ".xml"):
		return im.addOPML(path, path)
	}
	return fmt.Errorf("%w: %s: not a file feedmill import reads (an old installation's folder, temple/*.md, temple_config.yml, user_config.yml, muti_work.py, or an .opml file)", ErrInput, path)
}

// addInstall reads an old installation's folder.
func (im *Importer) addInstall(dir string) error {
	found := false
	temple := filepath.Join(dir, "temple")
	if fi, err := os.Stat(temple); err == nil && fi.IsDir() {
		found = true
		if err := im.addDocsDir(temple, "temple/"); err != nil {
			return err
		}
		for _, n := range []string{"temple_config.yml", "temple_config.yaml"} {
			if p := filepath.Join(temple, n); exists(p) {
				if err := im.addSlect(p, "temple/"+n); err != nil {
					return err
				}
			}
		}
	}
	for _, n := range []string{"user_config.yml", "user_config.yaml"} {
		if p := filepath.Join(dir, n); exists(p) {
			found = true
			if err := im.addDiy(p, n); err != nil {
				return err
			}
		}
	}
	if p := filepath.Join(dir, "muti_work.py"); exists(p) {
		found = true
		if err := im.addBase(p, "muti_work.py"); err != nil {
			return err
		}
	}
	opmls, _ := filepath.Glob(filepath.Join(dir, "*.opml"))
	sort.Strings(opmls)
	for _, p := range opmls {
		found = true
		if err := im.addOPML(p, filepath.Base(p)); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("%w: %s holds neither temple/, user_config.yml, muti_work.py nor an .opml file: it is not an old RSSHub → Hexo installation", ErrInput, dir)
	}
	posts := filepath.Join(dir, "source", "_posts")
	if fi, err := os.Stat(posts); err == nil && fi.IsDir() {
		n := 0
		filepath.WalkDir(posts, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
				n++
			}
			return nil
		})
		im.res.PostsDir, im.res.Posts = posts, n
		im.res.Notes = append(im.res.Notes, fmt.Sprintf("source/_posts: %d old posts; feedmill writes beside them and adopts those it would write the same", n))
	}
	return nil
}

func (im *Importer) addDocsDir(dir, label string) error {
	pages, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	sort.Strings(pages)
	for _, p := range pages {
		if err := im.addDocs(p, label+filepath.Base(p)); err != nil {
			return err
		}
	}
	return nil
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// maxFile caps the size of one file read; old configurations are a few
// kilobytes, docs pages and OPML files at most a few megabytes.
const maxFile = 64 << 20

func readFile(path, label string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxFile {
		return nil, fmt.Errorf("%w: %s is %d MB, larger than any file of an old installation (%d MB)", ErrInput, label, fi.Size()>>20, maxFile>>20)
	}
	return os.ReadFile(path)
}
