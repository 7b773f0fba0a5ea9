package htmlescape

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
)

// escapeSeeds are the inputs every escaper fuzz test starts from: what
// html/template treats specially in some context.
var escapeSeeds = []string{
	"", "plain", "新华社北京5月20日电", "中文\xe4\xb8", "\xff\xfe\xfd", "a\x00b", "\x00",
	`<script>alert("x")</script>`, `"quoted" 'single'`, "a+b&c", "&amp; &lt; &#43;", "1 < 2 > 0",
	"tab\tnew\nline\rcr\fff\vvt\x01\x1f\x7f", " leading and trailing ",
	"javascript:alert(1)", "JavaScript:alert(1)", " javascript:x", "java\tscript:x", "vbscript:x",
	"data:text/html;base64,PHNjcmlwdD4=", "http://example.com/a b?q=1&r=2+3#frag",
	"HTTPS://EXAMPLE.COM/", "https://例子.测试/路径?查询=值", "mailto:someone@example.com", "MAILTO:x",
	"httpſ://example.com/", "//evil.example/x", "/categories/%E6%96%B0%E5%AA%92%E4%BD%93/",
	"%zz%4%", "%41%4a%4G", "50%", "a/b:c", "?x=1:2", "#frag:x", ":", "http:", "ftp://x/",
	"!#$&'()*+,/:;=?@[]", "-._~", "`backtick` =equals=", "\u2028\u2029\ufdd0\ufffe\uffff\U0001F600",
	"2024-05-20T08:00:00+08:00", "zh-CN", "page-post",
}

// executed is what html/template writes for s in tmpl.
func executed(t *testing.T, tmpl *template.Template, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := tmpl.Execute(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fuzzContexts checks that each template of texts (one action in some
// context, escaped as html/template does) writes what escape does there.
func fuzzContexts(f *testing.F, texts []string, escape func(*bytes.Buffer, string)) {
	var tmpls []*template.Template
	for _, text := range texts {
		tmpls = append(tmpls, template.Must(template.New("").Parse(text)))
	}
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got bytes.Buffer
		escape(&got, s)
		for i, tmpl := range tmpls {
			want := executed(t, tmpl, s)
			before, after := cutAction(texts[i])
			if g := before + got.String() + after; g != want {
				t.Fatalf("%s with %q:\n got %q\nwant %q", texts[i], s, g, want)
			}
		}
	})
}

// cutAction splits a one-action template around its action.
func cutAction(text string) (before, after string) {
	before, rest, _ := strings.Cut(text, "{{")
	_, after, _ = strings.Cut(rest, "}}")
	return before, after
}

// FuzzText: a string in HTML text, as the templates show titles,
// sources, dates and excerpts.
func FuzzText(f *testing.F) {
	fuzzContexts(f, []string{`<p>{{.}}</p>`, `<h1>{{.}}</h1>`, `<span class="range">{{.}}</span>`}, Text)
}

// FuzzTitle: a string in <title>, an RCDATA element.
func FuzzTitle(f *testing.F) {
	fuzzContexts(f, []string{`<title>{{.}}</title>`, `<title>{{.}} - site</title>`}, Text)
}

// FuzzAttr: a string in the quoted attributes of the templates
// that are not URLs to html/template, <meta>'s content among them.
func FuzzAttr(f *testing.F) {
	fuzzContexts(f, []string{
		`<meta name="description" content="{{.}}">`, `<meta property="og:image" content="{{.}}">`,
		`<time datetime="{{.}}">`, `<html lang="{{.}}">`, `<body class="page-{{.}}">`,
		`<link rel="alternate" title="{{.}}">`,
	}, Text)
}

// FuzzURLAttr: a string in a quoted href or src.
func FuzzURLAttr(f *testing.F) {
	fuzzContexts(f, []string{
		`<a href="{{.}}">`, `<img src="{{.}}" alt="">`, `<link rel="canonical" href="{{.}}">`,
		`<a class="newer" rel="prev" href="{{.}}">`,
	}, URLAttr)
}
