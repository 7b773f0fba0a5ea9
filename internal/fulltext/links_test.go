package fulltext_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/fulltext"
)

// secret is what a page on the machine's own network, or a local file,
// would give away if full text fetched it: the article of a page that
// readability and a selector both accept.
const secret = `<!DOCTYPE html><html><head><title>internal</title></head><body>
<div class="article"><p>The instance metadata says the access key is AKIAEXAMPLESECRET, and the database password is hunter2-hunter2-hunter2.</p>
<p>Nothing of this page may ever reach a post, whatever the feed that names it says.</p></div></body></html>`

// Item links are text from the feed: whatever deny_private_networks says,
// full text never fetches a local file or an address that is not on the
// public internet, by address, by name or by redirect.
func TestFillRefusesLinksOutsideThePublicWeb(t *testing.T) {
	var hits int
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(secret))
	}))
	defer internal.Close()
	file := filepath.Join(t.TempDir(), "secret.html")
	if err := os.WriteFile(file, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	links := []string{
		"file://" + file,
		"FILE://" + file,
		internal.URL + "/page.html",
		strings.Replace(internal.URL, "127.0.0.1", "localhost", 1) + "/page.html",
		strings.Replace(internal.URL, "127.0.0.1", "[::ffff:127.0.0.1]", 1) + "/page.html",
		strings.Replace(internal.URL, "127.0.0.1", "0.0.0.0", 1) + "/page.html",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/page.html",
		"http://[::1]/page.html",
		"ftp://example.com/page.html",
		"javascript:alert(1)",
		"/relative/page.html",
	}
	for _, selector := range []string{"", "div.article"} {
		for _, link := range links {
			it := feed.Item{Title: "t", Link: link, Content: summary}
			rep := fulltext.Fill(t.Context(), client(), []*feed.Item{&it}, selector, 1)
			if len(rep.Failed) != 1 || rep.Replaced != 0 || it.Content != summary {
				t.Errorf("selector %q, link %s: report = %+v, content = %.60q; want it refused and the summary kept", selector, link, rep, it.Content)
				continue
			}
			err := rep.Failed[0].Err
			if strings.HasPrefix(strings.ToLower(link), "file:") || strings.HasPrefix(link, "http:") {
				if !errors.Is(err, fetch.ErrPrivateNetwork) {
					t.Errorf("link %s: err = %v, want ErrPrivateNetwork", link, err)
				}
			}
			t.Logf("%s: %v", link, err)
		}
	}
	if hits != 0 {
		t.Errorf("the loopback server was reached %d times", hits)
	}
}

// A page is read only when it is an HTML or XHTML document both by its
// Content-Type and by its bytes, and a redirect from a public page to an
// address that is not public is refused like the address itself.
func TestFillReadsOnlyHTMLDocuments(t *testing.T) {
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(secret))
	}))
	defer internal.Close()
	xhtml := `<?xml version="1.0" encoding="utf-8"?>
<!-- generated -->
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body>` + secret[strings.Index(secret, "<div"):]
	serve := func(typ, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if typ != "" {
				w.Header().Set("Content-Type", typ)
			} else {
				w.Header()["Content-Type"] = nil // no sniffing by net/http
			}
			w.Write([]byte(body))
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/page.html", serve("text/html; charset=utf-8", secret))
	mux.Handle("/page.xhtml", serve("application/xhtml+xml", xhtml))
	mux.Handle("/commented.html", serve("text/html", "\uFEFF\n<!-- cached 2024-01-02 -->\n"+secret[len("<!DOCTYPE html>"):]))
	mux.Handle("/passwd", serve("text/html", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"))
	mux.Handle("/plain.txt", serve("text/plain; charset=utf-8", secret))
	mux.Handle("/untyped", serve("", secret))
	mux.Handle("/data.json", serve("text/html", `{"AccessKeyId": "AKIAEXAMPLESECRET", "html": "<p>x</p>"}`))
	mux.Handle("/feed.xml", serve("application/xhtml+xml", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>`))
	mux.Handle("/image.png", serve("text/html", "\x89PNG\r\n\x1a\n<html>"))
	mux.Handle("/notatag.html", serve("text/html", "<notanelement>"+secret))
	mux.HandleFunc("/to-internal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/page.html", http.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	fetch.AllowTestServer(t, srv.Listener.Addr().String())

	cases := []struct {
		path    string
		wantErr error // nil: the article replaces the summary
	}{
		{"/page.html", nil},
		{"/page.xhtml", nil},
		{"/commented.html", nil},
		{"/passwd", fulltext.ErrNotHTML},
		{"/plain.txt", fulltext.ErrNotHTML},
		{"/untyped", fulltext.ErrNotHTML},
		{"/data.json", fulltext.ErrNotHTML},
		{"/feed.xml", fulltext.ErrNotHTML},
		{"/image.png", fulltext.ErrNotHTML},
		{"/notatag.html", fulltext.ErrNotHTML},
		{"/to-internal", fetch.ErrPrivateNetwork},
		{"/to-file", fetch.ErrRedirectScheme},
	}
	for _, c := range cases {
		t.Run(strings.Trim(c.path, "/"), func(t *testing.T) {
			it := feed.Item{Title: "t", Link: srv.URL + c.path, Content: summary}
			rep := fulltext.Fill(t.Context(), client(), []*feed.Item{&it}, "div.article", 1)
			if c.wantErr == nil {
				if rep.Replaced != 1 || !strings.Contains(it.Content, "AKIAEXAMPLESECRET") {
					t.Fatalf("report = %+v, content %.60q: want the page's article", rep, it.Content)
				}
				return
			}
			if len(rep.Failed) != 1 || !errors.Is(rep.Failed[0].Err, c.wantErr) || it.Content != summary {
				t.Fatalf("report = %+v, content %.60q: want the failure %q and the summary kept", rep, it.Content, c.wantErr)
			}
		})
	}
}
