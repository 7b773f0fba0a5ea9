package site

import (
	"strconv"
	"strings"
	"testing"
)

// ManifestAsText rewrites a manifest in the text format of earlier
// versions, for tests of the upgrade.
func ManifestAsText(t testing.TB, data []byte) []byte {
	t.Helper()
	m, err := parseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(manifestHead + "\n")
	for _, rel := range sortedKeys(m) {
		b.WriteString(strconv.FormatUint(m[rel], 16) + " " + rel + "\n")
	}
	return []byte(b.String())
}
