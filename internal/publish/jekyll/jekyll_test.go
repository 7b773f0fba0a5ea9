package jekyll

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/publish"
)

type fields struct {
	Layout           string   `yaml:"layout"`
	Title            string   `yaml:"title"`
	Date             string   `yaml:"date"`
	Categories       []string `yaml:"categories"`
	Author           string   `yaml:"author"`
	Image            string   `yaml:"image"`
	Source           string   `yaml:"source"`
	RenderWithLiquid *bool    `yaml:"render_with_liquid"`
}

func TestRender(t *testing.T) {
	date := time.Date(2022, 1, 28, 18, 30, 43, 0, time.FixedZone("CST", 8*3600))
	post := publish.Post{Title: "{% raw %} yes: no", Categories: []string{"新媒体", "观察者网", "头条"}, Author: "观察者网", Date: date,
		Image: "https://i.test/a.jpg", Link: "https://www.guancha.cn/1.shtml", Body: "<p>{{ site.title }} {% endraw %}</p>"}
	rest, ok := strings.CutPrefix(string(Format{}.Render(post)), "---\n")
	fm, body, ok2 := strings.Cut(rest, "\n---\n")
	if !ok || !ok2 {
		t.Fatalf("no front matter in %q", rest)
	}
	var f fields
	if err := yaml.Unmarshal([]byte(fm), &f); err != nil {
		t.Fatal(err)
	}
	if f.Layout != "post" || f.Title != post.Title || f.Date != "2022-01-28 18:30:43 +0800" || f.Author != "观察者网" ||
		strings.Join(f.Categories, "/") != "新媒体/观察者网/头条" || f.Image != post.Image || f.Source != post.Link {
		t.Errorf("front matter %+v", f)
	}
	if f.RenderWithLiquid == nil || *f.RenderWithLiquid {
		t.Errorf("render_with_liquid is not false: %v", f.RenderWithLiquid)
	}
	if body != post.Body+"\n" {
		t.Errorf("body %q", body)
	}
}

func TestPath(t *testing.T) {
	date := time.Date(2022, 1, 28, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))
	for _, tc := range []struct {
		title string
		n     int
		want  string
	}{
		{"美方书面拒绝“不东扩红线”，德法俄乌", 1, "2022-01-28-美方书面拒绝_不东扩红线_-德法俄乌.html"},
		{"C# 1.0 发布: a/b  c", 2, "2022-01-28-C-10-发布_-a_b-c-2.html"},
		{"“元宇宙” 50%", 1, "2022-01-28-元宇宙_-50.html"},
		{"???", 1, "2022-01-28-__.html"},
		{"《》", 1, "2022-01-28-untitled.html"},
		{"It's (ok) & fine", 1, "2022-01-28-It's-(ok)-&-fine.html"},
	} {
		if got := (Format{}).Path(publish.Post{Title: tc.title, Date: date}, tc.n); got != tc.want {
			t.Errorf("Path(%q, %d) = %q, want %q", tc.title, tc.n, got, tc.want)
		}
	}
}
