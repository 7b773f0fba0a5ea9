package parse

import (
	"strings"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/json"
)

// gofeed hands on plain-text bodies (JSON Feed's content_text and summary,
// Atom's type="text" content) as they are, and everything downstream reads
// a body as HTML: "1 < 2 <b>" would open a tag, and line breaks would
// vanish. These translators turn such text into the HTML that shows it.

type jsonTextTranslator struct{ gofeed.DefaultJSONTranslator }

func (t *jsonTextTranslator) Translate(v any) (*gofeed.Feed, error) {
	f, err := t.DefaultJSONTranslator.Translate(v)
	jf, ok := v.(*json.Feed)
	if err != nil || !ok || f == nil || len(f.Items) != len(jf.Items) {
		return f, err
	}
	for i, ji := range jf.Items {
		if f.Items[i] == nil || ji == nil {
			continue
		}
		if ji.ContentHTML == "" && ji.ContentText != "" {
			f.Items[i].Content = textHTML(ji.ContentText)
		}
		if ji.Summary != "" {
			f.Items[i].Description = textHTML(ji.Summary)
		}
		// An item's "image" is its main image; as an image enclosure
		// it becomes the headimg of a body that shows none.
		if img := strings.TrimSpace(ji.Image); img != "" {
			f.Items[i].Enclosures = append(f.Items[i].Enclosures, &gofeed.Enclosure{URL: img, Type: "image"})
		}
	}
	return f, nil
}

type atomTextTranslator struct{ gofeed.DefaultAtomTranslator }

func (t *atomTextTranslator) Translate(v any) (*gofeed.Feed, error) {
	f, err := t.DefaultAtomTranslator.Translate(v)
	af, ok := v.(*atom.Feed)
	if err != nil || !ok || f == nil || len(f.Items) != len(af.Entries) {
		return f, err
	}
	for i, e := range af.Entries {
		if f.Items[i] == nil || e == nil || e.Content == nil || e.Content.Src != "" {
			continue
		}
		// Only an explicit type="text": many feeds put escaped HTML in a
		// <content> without a type, whose default would be text.
		if typ := strings.ToLower(strings.TrimSpace(e.Content.Type)); typ == "text" || typ == "text/plain" {
			f.Items[i].Content = textHTML(e.Content.Value)
		}
	}
	return f, nil
}

// textHTML is the HTML that displays plain text s: markup characters
// escaped, line breaks kept.
func textHTML(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString("<br>\n")
		}
		b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(line))
	}
	return b.String()
}
