package content

import (
	"net/url"
	"reflect"
	"testing"
)

func TestScriptURL(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"javascript:alert(1)", true},
		{"JaVaScRiPt:alert(1)", true},
		{" \x01\tjava\nscript:alert(1)", true},
		{"vbscript:msgbox(1)", true},
		{"livescript:x", true},
		{"https://a.example/javascript:x", false},
		{"java%0ascript:alert(1)", false}, // not a scheme for browsers either
		{"\u00a0javascript:alert(1)", false},
		{"/javascript/", false},
	} {
		if got := scriptURL(tc.v); got != tc.want {
			t.Errorf("scriptURL(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"", true},
		{"undefined", true},
		{"data:image/gif;base64,R0lGODlhAQABAAAAACw=", true},
		{"//n.sinaimg.cn/default/images/loading.gif", true},
		{"/static/img/blank.gif?v=2", true},
		{"https://img.example.cn/Lazy_Placeholder.PNG", true},
		{"https://img.example.cn/news/2022/photo.jpg", false},
	} {
		if got := placeholder(tc.v); got != tc.want {
			t.Errorf("placeholder(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestAbsolute(t *testing.T) {
	base, _ := url.Parse("https://www.example.com/news/a.html")
	for _, tc := range []struct {
		v    string
		link bool
		want string
	}{
		{"/x.jpg", false, "https://www.example.com/x.jpg"},
		{"//cdn.example.com/x.jpg", false, "https://cdn.example.com/x.jpg"},
		{"x.jpg", false, "https://www.example.com/news/x.jpg"},
		{"../x.jpg", false, "https://www.example.com/x.jpg"},
		{"#top", true, "#top"},
		{"#", false, "https://www.example.com/news/a.html"},
		{"mailto:a@example.com", true, "mailto:a@example.com"},
		{"http://other.example/x", false, "http://other.example/x"},
		{"undefined", false, "undefined"},
	} {
		if got, _ := absolute(tc.v, base, tc.link); got != tc.want {
			t.Errorf("absolute(%q) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestSrcsetURLs(t *testing.T) {
	s := "a.jpg 1x, b.jpg 2x,c.jpg,  data:image/png;base64,AA== 3x, d.jpg (x, y) 4x"
	var got []string
	for _, sp := range srcsetURLs(s) {
		got = append(got, s[sp[0]:sp[1]])
	}
	want := []string{"a.jpg", "b.jpg", "c.jpg", "data:image/png;base64,AA==", "d.jpg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("srcsetURLs = %q, want %q", got, want)
	}
}

func TestRebase(t *testing.T) {
	const base = "https://feed.example/blog/feed.xml"
	tests := []struct{ name, in, want string }{
		{"relative", `<p><a href="post/1">a</a> <img src='/i.png' data-src="lazy.jpg" srcset="a.jpg 1x, /b.jpg 2x"></p>`,
			`<p><a href="https://feed.example/blog/post/1">a</a> <img src="https://feed.example/i.png" data-src="https://feed.example/blog/lazy.jpg" srcset="https://feed.example/blog/a.jpg 1x, https://feed.example/b.jpg 2x"></p>`},
		{"absolute and fragments kept", `<a href="#n1">1</a><a href="https://x.example/">x</a><video poster="p.jpg"></video>`,
			`<a href="#n1">1</a><a href="https://x.example/">x</a><video poster="https://feed.example/blog/p.jpg"></video>`},
		{"nothing relative: the same string", `<p class=x>text &amp; <b>bold</b></p><!-- c -->`, `<p class=x>text &amp; <b>bold</b></p><!-- c -->`},
		{"cut tag kept", `<img src="a.png"><a href="b`, `<img src="https://feed.example/blog/a.png"><a href="b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Rebase(tt.in, base); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if got := Rebase(`<img src="a.png">`, "file:///tmp/feed.xml"); got != `<img src="a.png">` {
		t.Errorf("file base: %s", got)
	}
}
