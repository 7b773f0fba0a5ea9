package migrate

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"golang.org/x/net/html/charset"

	"github.com/feedmill/feedmill/internal/catalog"
)

// Limits on OPML files: far above any real subscription list, low enough
// that a hostile file cannot exhaust memory or the stack.
const (
	maxOutlines = 100_000
	maxDepth    = 64
)

// outline is an OPML outline.
type outline struct {
	Text     string    `xml:"text,attr"`
	Title    string    `xml:"title,attr"`
	Type     string    `xml:"type,attr"`
	XMLURL   string    `xml:"xmlUrl,attr"`
	URL      string    `xml:"url,attr"`
	Outlines []outline `xml:"outline"`
}

type opmlDoc struct {
	XMLName xml.Name  `xml:"opml"`
	Body    []outline `xml:"body>outline"`
}

// opmlFeed is a feed of an OPML file with the folders above it.
type opmlFeed struct {
	folders []string
	title   string
	url     string
	from    string
}

// addOPML reads an OPML file: nested outlines are group, source and
// channel; a flat list takes its names from the catalog or the feed's
// title (see Result). Outlines of type include naming a local OPML file
// are read too; a loop of includes is an error.
func (im *Importer) addOPML(path, label string) error {
	var feeds []opmlFeed
	count := 0
	if err := readOPML(path, label, nil, nil, &feeds, &count); err != nil {
		return err
	}
	im.opmlFeeds = append(im.opmlFeeds, feeds...)
	im.res.Notes = append(im.res.Notes, fmt.Sprintf("%s: %d feeds in %d outlines", label, len(feeds), count))
	return nil
}

func readOPML(path, label string, stack []string, folders []string, feeds *[]opmlFeed, count *int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for _, p := range stack {
		if p == abs {
			return fmt.Errorf("%w: %s: outlines include each other in a loop: %s → %s", ErrInput, label, strings.Join(stack, " → "), abs)
		}
	}
	stack = append(stack, abs)
	data, err := readFile(path, label)
	if err != nil {
		return err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false
	var doc opmlDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is empty")
		}
		return fmt.Errorf("%w: %s: not an OPML file: %v", ErrInput, label, err)
	}
	var walk func(os []outline, folders []string, depth int) error
	walk = func(os []outline, folders []string, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("%w: %s: outlines nested more than %d deep", ErrInput, label, maxDepth)
		}
		for _, o := range os {
			*count++
			if *count > maxOutlines {
				return fmt.Errorf("%w: %s: more than %d outlines; split the file", ErrInput, label, maxOutlines)
			}
			name := strings.TrimSpace(o.Text)
			if name == "" {
				name = strings.TrimSpace(o.Title)
			}
			switch {
			case strings.TrimSpace(o.XMLURL) != "":
				*feeds = append(*feeds, opmlFeed{folders: folders, title: name, url: strings.TrimSpace(o.XMLURL), from: label})
			case strings.EqualFold(o.Type, "include") && o.URL != "":
				u, err := url.Parse(o.URL)
				if err != nil || (u.Scheme != "" && u.Scheme != "file") {
					continue // a remote include: nothing is fetched
				}
				inc := u.Path
				if !filepath.IsAbs(inc) {
					inc = filepath.Join(filepath.Dir(path), inc)
				}
				if err := readOPML(inc, filepath.Base(inc), stack, append(folders[:len(folders):len(folders)], name), feeds, count); err != nil {
					return err
				}
			}
			sub := folders
			if name != "" && o.XMLURL == "" {
				sub = append(folders[:len(folders):len(folders)], name)
			}
			if err := walk(o.Outlines, sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(doc.Body, folders, 0)
}

// opmlSources names the OPML feeds. Below two folders or more, the last
// two are group and source and the feed's title is the channel; below one,
// the folder is the group; a feed that is an RSSHub route takes the names
// the catalog gives where the folders leave them out, any other feed its
// title as source and 全部 as channel, and a feed outside folders the group
// 其他. A name two feeds would share gets a number.
func (im *Importer) opmlSources(base string, used map[string]string) []Source {
	var out []Source
	for _, f := range im.opmlFeeds {
		u := f.url
		route := routePath(u, base)
		if route != "" && base != "" {
			u = route
		}
		title := f.title
		if title == "" {
			title = hostOf(f.url)
		}
		s := Source{URL: u, From: f.from}
		var cg, cs, cc string
		ok := false
		if route != "" && im.Namer != nil {
			cg, cs, cc, ok = im.Namer(route)
		}
		n := len(f.folders)
		switch {
		case n >= 2:
			s.Group, s.Source, s.Channel = f.folders[n-2], f.folders[n-1], title
		case n == 1 && ok:
			s.Group, s.Source, s.Channel = f.folders[0], cs, cc
		case n == 1:
			s.Group, s.Source, s.Channel = f.folders[0], title, "全部"
		case ok:
			s.Group, s.Source, s.Channel = cg, cs, cc
		default:
			s.Group, s.Source, s.Channel = "其他", title, "全部"
		}
		s.Group, s.Source, s.Channel = folderName(s.Group), folderName(s.Source), folderName(s.Channel)
		if prev, dup := used[s.Key()]; dup {
			if prev == s.URL {
				continue
			}
			base := s.Channel
			for i := 2; ; i++ {
				s.Channel = fmt.Sprintf("%s %d", base, i)
				if _, dup := used[s.Key()]; !dup {
					break
				}
			}
		}
		used[s.Key()] = s.URL
		out = append(out, s)
	}
	return out
}

// routePath returns the RSSHub route of a feed URL: its path and query
// when it is under base, or, with no base known, when its host is an
// RSSHub instance by name. "" otherwise.
func routePath(raw, base string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if base != "" {
		if !strings.HasPrefix(raw, strings.TrimRight(base, "/")+"/") {
			return ""
		}
		return strings.TrimPrefix(raw, strings.TrimRight(base, "/"))
	}
	if !strings.Contains(strings.ToLower(u.Hostname()), "rsshub") {
		return ""
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return raw
}

// folderName makes a name usable as a folder name, as the catalog's
// names are; an empty one becomes "_".
func folderName(s string) string {
	if s = catalog.FolderName(s); s == "" {
		return "_"
	}
	return s
}
