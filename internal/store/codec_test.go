package store

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/feedmill/feedmill/internal/feed"
)

// The lists read back are what json.Unmarshal makes of them, the empty
// list (which skips it) included.
func TestListsRoundTrip(t *testing.T) {
	lists := [][]string{nil, {}, {"要闻"}, {"a", "b,c", `"quoted"`}}
	for _, l := range lists {
		s := EncodeList(l)
		var want []string
		_ = json.Unmarshal([]byte(s), &want)
		if got := DecodeList(s); !reflect.DeepEqual(got, want) || got == nil {
			t.Errorf("DecodeList(%q) = %#v, want %#v", s, got, want)
		}
	}
	encs := [][]feed.Enclosure{nil, {}, {{URL: "https://a.example/x.mp3", Type: "audio/mpeg", Length: "12"}}}
	for _, e := range encs {
		s := EncodeEnclosures(e)
		var want []feed.Enclosure
		_ = json.Unmarshal([]byte(s), &want)
		if got := DecodeEnclosures(s); !reflect.DeepEqual(got, want) || got == nil {
			t.Errorf("DecodeEnclosures(%q) = %#v, want %#v", s, got, want)
		}
	}
	if got := DecodeList("not json"); len(got) != 0 {
		t.Errorf("a damaged list reads as %#v", got)
	}
}
