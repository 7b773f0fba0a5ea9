package opml

import (
	"strings"
	"testing"
)

func TestPublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://rsshub.example.org/guancha/headline?key=abc":   "https://rsshub.example.org/guancha/headline",
		"https://u:p@example.com/feed?Token=1&page=2&api_key=x": "https://example.com/feed?page=2",
		"http://example.com/feed.xml":                           "http://example.com/feed.xml",
		"file:///srv/feed.xml":                                  "",
		"/guancha/headline":                                     "",
	} {
		if got := PublicURL(in); got != want {
			t.Errorf("PublicURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuild(t *testing.T) {
	doc := Build("站", []Feed{
		{"新媒体", "观察者网", "头条", "https://r.example.org/guancha/headline"},
		{"编程", "开源中国", "资讯", "https://r.example.org/oschina/news"},
		{"新媒体", "观察者网", "要闻", "https://r.example.org/guancha"},
		{"本地", "文件", "测试", "file:///x.xml"},
	})
	out, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if len(doc.Body) != 2 || len(doc.Body[0].Children) != 1 || len(doc.Body[0].Children[0].Children) != 2 || strings.Contains(s, "本地") || !strings.HasPrefix(s, "<?xml") {
		t.Errorf("document:\n%s", s)
	}
}
