package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/feedmill/feedmill/internal/feed"
)

// EncodeList encodes a string list for a text column; backends share it
// so that both store lists the same way.
func EncodeList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// DecodeList reverses EncodeList; a damaged value reads as empty.
func DecodeList(s string) []string {
	if s == "[]" {
		return []string{} // what json.Unmarshal makes of it, for the common case
	}
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// EncodeEnclosures encodes enclosures for a text column.
func EncodeEnclosures(v []feed.Enclosure) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // plain strings always marshal
	return string(b)
}

// DecodeEnclosures reverses EncodeEnclosures; a damaged value reads as empty.
func DecodeEnclosures(s string) []feed.Enclosure {
	if s == "[]" {
		return []feed.Enclosure{} // as DecodeList
	}
	var v []feed.Enclosure
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// ItemSlug returns an item's slug: a short hash of its source key and
// identity, so that the same item gets the same name even in a store
// rebuilt from scratch. n > 0 gives a longer form for collisions.
func ItemSlug(sourceKey, identity string, n int) string {
	h := sha256.Sum256([]byte(sourceKey + "\x00" + identity))
	s := hex.EncodeToString(h[:])
	return s[:min(len(s), 12+4*n)]
}
