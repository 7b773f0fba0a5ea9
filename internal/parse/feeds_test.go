package parse_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/parse"
)

// feedGolden is what a golden file holds of a parsed feed document.
type feedGolden struct {
	Title     string           `json:"title"`
	Link      string           `json:"link,omitempty"`
	Recovered string           `json:"recovered,omitempty"`
	Lost      int              `json:"lost,omitempty"`
	Error     string           `json:"error,omitempty"`
	Items     []feedGoldenItem `json:"items"`
}

type feedGoldenItem struct {
	Title      string           `json:"title"`
	Link       string           `json:"link,omitempty"`
	GUID       string           `json:"guid,omitempty"`
	Author     string           `json:"author,omitempty"`
	Published  string           `json:"published,omitempty"`
	Content    string           `json:"content,omitempty"`
	Image      string           `json:"image,omitempty"`
	Enclosures []feed.Enclosure `json:"enclosures,omitempty"`
}

// goldenBase is the URL every document under testdata/feeds is taken as
// fetched from.
const goldenBase = "https://fetched.example.com/feeds/feed.xml"

// TestFeedsGolden reads every document under testdata/feeds (NAME.xml,
// .rdf, .atom or .json) and compares what Parse makes of it with
// NAME.golden.json; go test -update rewrites those. Each document is a
// kind of feed a public corpus holds, read as the most widely used feed
// parser reads it (titles as their visible text, plain text kept plain,
// dates and media from the extensions, damage recovered).
func TestFeedsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/feeds/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range files {
		if strings.HasSuffix(path, ".golden.json") {
			continue
		}
		n++
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := readGolden(data)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // bodies are HTML: keep them readable
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			goldenPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenPath, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s differs from %s:\n%s", name, goldenPath, out)
			}
		})
	}
	if n == 0 {
		t.Fatal("no documents under testdata/feeds")
	}
}

func readGolden(data []byte) feedGolden {
	f, err := parse.Parse(data, goldenBase, shanghai)
	if err != nil {
		return feedGolden{Error: err.Error(), Items: []feedGoldenItem{}}
	}
	g := feedGolden{Title: f.Title, Link: f.Link, Lost: f.Lost, Items: []feedGoldenItem{}}
	if f.Recovered != nil {
		g.Recovered = f.Recovered.Error()
	}
	for _, it := range f.Items {
		gi := feedGoldenItem{Title: it.Title, Link: it.Link, GUID: it.GUID, Author: it.Author, Content: it.Content, Image: it.Image, Enclosures: it.Enclosures}
		if !it.Published.IsZero() {
			gi.Published = it.Published.UTC().Format(time.RFC3339)
		}
		g.Items = append(g.Items, gi)
	}
	return g
}
