package content

import (
	"strings"

	"golang.org/x/net/html"
)

// Rebase makes the relative URLs of body (links, images, media, lazy
// image attributes) absolute against base, an absolute http(s) URL, and
// keeps every other byte. It is for a body whose references resolve
// against another URL than its item's link, which Process resolves
// against: an RSS xml:base, or the feed's own URL for an item without a
// link. A base that is not an absolute http(s) URL changes nothing.
func Rebase(body, base string) string {
	b := baseURL(base, "")
	if b == nil || !strings.Contains(body, "=") {
		return body
	}
	z := html.NewTokenizer(strings.NewReader(body))
	var out []byte
	read, copied := 0, 0 // body[:read] is tokenized, body[:copied] is in out
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		start := read
		read += len(raw)
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tag := tagName(raw)
		t := scanTag(raw, tt == html.SelfClosingTagToken)
		for i := range t.attrs {
			a := &t.attrs[i]
			switch {
			case a.lname == "src" || a.lname == "href" || a.lname == "poster" || (tag == "img" && isLazySrc(a.lname)):
				if v, ok := absolute(a.val, b, a.lname == "href"); ok && v != a.val {
					t.set(a, v)
				}
			case strings.HasSuffix(a.lname, "srcset"):
				v := mapSrcset(a.val, func(u string) string {
					v, _ := absolute(u, b, false)
					return v
				})
				if v != a.val {
					t.set(a, v)
				}
			}
		}
		if t.changed() {
			out = append(out, body[copied:start]...)
			out = t.appendTo(out, false)
			copied = read
		}
	}
	if out == nil {
		return body
	}
	return string(append(out, body[copied:]...))
}
