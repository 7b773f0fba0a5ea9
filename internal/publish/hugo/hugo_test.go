package hugo

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/publish"
)

type fields struct {
	Title      string            `yaml:"title"`
	Date       string            `yaml:"date"`
	Categories []string          `yaml:"categories"`
	Author     string            `yaml:"author"`
	Images     []string          `yaml:"images"`
	Params     map[string]string `yaml:"params"`
}

func split(t *testing.T, post []byte) (fields, string) {
	t.Helper()
	rest, ok := strings.CutPrefix(string(post), "---\n")
	if !ok {
		t.Fatalf("no front matter: %q", post)
	}
	fm, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("no closing ---: %q", post)
	}
	var f fields
	if err := yaml.Unmarshal([]byte(fm), &f); err != nil {
		t.Fatalf("front matter is not YAML: %v\n%s", err, fm)
	}
	return f, body
}

func TestRender(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	date := time.Date(2022, 1, 28, 18, 30, 43, 0, cst)
	for _, tc := range []struct {
		name      string
		post      publish.Post
		wantTitle string
		wantDate  string
		wantBody  string
	}{
		{"fields", publish.Post{Title: "美方书面拒绝: yes", Categories: []string{"新媒体", "观察者网", "头条"}, Author: "观察者网", Date: date,
			Image: "https://i.test/a.jpg", Link: "https://www.guancha.cn/1.shtml", Body: "<p>正文</p>"},
			"美方书面拒绝: yes", "2022-01-28T18:30:43+08:00", "<p>正文</p>\n"},
		{"YAML-looking title stays text", publish.Post{Title: "- yes\n1:20 #x", Categories: []string{"yes", "2022", "on"}, Author: "null", Date: date},
			"- yes 1:20 #x", "2022-01-28T18:30:43+08:00", "\n"},
		{"shortcode-looking text stays text", publish.Post{Title: "{{< x >}}", Categories: []string{"g", "s", "c"}, Date: date, Body: "<p>{{< youtube x >}} {{% y %}} {x}</p>\n"},
			"{{< x >}}", "2022-01-28T18:30:43+08:00", "<p>&#123;&#123;< youtube x >}} &#123;&#123;% y %}} {x}</p>\n"},
		{"a date after the item was seen is the time it was seen", publish.Post{Title: "t", Categories: []string{"g", "s", "c"}, Date: date.Add(48 * time.Hour), Seen: date},
			"t", "2022-01-28T18:30:43+08:00", "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, body := split(t, Format{}.Render(tc.post))
			if f.Title != tc.wantTitle || f.Date != tc.wantDate || body != tc.wantBody {
				t.Errorf("title %q date %q body %q; want %q %q %q", f.Title, f.Date, body, tc.wantTitle, tc.wantDate, tc.wantBody)
			}
			if strings.Join(f.Categories, "|") != strings.Join(tc.post.Categories, "|") || f.Author != tc.post.Author {
				t.Errorf("categories %q author %q", f.Categories, f.Author)
			}
			if tc.post.Image != "" && (len(f.Images) != 1 || f.Images[0] != tc.post.Image) {
				t.Errorf("images %q", f.Images)
			}
			if f.Params["source"] != tc.post.Link {
				t.Errorf("params.source %q", f.Params["source"])
			}
		})
	}
}

func TestPath(t *testing.T) {
	cats := []string{"新媒体", "观察者网", "头条"}
	for _, tc := range []struct {
		name    string
		title   string
		section string
		n       int
		want    string
	}{
		{"old system's replacements, then Hugo's URL", "“元宇宙” 50%.", "", 1, "posts/新媒体/观察者网/头条/元宇宙_-50.html"},
		{"collision suffix and section", "“元宇宙” 50%.", "news", 2, "news/新媒体/观察者网/头条/元宇宙_-50-2.html"},
		{"lower case: one URL whatever the case", "Go 1.26 UPPER lower", "", 1, "posts/新媒体/观察者网/头条/go-126-upper-lower.html"},
		{"signs a URL drops make one dash", "速览！", "", 1, "posts/新媒体/观察者网/头条/速览.html"},
		{"signs only", "？？？", "", 1, "posts/新媒体/观察者网/头条/untitled.html"},
		{"index is never a post's name", "Index", "", 1, "posts/新媒体/观察者网/头条/index-2.html"},
		{"nor _index", "_index", "", 2, "posts/新媒体/观察者网/头条/index-3.html"},
		{"no ~ at the end (a backup file to Hugo)", "备份~", "", 1, "posts/新媒体/观察者网/头条/备份.html"},
		{"C++ keeps its signs", "C++ & C#", "", 1, "posts/新媒体/观察者网/头条/c++-c.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := publish.Post{Title: tc.title, Categories: cats}
			if got := (Format{Section: tc.section}).Path(p, tc.n); got != tc.want {
				t.Errorf("Path = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzSlug checks that a post's file name is its URL as Hugo makes it
// (lower case, only letters, marks, digits, "-", "_", "+"): two names
// never make one page.
func FuzzSlug(f *testing.F) {
	for _, s := range []string{"美方", "UPPER lower", "？？？", "_index", "a~", "x\xffy", "İstanbul", strings.Repeat("字", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := slug(publish.FileStem(title))
		if got == "" || strings.ToLower(got) != got || strings.HasPrefix(got, "-") || strings.HasPrefix(got, "_") || strings.HasSuffix(got, "-") {
			t.Fatalf("slug(%q) = %q", title, got)
		}
		for _, r := range got {
			if !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || strings.ContainsRune("-_+", r)) {
				t.Fatalf("slug(%q) = %q holds %q", title, got, r)
			}
		}
	})
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"美方", "it's \"x\"", "a\nb", "- x", "? y", "{{< x >}}", "\xff", "\u2028", strings.Repeat("字", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		fm, _ := split(t, Format{}.Render(publish.Post{Title: title, Categories: []string{title, "s", "c"}, Author: title, Date: time.Unix(0, 0)}))
		if want := publish.OneLine(title); fm.Title != want || fm.Author != want || fm.Categories[0] != want {
			t.Errorf("title %q reads back as %q, %q, %q", want, fm.Title, fm.Author, fm.Categories[0])
		}
	})
}
