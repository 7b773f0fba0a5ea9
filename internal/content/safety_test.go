package content

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// browserScheme reads a URL's scheme as a browser does: leading and
// trailing C0 controls and spaces go, tabs and newlines go anywhere.
func browserScheme(v string) string {
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

var oracleURLAttrs = map[string]bool{
	"href": true, "src": true, "xlink:href": true, "action": true, "formaction": true, "data": true,
	"poster": true, "background": true, "lowsrc": true, "dynsrc": true, "codebase": true, "cite": true,
}

// attrProblem judges one attribute of element tag as a browser would.
func attrProblem(tag, key, val string) string {
	key = strings.ToLower(key)
	switch {
	case strings.HasPrefix(key, "on"):
		return "event handler " + key
	case key == "srcdoc" || key == "action" || key == "formaction":
		return "attribute " + key
	}
	if oracleURLAttrs[key] || key == "srcset" {
		urls := []string{val}
		if key == "srcset" {
			urls = nil
			for _, sp := range srcsetURLs(val) {
				urls = append(urls, val[sp[0]:sp[1]])
			}
		}
		for _, u := range urls {
			switch s := browserScheme(u); s {
			case "javascript", "vbscript", "livescript":
				return key + " is a " + s + " URL"
			case "data":
				if m, _ := dataMIME(u); !strings.HasPrefix(m, "image/") && !strings.HasPrefix(m, "audio/") && !strings.HasPrefix(m, "video/") {
					return key + " is a data: URL of " + m
				}
				if m, _ := dataMIME(u); m == "image/svg+xml" && (tag == "iframe" || tag == "a" || tag == "frame" || tag == "use") {
					return key + " frames an SVG data: URL"
				}
			}
		}
	}
	if browserScheme(val) == "javascript" {
		return key + " holds a javascript: URL"
	}
	if key == "style" && dangerousCSS(val) {
		return "style runs script"
	}
	if animations[strings.ToLower(tag)] && key == "attributename" {
		n := strings.ToLower(strings.TrimSpace(val))
		if strings.HasPrefix(n, "on") || strings.HasSuffix(n, "href") {
			return "animation sets " + n
		}
	}
	return ""
}

func tagProblem(tag string, attrs []html.Attribute) string {
	switch tag {
	case "script", "object", "embed", "applet", "base", "param":
		return "element " + tag
	case "meta":
		for _, a := range attrs {
			if strings.EqualFold(a.Key, "http-equiv") {
				return "meta http-equiv"
			}
		}
	}
	for _, a := range attrs {
		key := a.Key
		if a.Namespace != "" {
			key = a.Namespace + ":" + a.Key
		}
		if p := attrProblem(tag, key, a.Val); p != "" {
			return p
		}
	}
	return ""
}

// unsafe returns what in out could run script, or "". It reads out twice:
// token by token, and as a browser builds its tree inside the post's
// <div> (which knows SVG, MathML and raw text, where mutation XSS hides).
func unsafe(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if p := tagProblem(tok.Data, tok.Attr); p != "" {
			return "token: " + p + " in " + tok.String()
		}
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(out+"  \n</div>"), ctx)
	if err != nil {
		return "parse: " + err.Error()
	}
	var walk func(n *html.Node) string
	walk = func(n *html.Node) string {
		if n.Type == html.ElementNode {
			if p := tagProblem(n.Data, n.Attr); p != "" {
				return fmt.Sprintf("tree: %s in <%s> (namespace %q)", p, n.Data, n.Namespace)
			}
			if n.Data == "style" {
				var b strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					b.WriteString(c.Data)
				}
				if dangerousCSS(b.String()) {
					return "tree: <style> runs script"
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if p := walk(c); p != "" {
				return p
			}
		}
		return ""
	}
	for _, n := range nodes {
		if p := walk(n); p != "" {
			return p
		}
	}
	return ""
}

// blankLine returns the first blank line (Markdown's: only spaces and
// tabs) of s, ignoring the unfinished last line, or -1.
func blankLine(s string) int {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines[:len(lines)-1] {
		if strings.Trim(l, " \t") == "" {
			return i + 1
		}
	}
	return -1
}

// readVectors reads testdata/xss/owasp.txt.
func readVectors(t testing.TB) []string {
	f, err := os.Open("testdata/xss/owasp.txt")
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
	return out
}

// checkOutput checks the invariants every output keeps.
func checkOutput(t *testing.T, in string, link string, opts Options) Result {
	t.Helper()
	res := Process(in, link, opts)
	if ref := process(in, link, opts, true); ref != res {
		t.Errorf("the writer's waiting pieces changed the output\n in: %q\nout: %q\nwant: %q (image %q, want %q)", in, res.HTML, ref.HTML, res.Image, ref.Image)
	}
	if p := unsafe(res.HTML); p != "" {
		t.Errorf("unsafe output: %s\n in: %q\nout: %q", p, in, res.HTML)
	}
	again := Process(res.HTML, link, opts)
	if again != res {
		t.Errorf("not idempotent\n in: %q\nout: %q\nagain: %q (image %q, then %q)", in, res.HTML, again.HTML, res.Image, again.Image)
	}
	if len(opts.Enclosures) == 0 {
		if fi := FirstImage(res.HTML); fi != res.Image {
			t.Errorf("Image %q, but the output's first image is %q\nout: %q", res.Image, fi, res.HTML)
		}
	}
	if n := blankLine(res.HTML); n > 0 {
		t.Errorf("blank line %d in output %q", n, res.HTML)
	}
	return res
}

func TestXSSVectors(t *testing.T) {
	vectors := readVectors(t)
	if len(vectors) < 150 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	for _, style := range Styles {
		for i, v := range vectors {
			t.Run(fmt.Sprintf("%s/%d", style, i), func(t *testing.T) {
				checkOutput(t, v, "https://news.example.com/a/1.html", Options{Style: style, ImageProxy: "https://proxy.example.net/?url="})
				// The vector inside ordinary content, and cut short at every
				// tenth byte.
				checkOutput(t, "<p>前文</p>\n"+v+"\n<p>后文</p>", "https://news.example.com/a/1.html", Options{Style: style})
				for n := 1; n < len(v); n += 10 {
					checkOutput(t, v[:n], "", Options{Style: style})
				}
			})
		}
	}
}
