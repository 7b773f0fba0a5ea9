package gentest_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/gentest"
	"github.com/feedmill/feedmill/internal/publish/jekyll"
)

// Posts feedmill writes in the Jekyll format go through the real Jekyll
// and the example site: every post has its page showing the feed's HTML,
// braces as written (render_with_liquid: false), and every category level
// has its page.
func TestJekyllBuildsFeedmillPosts(t *testing.T) {
	bin := gentest.Require(t, "jekyll", ".ci/deps/jekyll.sh")
	site := gentest.CopySite(t, "jekyll")
	publish(t, filepath.Join(site, "_posts"), jekyll.Format{})
	// The site's feedmill.yaml and a store beside it (the default
	// store: feedmill.db) must not be published: the store holds the
	// sources' headers and cookies.
	for _, name := range []string{"feedmill.db", "feedmill.db-wal", "feedmill.db-shm", "feedmill.db.lock"} {
		if err := os.WriteFile(filepath.Join(site, name), []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	public := filepath.Join(site, "_site")
	cmd := exec.CommandContext(t.Context(), bin, "build", "--quiet", "--source", site, "--destination", public)
	cmd.Env = append(cmd.Environ(), "JEKYLL_ENV=production", "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("jekyll: %v\n%s", err, out)
	}
	checkPosts(t, postPages(t, public))
	t.Run("feedmill's files are not published", func(t *testing.T) {
		for _, name := range []string{"feedmill.yaml", "feedmill.db", "feedmill.db-wal", "feedmill.db-shm", "feedmill.db.lock"} {
			if _, err := os.Stat(filepath.Join(site, name)); err != nil {
				t.Fatalf("the site lacks %s: %v", name, err)
			}
			if _, err := os.Stat(filepath.Join(public, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("jekyll published %s (%v)", name, err)
			}
		}
	})

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
	t.Run("titles keep their braces", func(t *testing.T) {
		got := listed(t, filepath.Join(public, "index.html"), "posts")
		for _, want := range []string{"模板语法原样显示：{{ page.title }} 与 {% raw %}", "Hugo 短代码 {{< youtube x >}} 与 Liquid {{ site.title }}", "[视频]方括号开头的标题"} {
			if !strings.Contains(got, want) {
				t.Errorf("home page does not list %q: %q", want, got)
			}
		}
	})
	t.Run("the source links the item's page", func(t *testing.T) {
		links := strings.Join(sourceLinks(t, public), " ")
		for _, want := range []string{"https://www.guancha.cn/a/1.shtml", "https://juejin.cn/post/1"} {
			if !strings.Contains(links, want) {
				t.Errorf("no post links %s: %q", want, links)
			}
		}
	})
}
