package hexo

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/publish"
)

// frontMatter returns the YAML between the post's --- lines.
func frontMatter(t testing.TB, post string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(post, "\n---\n")
	if !ok {
		t.Fatalf("post does not start with \\n---\\n: %q", post[:min(len(post), 40)])
	}
	fm, _, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("no closing --- in %q", post)
	}
	return fm
}

type fields struct {
	Title      string   `yaml:"title"`
	Categories []string `yaml:"categories"`
	Headimg    string   `yaml:"headimg"`
	Author     string   `yaml:"author"`
	Comments   bool     `yaml:"comments"`
	Date       string   `yaml:"date"`
	Thumbnail  string   `yaml:"thumbnail"`
}

func readBack(t testing.TB, post []byte) fields {
	t.Helper()
	var f fields
	if err := yaml.Unmarshal([]byte(frontMatter(t, string(post))), &f); err != nil {
		t.Fatalf("front matter is not valid YAML: %v\n%s", err, post)
	}
	return f
}

func unbrace(s string) string {
	return strings.NewReplacer("&#123;", "{", "&#125;", "}").Replace(s)
}

func TestRenderHexoQuoting(t *testing.T) {
	date := time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC)
	tests := []struct {
		name      string
		title     string
		wantLine  string // the exact title line
		wantTitle string // what YAML reads back (after brace unescaping)
	}{
		{"plain", "美方书面拒绝", "title: '美方书面拒绝'", "美方书面拒绝"},
		{"single quote uses double quotes", "It's here", `title: "It's here"`, "It's here"},
		{"double quote stays in single quotes", `say "hi"`, `title: 'say "hi"'`, `say "hi"`},
		{"both quote kinds stay valid", `it's "x"`, `title: 'it''s "x"'`, `it's "x"`},
		{"braces escaped", "{{ x }}", "title: '&#123;&#123; x &#125;&#125;'", "{{ x }}"},
		{"hash and colon", "# a: b", "title: '# a_ b'", "# a_ b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post := Render(publish.Post{Title: tt.title, Categories: []string{"g", "s", "c"}, Author: "s", Date: date, Body: "<p>x</p>\n"})
			if !strings.Contains(string(post), "\n"+tt.wantLine+"\n") {
				t.Errorf("no line %q in\n%s", tt.wantLine, post)
			}
			if got := unbrace(readBack(t, post).Title); got != tt.wantTitle {
				t.Errorf("title reads back as %q, want %q", got, tt.wantTitle)
			}
		})
	}
}

