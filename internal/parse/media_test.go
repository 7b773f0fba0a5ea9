package parse

import (
	"reflect"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
)

func TestMediaEnclosures(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>t</title><link>https://a.example/</link>
<item><title>有音频和图片</title><link>https://a.example/1</link>
<enclosure url="https://a.example/1.mp3" type="audio/mpeg" length="123"/>
<media:content url="https://a.example/1.mp3" type="audio/mpeg"/>
<media:content url="/img/1.jpg" medium="image"/>
<media:thumbnail url="https://a.example/thumb.jpg"/>
</item>
<item><title>分组视频</title><link>https://a.example/2</link>
<media:group><media:content url="https://a.example/2.mp4" type="video/mp4" fileSize="99"/></media:group>
</item>
<item><title>只有缩略图</title><link>https://a.example/3</link>
<media:thumbnail url="https://a.example/3.jpg"/>
</item>
</channel></rss>`
	f, err := Parse([]byte(doc), "https://a.example/feed", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]feed.Enclosure{
		{{URL: "https://a.example/1.mp3", Type: "audio/mpeg", Length: "123"}, {URL: "https://a.example/img/1.jpg", Type: "image"}},
		{{URL: "https://a.example/2.mp4", Type: "video/mp4", Length: "99"}},
		{{URL: "https://a.example/3.jpg", Type: "image"}},
	}
	for i, it := range f.Items {
		if !reflect.DeepEqual(it.Enclosures, want[i]) {
			t.Errorf("item %d: enclosures %+v, want %+v", i, it.Enclosures, want[i])
		}
	}
}

// TestItemImageIsOutsideTheBody checks that an item's Image is only one
// the feed names beside the body: the body's own first image is the
// content stage's to find, after cleaning.
func TestItemImageIsOutsideTheBody(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>t</title><link>https://a.example/</link>
<item><title>正文有图</title><link>https://a.example/1</link>
<description><![CDATA[<p><img src="https://a.example/body.jpg"></p>]]></description>
</item>
<item><title>附件是图</title><link>https://a.example/2</link>
<description><![CDATA[<p><img src="https://a.example/body2.jpg"></p>]]></description>
<enclosure url="https://a.example/cover.jpg" type="image/jpeg" length="1"/>
</item>
</channel></rss>`
	f, err := Parse([]byte(doc), "https://a.example/feed", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 2 || f.Items[0].Image != "" || f.Items[1].Image != "https://a.example/cover.jpg" {
		t.Errorf("images: %q, want \"\" and the enclosure", []string{f.Items[0].Image, f.Items[1].Image})
	}
}
