package charset_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedmill/feedmill/internal/charset"
	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/parse"
)

// TestConvertedOnce follows a GBK document with no declaration (so that
// only the bytes tell its charset) from fetch to parse: fetch reads it in
// its charset once, and the stages that take what fetch made
// (parse.ParseUTF8, parse.ParsePageUTF8) do not check or convert it
// again, while those that take bytes from elsewhere (parse.Parse,
// parse.ParsePage, a Response whose Body was replaced) still read them in
// their charset.
func TestConvertedOnce(t *testing.T) {
	const title = "国务院常务会议"
	gbk := encode(t, simplifiedchinese.GBK, rss("", title, zhHans))
	if utf8.Valid(gbk) {
		t.Fatal("the GBK document is valid UTF-8: it proves nothing")
	}
	firstTitle := func(t *testing.T, f *parse.Feed, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Items) != 1 {
			t.Fatalf("%d items, want 1", len(f.Items))
		}
		return f.Items[0].Title
	}

	t.Run("bytes from elsewhere are converted", func(t *testing.T) {
		f, err := parse.Parse(gbk, "https://news.example/feed", time.UTC)
		if got := firstTitle(t, f, err); got != title {
			t.Errorf("Parse: title %q, want %q", got, title)
		}
	})

	// A UTF8 that ToUTF8 never made holds the GBK bytes as they are: had
	// ParseUTF8 checked or converted them, the title would be Chinese (or
	// U+FFFD), not the raw bytes.
	t.Run("a UTF8 is not converted again", func(t *testing.T) {
		f, err := parse.ParseUTF8(charset.Unchecked(gbk), "https://news.example/feed", time.UTC)
		if got, raw := firstTitle(t, f, err), string(encode(t, simplifiedchinese.GBK, title)); got != raw {
			t.Errorf("ParseUTF8: title %q, want the unconverted bytes %q", got, raw)
		}
	})

	t.Run("pages", func(t *testing.T) {
		html := encode(t, simplifiedchinese.GBK, `<html><head><title>x</title></head><body><ul><li><a href="/1">`+title+`</a></li></ul><p>`+zhHans+`</p></body></html>`)
		sel := feed.Selectors{Item: "li", Title: "a"}
		f, err := parse.ParsePage(html, "https://news.example/", sel, time.UTC)
		if got := firstTitle(t, f, err); got != title {
			t.Errorf("ParsePage: title %q, want %q", got, title)
		}
		f, err = parse.ParsePageUTF8(charset.Unchecked(html), "https://news.example/", sel, time.UTC)
		if got := firstTitle(t, f, err); got == title || utf8.ValidString(got) {
			t.Errorf("ParsePageUTF8: title %q, want the unconverted bytes", got)
		}
	})

	// What fetch made goes to ParseUTF8 as it is.
	check := func(t *testing.T, resp *fetch.Response) {
		t.Helper()
		want, _ := charset.Convert(gbk, "")
		if string(resp.Body) != string(want) || !resp.Doc().Is(resp.Body) {
			t.Fatalf("Body %q (Doc is Body: %v), want %q", resp.Body, resp.Doc().Is(resp.Body), want)
		}
		f, err := parse.ParseUTF8(resp.Doc(), resp.URL, time.UTC)
		if got := firstTitle(t, f, err); got != title {
			t.Errorf("ParseUTF8(Doc): title %q, want %q", got, title)
		}
		// Doc hands over what fetch read without reading it again: a
		// byte spoilt in place (which no caller should do) stays.
		resp.Body[len(resp.Body)-1] = 0xFF
		if doc := resp.Doc().Bytes(); doc[len(doc)-1] != 0xFF {
			t.Errorf("Doc read the fetched Body again")
		}
		// A Body replaced after the fetch is not what fetch read: Doc
		// reads it in its charset.
		resp.Body = gbk
		if doc := resp.Doc(); doc.Is(resp.Body) || string(doc.Bytes()) != string(want) {
			t.Errorf("Doc of a replaced Body = %q, want %q", doc.Bytes(), want)
		}
		resp.DropBody()
		if resp.Body != nil || len(resp.Doc().Bytes()) != 0 {
			t.Errorf("after DropBody: Body %q, Doc %q", resp.Body, resp.Doc().Bytes())
		}
	}
	client := fetch.New(fetch.Options{Timeout: 5 * time.Second})
	t.Run("fetched from a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "feed.xml")
		if err := os.WriteFile(path, gbk, 0o644); err != nil {
			t.Fatal(err)
		}
		resp, err := client.Fetch(t.Context(), "file://"+path, fetch.Validators{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp)
	})
	t.Run("fetched over HTTP", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(gbk)
		}))
		defer srv.Close()
		resp, err := client.Fetch(t.Context(), srv.URL, fetch.Validators{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp)
	})
}
