package parse

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Fri, 28 Jan 2022 10:30:43 GMT", want},
		{"Fri, 28 Jan 2022 18:30:43 +0800", want},
		{"Fri, 28 Jan 2022 05:30:43 EST", want},
		{"Fri, 28 Jan 2022 18:30:43 CST", want}, // the configured zone's own abbreviation: China
		{"28 Jan 2022 10:30:43 GMT", want},
		{"Fri, 28 Jan 2022 18:30:43 +08:00", want},
		{"Fri, 28 Jan 2022 18:30:43 GMT+8", want},
		{"Fri,  28 Jan 2022 10:30:43  GMT", want},
		{"Friday, 28 Jan 2022 10:30:43 GMT", want},
		{"2022-01-28T10:30:43Z", want},
		{"2022-01-28T18:30:43+08:00", want},
		{"2022-01-28T18:30:43.000+08:00", want},
		{"2022-01-28T18:30:43+0800", want},
		{"2022-01-28 18:30:43 +0800", want},
		{"2022-01-28 18:30:43", want},                                     // zoneless: the configured zone
		{"2022/01/28 18:30:43", want},                                     // zoneless
		{"2022年01月28日 18:30:43", want},                                    // Chinese
		{"2022年1月28日 18:30:43", want},                                     // Chinese, no padding
		{"Fri, 28 Jan 2022 18:30:43", want},                               // no zone
		{"1643365843", want},                                              // Unix seconds
		{"Fri Jan 28 2022 18:30:43 GMT+0800 (China Standard Time)", want}, // JavaScript Date.toString
		{"Fri Jan 28 2022 18:30:43 GMT+0800", want},
		{"Fri, 28 Jan 2022 18:30:43 +0800 (CST)", want},
		{"Fri,28 Jan 2022 10:30:43 GMT", want}, // no space after the comma
		{"2022-01-28T10:30:43,000Z", want},     // ISO comma fraction: no space inserted
		{"1643365843000", want},                // Unix milliseconds
		{"Fri Jan 28 10:30:43 UTC 2022", want}, // date(1)
		{"", time.Time{}},
		{"not a date", time.Time{}},
		{"Invalid Date", time.Time{}},
		{"0001-01-01T00:00:00Z", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := Date(tt.in, shanghai)
			if ok != !tt.want.IsZero() {
				t.Fatalf("Date(%q) ok = %v", tt.in, ok)
			}
			if ok && !got.Equal(tt.want) {
				t.Errorf("Date(%q) = %v, want %v", tt.in, got.UTC(), tt.want)
			}
		})
	}
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		file                 string
		title, link, content string
		published            time.Time
		author               string
	}{
		{"rss091.xml", "First & oldest", "https://old.example.com/1", "<p>Hello 0.91</p>", time.Time{}, ""},
		{"rss10.rdf", "RDF item", "https://rdf.example.com/a", "<p>RDF body</p>", time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC), "编辑部"},
		{"atom03.xml", "Atom 0.3 entry", "https://a03.example.com/e1", "<p>Atom 0.3 body</p>", time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC), ""},
		{"atom10.xml", "Atom entry", "https://a10.example.com/posts/1", `<p>Full <img src="/i.png"></p>`, time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC), "作者"},
		{"feed.json", "Second", "https://json.example.com/2", "<p>two</p>", time.Date(2022, 1, 28, 4, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(data, "https://fetched.example.com/feed", time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) == 0 {
				t.Fatal("no items")
			}
			it := f.Items[0]
			if it.Title != tt.title || it.Link != tt.link || it.Content != tt.content || !it.Published.Equal(tt.published) || it.Author != tt.author {
				t.Errorf("got title %q link %q content %q published %v author %q", it.Title, it.Link, it.Content, it.Published, it.Author)
			}
		})
	}
}

func TestParseMissingFields(t *testing.T) {
	data, err := os.ReadFile("testdata/missing-fields.xml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data, "https://sparse.example.com/rss", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ title, link string }{
		{"只有正文，没有标题、链接和日期。", ""},
		{"Only a title", ""},
		{"https://sparse.example.com/only-link", "https://sparse.example.com/only-link"},
		{"Broken date", "https://sparse.example.com/b"},
	}
	if len(f.Items) != len(want) {
		t.Fatalf("%d items", len(f.Items))
	}
	ids := map[string]bool{}
	for i, w := range want {
		it := f.Items[i]
		if it.Title != w.title || it.Link != w.link || !it.Published.IsZero() {
			t.Errorf("item %d: title %q link %q published %v", i, it.Title, it.Link, it.Published)
		}
		if ids[it.Identity()] {
			t.Errorf("item %d: identity %q repeats", i, it.Identity())
		}
		ids[it.Identity()] = true
	}
}

func TestParseEmptyJSONFeed(t *testing.T) {
	for _, in := range []string{
		`{"version": "https://jsonfeed.org/version/1.1", "title": "t"}`,
		`{"title": "t", "items": []}`,
	} {
		f, err := Parse([]byte(in), "https://x.example.com/", time.UTC)
		if err != nil || len(f.Items) != 0 {
			t.Errorf("%s: %v, %v; want a feed of no items", in, f, err)
		}
	}
}

func TestParseNotAFeed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrEmpty},
		{"whitespace", " \n\t", ErrEmpty},
		{"html page", "<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>", ErrNotFeed},
		{"plain text", "hello world", ErrNotFeed},
		{"json that is no json feed", `{"error": "route not found", "code": 404}`, ErrNotFeed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "https://x.example.com/", time.UTC)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"Fri, 28 Jan 2022 10:30:43 GMT", "2022-01-28T10:30:43Z", "2022年1月28日", "1643365843", "x +08:00", "GMT+", " +:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := Date(s, time.UTC); ok && (got.Year() < 1971 || got.Year() > 9999) {
			t.Errorf("Date(%q) = %v accepted", s, got)
		}
	})
}

func FuzzParse(f *testing.F) {
	goldens, err := filepath.Glob("testdata/feeds/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"rss091.xml", "rss10.rdf", "atom03.xml", "atom10.xml", "feed.json", "missing-fields.xml"} {
		goldens = append(goldens, filepath.Join("testdata", name))
	}
	for _, path := range goldens {
		if strings.HasSuffix(path, ".golden.json") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := Parse(data, "https://x.example.com/", time.UTC)
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			if it.Title == "" {
				t.Errorf("item without a title: %+v", it)
			}
		}
	})
}

func TestDateAbbreviationOutsideTheConfiguredZone(t *testing.T) {
	got, ok := Date("Fri, 28 Jan 2022 04:30:43 CST", time.UTC) // RFC 822: US Central
	if want := time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("got %v, %v; want %v", got, ok, want)
	}
}
