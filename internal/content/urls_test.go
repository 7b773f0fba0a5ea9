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
