package parse

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The billion laughs: ten levels of entities each ten times the one
// below, 3·10⁹ bytes if expanded in full. Expansion stops at its limits:
// the title is cut, memory stays small, and the feed is read.
func TestParseBillionLaughsIsHarmless(t *testing.T) {
	var dtd strings.Builder
	dtd.WriteString(`<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&dtd, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	// Also the quadratic blow-up: one large entity referenced many times.
	fmt.Fprintf(&dtd, `<!ENTITY big "%s">`, strings.Repeat("x", 50000))
	doc := `<?xml version="1.0"?><!DOCTYPE rss [` + dtd.String() + `]><rss version="2.0"><channel><title>T</title>` +
		`<item><title>&lol9;</title><guid>1</guid></item>` +
		`<item><title>` + strings.Repeat("&big;", 10000) + `</title><guid>2</guid></item>` +
		`<item><title>after</title><guid>3</guid></item></channel></rss>`

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := Parse([]byte(doc), "https://x.example/", time.UTC)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 3 || f.Items[2].Title != "after" {
		t.Fatalf("items: %d", len(f.Items))
	}
	if n := len(f.Items[0].Title) + len(f.Items[1].Title); n > maxExpansion {
		t.Errorf("expanded to %d bytes, more than the %d allowed", n, maxExpansion)
	}
	if !strings.HasPrefix(f.Items[0].Title, "lollollol") {
		t.Errorf("title %.40q: expansion should start", f.Items[0].Title)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("parsing allocated %d MiB", alloc>>20)
	}
}

func TestExpandEntitiesOnlyInTheProlog(t *testing.T) {
	for _, doc := range []string{
		`<rss version="2.0"><channel><title>&a;</title></channel></rss>`,
		`<rss version="2.0"><channel><title>x</title><!DOCTYPE x [<!ENTITY a "A">]></channel></rss>`,
	} {
		if out, ok := expandEntities([]byte(doc)); ok || string(out) != doc {
			t.Errorf("%s: expanded to %s", doc, out)
		}
	}
}
