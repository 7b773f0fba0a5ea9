package gentest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/gentest"
	"github.com/feedmill/feedmill/internal/htmlfind"
	"github.com/feedmill/feedmill/internal/publish/hugo"
)

// Posts feedmill writes in the Hugo format go through the real Hugo and
// the example site: every post has its page showing the feed's HTML,
// braces as written, and every category level has its page.
func TestHugoBuildsFeedmillPosts(t *testing.T) {
	bin := gentest.Require(t, "hugo", ".ci/deps/hugo.sh")
	site := gentest.CopySite(t, "hugo")
	publish(t, filepath.Join(site, "content"), hugo.Format{})

	cmd := exec.CommandContext(t.Context(), bin, "--quiet", "--source", site, "--destination", filepath.Join(site, "public"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hugo: %v\n%s", err, out)
	}
	public := filepath.Join(site, "public")
	checkPosts(t, postPages(t, public))

	t.Run("category pages at every level", func(t *testing.T) {
		for _, c := range []struct {
			term   string
			titles []string
		}{
			{"新媒体", []string{"模板语法", "空行与缩进", "元宇宙", "视频", "澎湃要闻"}},
			{"观察者网", []string{"模板语法", "空行与缩进", "元宇宙", "视频"}},
			{"头条", []string{"模板语法", "空行与缩进", "元宇宙", "视频"}},
			{"澎湃新闻", []string{"澎湃要闻"}},
			{"要闻", []string{"澎湃要闻"}},
			{"技术", []string{"Hugo 短代码"}},
			{"掘金", []string{"Hugo 短代码"}},
			{"前端", []string{"Hugo 短代码"}},
		} {
			got := listed(t, filepath.Join(public, "categories", c.term, "index.html"), "posts")
			for _, title := range c.titles {
				if !strings.Contains(got, title) {
					t.Errorf("category %s does not list %q: %q", c.term, title, got)
				}
			}
		}
	})
	t.Run("params.source links the item's page", func(t *testing.T) {
		links := strings.Join(sourceLinks(t, public), " ")
		for _, want := range []string{"https://www.guancha.cn/a/1.shtml", "https://juejin.cn/post/1"} {
			if !strings.Contains(links, want) {
				t.Errorf("no post links %s: %q", want, links)
			}
		}
	})
	t.Run("titles keep their braces", func(t *testing.T) {
		got := listed(t, filepath.Join(public, "index.html"), "posts")
		for _, want := range []string{"模板语法原样显示：{{ page.title }} 与 {% raw %}", "Hugo 短代码 {{< youtube x >}} 与 Liquid {{ site.title }}", "[视频]方括号开头的标题"} {
			if !strings.Contains(got, want) {
				t.Errorf("home page does not list %q: %q", want, got)
			}
		}
	})
}

// sourceLinks returns the href of every link of class post-source in the
// site's pages.
func sourceLinks(t *testing.T, public string) []string {
	t.Helper()
	var links []string
	err := filepath.WalkDir(public, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".html" {
			return err
		}
		for _, n := range htmlfind.All(readPage(t, p), htmlfind.Class("post-source")) {
			for _, a := range htmlfind.All(n, htmlfind.Element("a")) {
				for _, attr := range a.Attr {
					if attr.Key == "href" {
						links = append(links, attr.Val)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return links
}
