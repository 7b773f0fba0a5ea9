package parse

import (
	"strings"
	"testing"
	"time"
)

// FuzzDateShortcuts holds Date's shortcuts to what they stand for: spaced
// is strings.Join(strings.Fields(s), " "), a layout that ends in a numeric
// zone reads no text that does not end in a digit, and one that starts
// with a name no text that starts with a digit (Date skips them for
// those).
func FuzzDateShortcuts(f *testing.F) {
	for _, s := range []string{
		"Fri, 28 Jan 2022 10:30:43 GMT", "Fri, 28 Jan 2022 18:30:43 +0800", "Fri,  28 Jan 2022 10:30:43  GMT",
		" 2022-01-28T10:30:43Z", "2022-01-28 18:30:43 +08:00 ", "2022年1月28日\u00a018:30:43", "Fri\t28 Jan\n2022",
		"Fri, 28 Jan 2022 18:30:43 +0800 (CST)", "Fri, 28 Jan 2022 18:30:43 +08:0x", "Fri, 28 Jan 2022 18:30:43 +0800\u3000",
		"28 Jan 2022 10:30:43 GMT", "Jan 28, 2022", "January 28, 2022", "Fri Jan 28 10:30:43 2022", "1Fri, 28 Jan 2022 10:30:43 GMT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := spaced(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("spaced(%q) = %q, want %q", s, got, want)
		}
		if s == "" {
			return
		}
		for i, layout := range zoned {
			_, err := time.Parse(layout, s)
			if numericZone[i] && !isDigit(s[len(s)-1]) && err == nil {
				t.Fatalf("layout %q read %q, which does not end in a digit", layout, s)
			}
			if zonedByName[i] && isDigit(s[0]) && err == nil {
				t.Fatalf("layout %q read %q, which starts with a digit", layout, s)
			}
		}
		for i, layout := range zoneless {
			if _, err := time.Parse(layout, s); zonelessByName[i] && isDigit(s[0]) && err == nil {
				t.Fatalf("layout %q read %q, which starts with a digit", layout, s)
			}
		}
	})
}

func TestNumericZone(t *testing.T) {
	n := 0
	for i, layout := range zoned {
		if numericZone[i] {
			n++
			if strings.Contains(layout, "Z07") {
				t.Errorf("%q reads Z as a zone: it must be tried on any text", layout)
			}
		}
	}
	if n == 0 || !numericZone[0] {
		t.Errorf("numericZone marks %d layouts (RFC1123Z: %v)", n, numericZone[0])
	}
	for i, layout := range zoned {
		if zonedByName[i] && strings.HasPrefix(layout, "_2") {
			t.Errorf("%q starts with a day number", layout)
		}
	}
}