func TestRenderHexoFields(t *testing.T) {
	date := time.Date(2022, 1, 28, 18, 30, 43, 0, time.FixedZone("CST", 8*3600))
	t.Run("picsum fallback uses one number in both fields", func(t *testing.T) {
		f := readBack(t, Render(publish.Post{Title: "t", Categories: []string{"g", "s", "c"}, Author: "s", Date: date, RandomN: 4242}))
		want := "https://picsum.photos/400/300?random=4242"
		if f.Headimg != want || f.Thumbnail != want {
			t.Errorf("headimg %q thumbnail %q, want %q", f.Headimg, f.Thumbnail, want)
		}
	})
	t.Run("date in GMT", func(t *testing.T) {
		f := readBack(t, Render(publish.Post{Title: "t", Categories: []string{"g", "s", "c"}, Author: "s", Date: date}))
		if f.Date != "Fri, 28 Jan 2022 10:30:43 GMT" {
			t.Errorf("date = %q", f.Date)
		}
	})
	t.Run("image with a quote stays valid", func(t *testing.T) {
		img := "https://x.test/a'b.jpg"
		f := readBack(t, Render(publish.Post{Title: "t", Categories: []string{"g", "s", "c"}, Author: "s", Date: date, Image: img}))
		if f.Headimg != img {
			t.Errorf("headimg = %q", f.Headimg)
		}
	})
	t.Run("categories that YAML would misread are quoted", func(t *testing.T) {
		cats := []string{"2022", "yes", "a: b"}
		f := readBack(t, Render(publish.Post{Title: "t", Categories: cats, Author: "[x]", Date: date}))
		if strings.Join(f.Categories, "|") != strings.Join(cats, "|") || f.Author != "[x]" {
			t.Errorf("categories %q author %q", f.Categories, f.Author)
		}
	})
	t.Run("YAML 1.1 readers read the categories as strings", func(t *testing.T) {
		for _, tt := range []struct{ in, want string }{
			{"YES", "'YES'"}, {"Off", "'Off'"}, {"y", "'y'"}, {"1:20", "'1:20'"}, {"1_000", "'1_000'"},
			{"0b101", "'0b101'"}, {"<<", "'<<'"}, {"=", "'='"}, {".NaN", "'.NaN'"}, {"2022-01-28", "'2022-01-28'"},
			{"2001-12-14t21:59:43.10-05:00", "'2001-12-14t21:59:43.10-05:00'"},
			{"36氪", "36氪"}, {"新媒体", "新媒体"}, {"a-b", "a-b"}, {"v1.2.3", "v1.2.3"}, // as the old system wrote them
		} {
			got := string(Render(publish.Post{Title: "t", Categories: []string{tt.in, "s", "c"}, Author: "s", Date: date}))
			if !strings.Contains(got, "categories: \n - "+tt.want+"\n") {
				t.Errorf("category %q: got %q, want it written %s", tt.in, got, tt.want)
			}
		}
	})
	t.Run("skeleton", func(t *testing.T) {
		got := string(Render(publish.Post{Title: "T", Categories: []string{"新媒体", "观察者网", "头条"}, Author: "观察者网", Date: date, Image: "https://i/x.jpg", Body: "<p>{b}</p>\n"}))
		want := "\n---\ntitle: 'T'\ncategories: \n - 新媒体\n - 观察者网\n - 头条\nheadimg: 'https://i/x.jpg'\nauthor: 观察者网\ncomments: false\ndate: Fri, 28 Jan 2022 10:30:43 GMT\nthumbnail: 'https://i/x.jpg'\n---\n\n<div>   \n<p>&#123;b&#125;</p>\n  \n</div>\n            "
		if got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
}

// FuzzRender checks the writer on any title: the front matter is valid
// YAML that reads back as the sanitized title, and the file name is one
// path element that fits a file system.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"美方书面拒绝“不东扩红线”", "it's \"x\"", "../../x", "..", "{{ a }}", "a\nb", "'", "\"", "#", "- x", "? y", "%", "@x", "`", "a: b", "\xff\xfe", "\u2028", strings.Repeat("字", 300)} {
		f.Add(s, "观察者网")
	}
	date := time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC)
	f.Fuzz(func(t *testing.T, title, source string) {
		post := Render(publish.Post{Title: title, Categories: []string{"g", source, "c"}, Author: source, Date: date, Body: "<p>x</p>"})
		fm := readBack(t, post)
		if got, want := unbrace(fm.Title), publish.Title(title); got != want {
			t.Errorf("title reads back as %q, want %q", got, want)
		}
		name := publish.FileName(publish.FileStem(title), 3, ".md")
		if name != filepath.Base(name) || strings.ContainsAny(name, `/\`+"\x00") || name == "." || name == ".." || strings.HasPrefix(name, ".md") {
			t.Errorf("file name %q is not one path element", name)
		}
		if strings.Contains(name, "%") {
			t.Errorf("file name %q has a %%, which makes Hexo drop the post", name)
		}
		if publish.Hidden(name) {
			t.Errorf("file name %q starts with _ or ., which makes Hexo skip the post", name)
		}
		if len(name) > publish.MaxNameBytes || !utf8.ValidString(name) {
			t.Errorf("file name %q: %d bytes, valid UTF-8 %v", name, len(name), utf8.ValidString(name))
		}
	})
}

func TestPlainWordAgreesWithYAML(t *testing.T) {
	for _, s := range []string{"观察者网", "36氪", "新媒体", "头条", "ｙｅｓ", "Ａ１", "中2", "２０２２", "cnBeta中文", "a", "yes", "2022", "36kr", "", "观察 者", "观察:者",
		"bench", "host001", "route00001", "cnBeta", "IT", "Yes", "YES", "Null", "NULL", "True", "FALSE", "off", "On", "Y", "n",
		"e5", "E3", "x0", "inf", "nan", "Infinity", "NaN", "NaNa", "e", "o17", "b101", "Ox1F", "yesno", "nulls"} {
		if !plainWord(s) {
			continue
		}
		var v map[string]any
		if err := yaml.Unmarshal([]byte("k: "+s), &v); err != nil || v["k"] != s {
			t.Errorf("plainWord(%q) but YAML reads %v (%v)", s, v["k"], err)
		}
	}
	if !plainWord("观察者网") || !plainWord("host001") || plainWord("yes") || plainWord("Null") || plainWord("2022") {
		t.Error("plainWord misjudges the common cases")
	}
}

func TestAdopt(t *testing.T) {
	date := time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC)
	post := publish.Post{Title: "美方书面拒绝", Categories: []string{"g", "s", "c"}, Author: "s", Date: date, RandomN: 1, Body: "<p>x</p>"}
	rendered := Render(post)
	older := Render(publish.Post{Title: post.Title, Categories: post.Categories, Author: "s", Date: date, RandomN: 99, Body: "<p>the old system's body</p>"})
	for _, tc := range []struct {
		name string
		old  []byte
		want bool
	}{
		{"the same post as the old system wrote it", older, true},
		{"the very bytes", rendered, true},
		{"another title", Render(publish.Post{Title: "另一篇", Categories: post.Categories, Date: date}), false},
		{"another date", Render(publish.Post{Title: post.Title, Categories: post.Categories, Date: date.Add(time.Second)}), false},
		{"no front matter", []byte("my own notes"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Format{}).Adopt(tc.old, rendered); got != tc.want {
				t.Errorf("Adopt = %v, want %v", got, tc.want)
			}
		})
	}
}

// renderReplaced is Render as it was written before it escaped braces
// while copying: the post built whole, then every brace replaced.
func renderReplaced(p publish.Post) []byte {
	img := p.Image
	if img == "" {
		img = publish.PicsumURL(p.RandomN)
	}
	var b strings.Builder
	b.WriteString("\n---\ntitle: ")
	b.WriteString(quoteTitle(publish.Title(p.Title)))
	b.WriteString("\ncategories: ")
	for _, c := range p.Categories {
		b.WriteString("\n - ")
		b.WriteString(plain(c))
	}
	b.WriteString("\nheadimg: ")
	b.WriteString(singleQuote(img))
	b.WriteString("\nauthor: ")
	b.WriteString(plain(p.Author))
	b.WriteString("\ncomments: false\ndate: ")
	b.WriteString(DateText(p.Date))
	b.WriteString("\nthumbnail: ")
	b.WriteString(singleQuote(img))
	b.WriteString("\n---\n\n<div>   \n")
	b.WriteString(p.Body)
	b.WriteString("  \n</div>\n            ")
	return []byte(strings.NewReplacer("{", "&#123;", "}", "&#125;").Replace(b.String()))
}

// FuzzRenderBraces holds Render to the post built whole with its braces
// replaced afterwards, byte for byte, and to its own size.
func FuzzRenderBraces(f *testing.F) {
	f.Add("{{ x }}", "新媒体", "观察者网{}", "<p>{% raw %}</p>", "https://i.example.com/{a}.jpg", "作者}")
	f.Add("plain", "g", "s", "", "", "")
	f.Fuzz(func(t *testing.T, title, group, source, body, image, author string) {
		p := publish.Post{
			Title: title, Categories: []string{group, source, "头条"}, Author: author, Image: image,
			Date: time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC), Body: body, RandomN: 7,
		}
		got, want := Render(p), renderReplaced(p)
		if string(got) != string(want) {
			t.Fatalf("Render:\n%q\nwant\n%q", got, want)
		}
		if len(got) != cap(got) {
			t.Errorf("Render sized its post %d bytes for %d", cap(got), len(got))
		}
		// A reused buffer, which held a longer post, and a prefix.
		buf := append(make([]byte, 0, 2*len(want)+64), strings.Repeat("x", len(want)+10)...)
		if app := AppendRender(buf[:3], p); string(app) != "xxx"+string(want) {
			t.Fatalf("AppendRender to a used buffer:\n%q\nwant xxx and\n%q", app, want)
		}
	})
}

// BenchmarkRender renders an RSSHub-sized post with braces in its body.
//
//	go test -run '^$' -bench Render -benchmem ./internal/publish/hexo/
func BenchmarkRender(b *testing.B) {
	p := publish.Post{
		Title: "美方书面拒绝：“不会”[快讯]", Categories: []string{"新媒体", "观察者网", "头条"}, Author: "观察者网",
		Image: "https://i.example.com/a.jpg", Date: time.Date(2022, 1, 28, 10, 30, 43, 0, time.UTC),
		Body: strings.Repeat("<p>观察者网讯，这是一段{用于}基准测试的正文，长度与真实新闻相近。</p>\n", 50),
	}
	b.ReportAllocs()
	for b.Loop() {
		Render(p)
	}
}
