package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/feedmill/feedmill/internal/config"
)

const initUsage = `Usage: feedmill init [--rsshub URL] [DIR]

Writes a commented starter feedmill.yaml into DIR (default: the current
folder): an RSSHub instance, a handful of popular Chinese news routes by
path, the Hexo post folder and the news site. It never replaces an
existing file. Then run feedmill run (and feedmill build) in DIR.

Flags:
`

// starter is the configuration feedmill init writes; %s is the RSSHub
// base URL.
const starter = `# feedmill configuration, a starter written by 'feedmill init'.
# Next: feedmill run (fetch and write posts), feedmill build (the news site),
# feedmill serve (both on a schedule, and the site on http://127.0.0.1:8080/).

# Your RSSHub instance. The public https://rsshub.app works but is often
# rate-limited; your own (https://docs.rsshub.app/deploy/) is better.
rsshub: %s
# rsshub_key: your-access-key   # when the instance sets ACCESS_KEY

# Posts go to <output.dir>/<group>/<source>/<channel>/<title>.md, in the
# format the RSSHub -> Hexo scripts wrote (a Hexo blog's source/_posts).
# format: hugo (dir: a Hugo site's content) or jekyll (dir: a Jekyll
# site's _posts) writes for those sites; "outputs:", a list of
# {format, dir}, writes several at once.
output:
  dir: source/_posts
store: feedmill.db        # what was fetched and published (SQLite)
max_items: 15             # only the 15 newest items of each fetch
interval: 30m             # how often feedmill serve fetches each source
timezone: Asia/Shanghai   # for dates that come without a zone

# The news site feedmill build writes into public/.
site:
  title: 今日新闻
  dir: public

# Sources: RSSHub routes by path. Group, source and channel (the post's
# categories and folder) come from RSSHub's catalog, as its docs name them;
# 'feedmill routes QUERY' lists the routes, e.g. feedmill routes 新闻.
# Give the names yourself to file a route elsewhere:
#   - {url: /guancha/headline, group: 新闻, source: 观察者网, channel: 头条}
# Any RSS, Atom or JSON feed works too, with its names:
#   - {url: https://example.com/feed.xml, group: 博客, source: 某人, channel: 文章}
sources:
  - /guancha/headline        # 新媒体 / 观察者网 / 头条
  - /thepaper/featured       # 新媒体 / 澎湃新闻 / 首页头条
  - /zaobao/realtime/china   # 传统媒体 / 联合早报 / 即时新闻
  - /cls/telegraph           # 金融 / 财联社 / 电报
  - /sspai/index             # 新媒体 / 少数派 / 首页
  - /oschina/news            # 编程 / 开源中国 / 资讯
`

func initCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs, _ := configFlags("init", initUsage)
	rsshub := fs.String("rsshub", "https://rsshub.app", "the RSSHub instance's base `URL`")
	words, flagArgs := splitArgs(args, "rsshub", "config")
	if ok, code := parseFlags(fs, flagArgs, stdout, stderr); !ok {
		return code
	}
	if len(words) > 1 {
		fmt.Fprintf(stderr, "feedmill init: one folder, not %d\n", len(words))
		return exitUsage
	}
	dir := "."
	if len(words) == 1 {
		dir = words[0]
	}
	base := strings.TrimRight(strings.TrimSpace(*rsshub), "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "feedmill init: --rsshub %q is not an http(s) URL\n", *rsshub)
		return exitUsage
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "feedmill init: %v\n", err)
		return exitProblem
	}
	path := filepath.Join(dir, config.DefaultFile)
	data := []byte(fmt.Sprintf(starter, base))
	if _, err := config.Parse(path, data); err != nil {
		fmt.Fprintf(stderr, "feedmill init: %v\n", err) // a URL that YAML reads otherwise
		return exitUsage
	}
	if err := writeNew(path, data, false); err != nil {
		fmt.Fprintf(stderr, "feedmill init: %v\n", strings.Replace(err.Error(), " (use --force to replace it)", "; feedmill init never replaces it", 1))
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s\nnext: ", path)
	if dir != "." {
		fmt.Fprintf(stdout, "cd %s && ", dir)
	}
	fmt.Fprintln(stdout, "feedmill run && feedmill build   (feedmill routes QUERY lists more routes)")
	return exitOK
}
