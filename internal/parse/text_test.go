package parse

import (
	"testing"
	"time"
)

func TestPlainTextBodies(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"json content_text", `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"t","content_text":"a <b>not bold</b> & 1 < 2\n\nnext"}]}`,
			"a &lt;b&gt;not bold&lt;/b&gt; &amp; 1 &lt; 2<br>\n<br>\nnext"},
		{"json summary only", `{"version":"https://jsonfeed.org/version/1","title":"J","items":[{"id":"1","title":"t","summary":"x <i>y</i>"}]}`,
			"x &lt;i&gt;y&lt;/i&gt;"},
		{"json content_html kept", `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"t","content_html":"<p>a</p>","content_text":"a"}]}`,
			"<p>a</p>"},
		{"atom type text", `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>1</id><title>t</title><content type="text">1 &lt; 2 &amp; &lt;b&gt;</content></entry></feed>`,
			"1 &lt; 2 &amp; &lt;b&gt;"},
		{"atom type html kept", `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>1</id><title>t</title><content type="html">&lt;p&gt;x&lt;/p&gt;</content></entry></feed>`,
			"<p>x</p>"},
		{"atom no type kept", `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>1</id><title>t</title><content>&lt;p&gt;x&lt;/p&gt;</content></entry></feed>`,
			"<p>x</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.doc), "https://x.example.com/", time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 1 || f.Items[0].Content != tt.want {
				t.Errorf("items %+v, want content %q", f.Items, tt.want)
			}
		})
	}
}

func TestJSONFeedImage(t *testing.T) {
	f, err := Parse([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"t","content_html":"<p>x</p>","image":"img/a.jpg"}]}`), "https://j.example.com/feed.json", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Items[0].Enclosures; len(e) != 1 || e[0].URL != "https://j.example.com/img/a.jpg" || e[0].Type != "image" {
		t.Errorf("enclosures %+v", e)
	}
}

func TestRelativeLinkWithoutFeedLink(t *testing.T) {
	f, err := Parse([]byte(`<rss version="2.0"><channel><title>T</title><item><title>a</title><link>/a/1</link></item></channel></rss>`), "https://r.example.com/feeds/x.xml", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Items[0].Link; got != "https://r.example.com/a/1" {
		t.Errorf("link %q", got)
	}
}

// visibleText reads titles as the HTML tokenizer (Text) does.
func TestVisibleTextAgreesWithText(t *testing.T) {
	for _, s := range []string{
		"Don&#8217;t panic: Q&amp;A with <em>Ford</em>",
		"1 < 2 and <b>bold</b>", "a <3 b", "x <a href='>'>y</a> z", "<br/>A&nbsp;B", "cut <b",
		"<img src=x>", "A &amp B", "<p>a</p>\n<p>b</p>", "&lt;b&gt;", "a<-b", "<?php x ?>y", "</>z",
	} {
		if got, want := visibleText(s), Text(s); got != want {
			t.Errorf("visibleText(%q) = %q, Text gives %q", s, got, want)
		}
	}
}

func FuzzVisibleText(f *testing.F) {
	f.Add("Don&#8217;t <em>x</em>")
	f.Add("a <b c='>'>d")
	f.Add("000000000000000</")
	f.Add("a\r\nb\x00")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := visibleText(s), Text(s); got != want {
			t.Errorf("visibleText(%q) = %q, Text gives %q", s, got, want)
		}
	})
}
