package site

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// defaults are the built-in templates and assets.
//
//go:embed templates
var defaults embed.FS

// pageTemplates are the page templates; each is executed together with
// layout.html, which calls its "main" block.
var pageTemplates = []string{"list", "post", "categories", "archives", "search", "404"}

// templates are a build's parsed templates and assets.
type templates struct {
	pages    map[string]*template.Template
	assets   map[string][]byte
	assetVer map[string]string // a short hash of each asset, for cache busting
	hash     uint64            // of every template and asset
	partBufs sync.Pool         // *bytes.Buffer for part
	// fast says which kinds the page writers of fastpages.go render
	// instead of html/template.
	fast fastKinds
}

// fastKinds says which kinds of page are rendered by the hand-written
// writers of fastpages.go.
type fastKinds struct {
	entry, list, post bool
}

// builtinKinds returns the kinds whose template files are all the
// built-in ones, byte for byte: the writers of fastpages.go render those
// alone, and html/template any file of the user's. A kind depends on
// every file parsed into its template set, not only on the ones it
// executes, since any of them may define a template another one calls
// (a list.html may define "entry", an entry.html "layout.html"): post
// pages on layout.html, entry.html and post.html; list pages and the
// entries, which are executed from the list set, on layout.html,
// entry.html and list.html.
func builtinKinds(files map[string][]byte) (fastKinds, error) {
	builtin := map[string]bool{}
	for _, n := range []string{"layout.html", "entry.html", "list.html", "post.html"} {
		data, err := defaults.ReadFile("templates/" + n)
		if err != nil {
			return fastKinds{}, fmt.Errorf("read built-in templates: %w", err)
		}
		builtin[n] = bytes.Equal(files[n], data)
	}
	list := builtin["layout.html"] && builtin["entry.html"] && builtin["list.html"]
	return fastKinds{
		entry: list,
		list:  list,
		post:  builtin["layout.html"] && builtin["entry.html"] && builtin["post.html"],
	}, nil
}

// loadTemplates reads the built-in templates, replacing any of them, and
// any asset, by the file of the same name in the folder override (when
// not ""): "post.html" replaces the post template, "assets/style.css" the
// style sheet. Extra files under assets/ are published too.
func loadTemplates(override string) (*templates, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(defaults, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := defaults.ReadFile(p)
		files[strings.TrimPrefix(p, "templates/")] = data
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read built-in templates: %w", err)
	}
	if override != "" {
		err := filepath.WalkDir(override, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			rel, err := filepath.Rel(override, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if _, builtin := files[rel]; !builtin && !strings.HasPrefix(rel, "assets/") {
				return fmt.Errorf("%s: no built-in template or asset has this name (templates: layout.html, entry.html, %s.html; assets go under assets/)", p, strings.Join(pageTemplates, ".html, "))
			}
			data, err := os.ReadFile(p)
			files[rel] = data
			return err
		})
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("site templates: folder %s does not exist", override)
			}
			return nil, fmt.Errorf("site templates: %w", err)
		}
	}

	t := &templates{pages: map[string]*template.Template{}, assets: map[string][]byte{}, assetVer: map[string]string{}}
	all := sha256.New()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		all.Write([]byte(n))
		all.Write([]byte{0})
		all.Write(files[n])
		all.Write([]byte{0})
		if a, ok := strings.CutPrefix(n, "assets/"); ok {
			t.assets[a] = files[n]
			sum := sha256.Sum256(files[n])
			t.assetVer[a] = hex.EncodeToString(sum[:4])
		}
	}
	t.hash = binary.LittleEndian.Uint64(all.Sum(nil))
	if t.fast, err = builtinKinds(files); err != nil {
		return nil, err
	}
	layout, entry := files["layout.html"], files["entry.html"]
	builtinLayout, err := defaults.ReadFile("templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("read built-in templates: %w", err)
	}
	for _, name := range pageTemplates {
		tp := template.New(name).Funcs(template.FuncMap{
			"add": func(a, b int) int { return a + b },
		})
		// The built-in layout first: a layout.html of the user's that
		// lacks a part a built-in page template uses ("crumbs", added
		// later than the others) still has the built-in one.
		if _, err := tp.New("layout.html").Parse(string(builtinLayout)); err != nil {
			return nil, fmt.Errorf("site template layout.html: %w", err)
		}
		if _, err := tp.New("layout.html").Parse(string(layout)); err != nil {
			return nil, fmt.Errorf("site template layout.html: %w", err)
		}
		if _, err := tp.New("entry.html").Parse(string(entry)); err != nil {
			return nil, fmt.Errorf("site template entry.html: %w", err)
		}
		if _, err := tp.New(name + ".html").Parse(string(files[name+".html"])); err != nil {
			return nil, fmt.Errorf("site template %s.html: %w", name, err)
		}
		t.pages[name] = tp
	}
	return t, nil
}

func (t *templates) assetNames() []string {
	out := make([]string, 0, len(t.assets))
	for n := range t.assets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// part renders one of the templates defined inside layout.html or
// entry.html ("sitehead", "header", "footer", "entry") on its own.
func (t *templates) part(name string, data any) (template.HTML, error) {
	// A buffer kept from the last part rather than one growing from
	// nothing: an entry is rendered for every post, and growing its
	// buffer was a tenth of it. The result is a copy of exactly its size,
	// since a build may keep every entry.
	b := t.partBuffer()
	defer t.partBufs.Put(b)
	if err := t.pages["list"].ExecuteTemplate(b, name, data); err != nil {
		return "", fmt.Errorf("site template %q: %w", name, err)
	}
	return template.HTML(b.String()), nil
}

// partBuffer returns an empty buffer for a part, to put back in
// t.partBufs once copied.
func (t *templates) partBuffer() *bytes.Buffer {
	b, _ := t.partBufs.Get().(*bytes.Buffer)
	if b == nil {
		b = new(bytes.Buffer)
	}
	b.Reset()
	return b
}

// entry renders entry.html's "entry" of a post, for lists.
func (t *templates) entry(e entry) (template.HTML, error) {
	if !t.fast.entry {
		return t.part("entry", e)
	}
	b := t.partBuffer()
	defer t.partBufs.Put(b)
	writeEntry(b, &e)
	return template.HTML(b.String()), nil
}

// execute renders a page into b: its template within the layout.
func (t *templates) execute(b *bytes.Buffer, name string, d *pageData) ([]byte, error) {
	switch {
	case name == "post" && t.fast.post:
		writePage(b, d, true)
		return b.Bytes(), nil
	case name == "list" && t.fast.list:
		writePage(b, d, false)
		return b.Bytes(), nil
	}
	if err := t.pages[name].ExecuteTemplate(b, "layout.html", d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pageSize is about the size of a page, so that its buffer is allocated
// once rather than grown by doubling: the layout around it, and the
// post's body or the list's entries.
func pageSize(d *pageData) int {
	n := 4 << 10
	if d.Post != nil {
		n += len(d.Post.Body) + len(d.Post.Body)/8
	}
	for _, e := range d.Entries {
		n += len(e)
	}
	return n
}
