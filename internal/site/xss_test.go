package site_test

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/imgproxy"
	"github.com/feedmill/feedmill/internal/site"
)

// xssVectors reads the content package's XSS corpus (see its format
// there): the site must keep safe everything the cleaner made safe.
func xssVectors(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../content/testdata/xss/owasp.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "q:"):
			v, err := strconv.Unquote(line[2:])
			if err != nil {
				t.Fatalf("bad quoted vector %s: %v", line, err)
			}
			out = append(out, v)
		default:
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The whole XSS corpus goes through the store and the site build, with
// and without the builtin image proxy (which rewrites every image), and
// no page or feed of the site may carry script: every HTML page, and the
// HTML inside the RSS, Atom and JSON feeds, is read by an HTML parser (a
// browser's tree, and token by token as simpler readers do).
func TestSiteFromXSSCorpusRunsNoScript(t *testing.T) {
	vectors := xssVectors(t)
	if len(vectors) < 200 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	f := newFixture(t, "")
	now := f.now
	var batches [3][]feed.Item
	for i, v := range vectors {
		it := feed.Item{
			GUID:      fmt.Sprintf("xss-%d", i),
			Link:      fmt.Sprintf("https://news.example/xss/%d.html", i),
			Title:     fmt.Sprintf("向量 %d", i),
			Content:   "<p>前文</p>\n" + v + "\n<p>后文</p>",
			Published: now.Add(-time.Duration(i) * time.Minute),
		}
		switch i % 4 {
		case 1:
			it.Title = v // titles are text: escaped, never markup
		case 2:
			it.Content = v
			it.Link = "javascript:alert(1)"
			it.Image = "javascript:alert(1)"
		case 3:
			it.Image = "data:text/html,<script>alert(1)</script>"
		}
		batches[i%3] = append(batches[i%3], it)
	}
	for i, items := range batches {
		if _, err := f.st.InsertItems(t.Context(), f.ids[i], items, 0, nil, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	for _, proxy := range []struct {
		name   string
		signer *imgproxy.Signer
	}{{"none", nil}, {"builtin", imgproxy.NewSigner([]byte("0123456789abcdef"))}} {
		t.Run("image_proxy="+proxy.name, func(t *testing.T) {
			dir := t.TempDir()
			// Every post in every feed, so that each body is read there.
			cfg := site.Config{Dir: dir, BaseURL: "https://news.example.org/", PerPage: 50, FeedItems: len(vectors), ImageProxy: proxy.signer}
			build(t, f, cfg, site.Options{})
			checked := map[string]int{}
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				rel = filepath.ToSlash(rel)
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				var problems []string
				switch name := filepath.Base(rel); {
				case strings.HasSuffix(name, ".html"):
					problems = pageProblems(string(data))
					checked["html"]++
				case name == "feed.xml":
					problems = rssProblems(data)
					checked["rss"]++
				case name == "atom.xml":
					problems = atomProblems(data)
					checked["atom"]++
				case name == "feed.json":
					problems = jsonFeedProblems(data)
					checked["json"]++
				}
				for _, p := range problems {
					t.Errorf("%s: %s", rel, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if checked["html"] < len(vectors) || checked["rss"] < 4 || checked["rss"] != checked["atom"] || checked["rss"] != checked["json"] {
				t.Errorf("checked %v", checked)
			}
		})
	}
}

// pageProblems reads a whole page as a browser does.
func pageProblems(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	return append(treeProblems(doc, true), tokenProblems(page, true)...)
}

// fragmentProblems reads the HTML of a feed entry as a feed reader would
// show it inside its own page.
func fragmentProblems(where, fragment string) []string {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), ctx)
	if err != nil {
		return []string{where + ": parse: " + err.Error()}
	}
	var out []string
	for _, n := range nodes {
		out = append(out, treeProblems(n, false)...)
	}
	out = append(out, tokenProblems(fragment, false)...)
	for i := range out {
		out[i] = where + ": " + out[i]
	}
	return out
}

func rssProblems(data []byte) []string {
	var rss struct {
		Items []struct {
			Link        string `xml:"link"`
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(data, &rss); err != nil {
		return []string{"xml: " + err.Error()}
	}
	var out []string
	for _, it := range rss.Items {
		out = append(out, fragmentProblems("item "+it.Link, it.Description)...)
	}
	return out
}

func atomProblems(data []byte) []string {
	var feed struct {
		Entries []struct {
			ID      string `xml:"id"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(data, &feed); err != nil {
		return []string{"xml: " + err.Error()}
	}
	var out []string
	for _, e := range feed.Entries {
		out = append(out, fragmentProblems("entry "+e.ID, e.Content)...)
	}
	return out
}

func jsonFeedProblems(data []byte) []string {
	var feed struct {
		Items []struct {
			URL         string `json:"url"`
			ExternalURL string `json:"external_url"`
			ContentHTML string `json:"content_html"`
			Image       string `json:"image"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &feed); err != nil {
		return []string{"json: " + err.Error()}
	}
	var out []string
	for _, it := range feed.Items {
		out = append(out, fragmentProblems("item "+it.URL, it.ContentHTML)...)
		for _, u := range []string{it.ExternalURL, it.Image} {
			if p := urlProblem("img", "src", u); p != "" {
				out = append(out, "item "+it.URL+": "+p)
			}
		}
	}
	return out
}

// treeProblems walks a parsed tree. A page may load its own scripts from
// the site's assets and state its CSP; a fragment may do neither.
func treeProblems(n *html.Node, page bool) []string {
	var out []string
	if n.Type == html.ElementNode {
		if p := elementProblem(n.Data, n.Attr, page); p != "" {
			out = append(out, fmt.Sprintf("tree: %s in <%s> (namespace %q)", p, n.Data, n.Namespace))
		}
		if n.Data == "script" && n.FirstChild != nil {
			out = append(out, "tree: inline script")
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, treeProblems(c, page)...)
	}
	return out
}

func tokenProblems(s string, page bool) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if p := elementProblem(tok.Data, tok.Attr, page); p != "" {
			out = append(out, "token: "+p+" in "+tok.String())
		}
	}
}

// urlAttrs hold URLs a browser follows or loads.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "xlink:href": true, "action": true, "formaction": true, "data": true,
	"poster": true, "background": true, "lowsrc": true, "dynsrc": true, "codebase": true, "cite": true, "srcset": true,
}

func elementProblem(tag string, attrs []html.Attribute, page bool) string {
	switch tag {
	case "object", "embed", "applet", "base", "param":
		return "element " + tag
	case "script":
		if !page {
			return "element script"
		}
		for _, a := range attrs {
			if a.Key == "src" && strings.HasPrefix(a.Val, "/assets/") {
				return ""
			}
		}
		return "script not of the site's assets"
	}
	for _, a := range attrs {
		key := strings.ToLower(a.Key)
		if a.Namespace != "" {
			key = a.Namespace + ":" + key
		}
		switch {
		case strings.HasPrefix(key, "on"):
			return "event handler " + key
		case key == "srcdoc" || key == "formaction" || key == "action" && !page:
			return "attribute " + key
		case key == "http-equiv" && !(page && strings.EqualFold(a.Val, "Content-Security-Policy")):
			return "meta http-equiv " + a.Val
		}
		if urlAttrs[key] {
			vals := []string{a.Val}
			if key == "srcset" {
				vals = strings.Split(a.Val, ",")
			}
			for _, v := range vals {
				if key == "srcset" {
					v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
				}
				if p := urlProblem(tag, key, v); p != "" {
					return p
				}
			}
		} else if s := scheme(a.Val); s == "javascript" || s == "vbscript" {
			return key + " holds a " + s + ": URL"
		}
	}
	return ""
}

// urlProblem judges a URL a browser would follow or load.
func urlProblem(tag, key, u string) string {
	switch s := scheme(u); s {
	case "javascript", "vbscript", "livescript":
		return fmt.Sprintf("%s is a %s: URL", key, s)
	case "data":
		rest := strings.TrimSpace(u[strings.IndexByte(u, ':')+1:])
		mime, _, _ := strings.Cut(rest, ",")
		mime, _, _ = strings.Cut(mime, ";")
		mime = strings.ToLower(strings.TrimSpace(mime))
		if !strings.HasPrefix(mime, "image/") && !strings.HasPrefix(mime, "audio/") && !strings.HasPrefix(mime, "video/") || mime == "image/svg+xml" && tag != "img" {
			return fmt.Sprintf("%s is a data: URL of %q", key, mime)
		}
	}
	return ""
}

// scheme reads a URL's scheme as a browser does: C0 controls and spaces
// around it go, tabs and line breaks go anywhere.
func scheme(v string) string {
	v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	v = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(v)
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return ""
	}
	s := strings.ToLower(v[:i])
	for j := 0; j < len(s); j++ {
		c := s[j]
		if !('a' <= c && c <= 'z' || j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return ""
		}
	}
	return s
}

// A rebuild takes the entries of unchanged items from the feeds the last
// build wrote. Bodies sit in those feeds as CDATA, markup and all, so a
// body that holds what looks like a feed entry ("\n<item>…<link>" naming
// another post) must not be taken for one: the feeds of an incremental
// build are those of a full build.
func TestFeedReuseIsNotFooledByBodies(t *testing.T) {
	f := newFixture(t, "")
	f.add(t, 0, 3, -time.Hour, "a")
	victim := items(t, f)[0] // the newest: right after the forger
	post := "https://news.example.org/posts/" + victim.Slug + ".html"
	forged := []feed.Item{
		{GUID: "rss", Title: "rss", Published: f.now, Content: "<p>a</item>\n<item><title>t</title><link>" + post +
			"</link><description>&lt;img src=x onerror=alert(1)&gt;<!--<![CDATA[-->"},
		{GUID: "atom", Title: "atom", Published: f.now.Add(-time.Minute), Content: "<p>a</entry>\n<entry><title>t</title><id>x</id><link href=\"" + post +
			"\" rel=\"alternate\"></link><content type=\"html\">&lt;img src=x onerror=alert(1)&gt;<!--<![CDATA[-->"},
	}
	if _, err := f.st.InsertItems(t.Context(), f.ids[0], forged, 0, nil, f.now); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := site.Config{Dir: dir, BaseURL: "https://news.example.org/"}
	build(t, f, cfg, site.Options{})
	f.add(t, 0, 1, time.Hour, "b") // a new item: every feed of the source is written again
	build(t, f, cfg, site.Options{})
	full := cfg
	full.Dir = t.TempDir()
	build(t, f, full, site.Options{Full: true})
	for _, rel := range []string{"feed.xml", "atom.xml", "feed.json", "categories/新媒体/观察者网/头条/feed.xml", "categories/新媒体/观察者网/头条/atom.xml"} {
		if got, want := read(t, dir, rel), read(t, full.Dir, rel); got != want {
			t.Errorf("%s of the rebuild differs from a full build's:\n%s\nwant\n%s", rel, got, want)
		}
	}
}
