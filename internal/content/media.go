package content

import (
	"html"
	"net/url"
	"path"
	"strings"

	"github.com/feedmill/feedmill/internal/feed"
)

// mediaKind sorts an enclosure into "image", "audio", "video" or "" from
// its type, or its file extension when the type says nothing.
func mediaKind(typ, u string) string {
	t := strings.ToLower(strings.TrimSpace(typ))
	for _, k := range []string{"image", "audio", "video"} {
		if strings.HasPrefix(t, k) {
			return k
		}
	}
	p := strings.ToLower(u)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	switch path.Ext(p) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".svg":
		return "image"
	case ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac":
		return "audio"
	case ".mp4", ".m4v", ".webm", ".mov", ".ogv", ".m3u8":
		return "video"
	}
	return ""
}

// enclosureHTML returns markup for the enclosures that body does not
// show, one line each, or "". Audio and video are added when their URL is
// not in the body. Image enclosures often repeat a body image in another
// size, so they are added only to a body without images. Other files get
// a link.
func enclosureHTML(body string, hasImage bool, base *url.URL, encs []feed.Enclosure) string {
	if len(encs) == 0 {
		return ""
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, e := range encs {
		u, _ := absolute(strings.TrimSpace(e.URL), base, false)
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue // only web URLs; the cleaner would drop the rest again
		}
		esc := escapeAttr(u)
		if seen[u] || strings.Contains(body, u) || strings.Contains(body, esc) {
			continue
		}
		seen[u] = true
		switch mediaKind(e.Type, u) {
		case "audio":
			b.WriteString(`<p><audio controls preload="none" src="` + esc + `"></audio></p>` + "\n")
		case "video":
			b.WriteString(`<p><video controls preload="none" src="` + esc + `"></video></p>` + "\n")
		case "image":
			if !hasImage {
				b.WriteString(`<p><img src="` + esc + `"></p>` + "\n")
			}
		default:
			name := path.Base(strings.SplitN(strings.SplitN(u, "?", 2)[0], "#", 2)[0])
			if uu, err := url.PathUnescape(name); err == nil {
				name = uu
			}
			b.WriteString(`<p><a href="` + esc + `">` + html.EscapeString(name) + `</a></p>` + "\n")
		}
	}
	return b.String()
}
