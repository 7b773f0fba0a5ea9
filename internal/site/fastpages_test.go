package site

import (
	"bytes"
	"html/template"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// hostile are field values for pages built to break the page writers:
// markup, quotes, the characters html/template escapes, URLs of unsafe
// schemes, broken escapes and invalid UTF-8.
var hostile = []string{
	"新华社北京5月20日电", `<script>alert("x")</script>`, `标题 "引号" 'single' & more + plus`,
	"a\x00b", "\xff\xfe中文\xe4\xb8", "tab\tnew\nline", "javascript:alert(1)", "JAVASCRIPT:x",
	"data:image/png;base64,AAAA", "mailto:a@b.example", "https://news.example/a b?q=1&r=2+3#f",
	"/categories/%E6%96%B0/", "%zz%4", "httpſ://x", "//img.example/x.png", "https://例子.测试/图片.jpg",
	"2024-05-20T08:00:00+08:00", "2024-05-20 08:00", "\u2028\ufdd0\U0001F600", "`=`",
}

// pick returns one of hostile, or "" one time in four.
func pick(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return ""
	}
	return hostile[r.IntN(len(hostile))]
}

// pickHTML is a template.HTML value as the parts and bodies are: trusted
// markup, which html/template passes through in text.
func pickHTML(r *rand.Rand) template.HTML {
	return template.HTML([]string{"", `<nav class="crumbs"><a href="/">首页</a></nav>`, `<p>正文 &amp; "x" + <script>y()</script></p>`, "\x00\xff+'"}[r.IntN(4)])
}

func randomEntry(r *rand.Rand) entry {
	return entry{Href: pick(r), Title: pick(r), Source: pick(r), SourceHref: pick(r), Date: pick(r), ISO: pick(r), Image: pick(r), Excerpt: pick(r)}
}

func randomPage(r *rand.Rand, kind string) *pageData {
	d := &pageData{
		Site: &siteData{Title: pick(r), Description: pick(r), Lang: pick(r), Head: pickHTML(r), Header: pickHTML(r), Footer: pickHTML(r)},
		Kind: kind, Title: pick(r), Heading: pick(r), Description: pick(r), Canonical: pick(r), Nav: pickHTML(r),
		Newer: pick(r), Older: pick(r), PageNote: pick(r),
	}
	if r.IntN(2) == 0 {
		d.Crumbs = []link{{}}
	}
	if r.IntN(2) == 0 {
		d.Feeds = &feedLinks{RSS: pick(r), Atom: pick(r), JSON: pick(r)}
	}
	d.Count = []int{0, 1, 12345, -3}[r.IntN(4)]
	for range r.IntN(3) {
		d.Children = append(d.Children, category{Label: pick(r), Href: pick(r), Count: r.IntN(3)})
	}
	for range r.IntN(3) {
		d.Entries = append(d.Entries, pickHTML(r))
	}
	if kind == "post" {
		p := &postData{Title: pick(r), Date: pick(r), ISO: pick(r), Source: pick(r), Image: pick(r), Body: pickHTML(r), Original: pick(r), Host: pick(r)}
		switch r.IntN(3) {
		case 0:
			p.Author = p.Source
		case 1:
			p.Author = pick(r)
		}
		d.Post = p
	}
	return d
}

// TestPageWritersMatchTemplates: the page writers write what
// html/template writes from the built-in templates, for entries, post
// pages and list pages of every shape.
func TestPageWritersMatchTemplates(t *testing.T) {
	tpl, err := loadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	if tpl.fast != (fastKinds{entry: true, list: true, post: true}) {
		t.Fatalf("the built-in templates are not all rendered by the page writers: %+v", tpl.fast)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		e := randomEntry(r)
		want, err := tpl.part("entry", e)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := tpl.entry(e); got != want {
			t.Fatalf("entry %d %+v:\n got %q\nwant %q", i, e, got, want)
		}

		kind := []string{"post", "home", "list"}[i%3]
		d := randomPage(r, kind)
		name := kind
		if kind != "post" {
			name = "list"
		}
		var wantPage bytes.Buffer
		if err := tpl.pages[name].ExecuteTemplate(&wantPage, "layout.html", d); err != nil {
			t.Fatal(err)
		}
		got, err := tpl.execute(new(bytes.Buffer), name, d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantPage.Bytes()) {
			t.Fatalf("%s page %d:\n got %q\nwant %q", kind, i, got, wantPage.Bytes())
		}
	}
}

// TestChangedTemplatesGoToHTMLTemplate: a kind is rendered by the page
// writers only while every file of its template set is the built-in one.
func TestChangedTemplatesGoToHTMLTemplate(t *testing.T) {
	all := fastKinds{entry: true, list: true, post: true}
	for _, tc := range []struct {
		name  string
		files map[string]string // "" for the built-in file
		want  fastKinds
	}{
		{"none", nil, all},
		{"a copy of the built-in ones", map[string]string{"layout.html": "", "entry.html": "", "list.html": "", "post.html": ""}, all},
		{"only other templates and assets", map[string]string{"categories.html": "+", "assets/style.css": "+", "assets/extra.css": "body{}"}, all},
		{"layout.html", map[string]string{"layout.html": "+"}, fastKinds{}},
		{"entry.html", map[string]string{"entry.html": "+"}, fastKinds{}},
		{"list.html", map[string]string{"list.html": "+"}, fastKinds{post: true}},
		{"post.html", map[string]string{"post.html": "+"}, fastKinds{entry: true, list: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, extra := range tc.files {
				// Nil when not a built-in file: extra is all of it.
				data, _ := defaults.ReadFile("templates/" + n)
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
					t.Fatal(err)
				}
				// A comment changes the file, not what it renders.
				if extra == "+" {
					extra = "{{/* changed */}}"
				}
				if err := os.WriteFile(filepath.Join(dir, n), append(data, extra...), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tpl, err := loadTemplates(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tpl.fast != tc.want {
				t.Errorf("fast = %+v, want %+v", tpl.fast, tc.want)
			}
		})
	}
}
