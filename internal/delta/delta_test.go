package delta_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/content"
	"github.com/feedmill/feedmill/internal/delta"
)

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("<p>Some text of the article, long enough to be worth a script.</p>\n", 20)
	tests := []struct {
		name       string
		base, text string
		script     bool // a script, not nil, is expected
	}{
		{"same", long, long, true},
		{"attribute added", `<p><img src="a.jpg"></p>` + long, `<p><img src="a.jpg" referrerpolicy="no-referrer"></p>` + long, true},
		{"attributes on every image", strings.Repeat(`<img src="a.jpg"><p>text between the images, a sentence or two.</p>`, 30),
			strings.Repeat(`<img src="a.jpg" loading="lazy" referrerpolicy="no-referrer"><p>text between the images, a sentence or two.</p>`, 30), true},
		{"URL made absolute", long + `<img src="../i/a.jpg">` + long, long + `<img src="https://example.com/i/a.jpg">` + long, true},
		{"element dropped", long + `<script>` + strings.Repeat("alert(1);", 100) + `</script>` + long, long + long, true},
		{"attribute dropped", long + `<a href="x" onclick="steal()">x</a>` + long, long + `<a href="x">x</a>` + long, true},
		{"edit at the start", "<div>" + long, long, true},
		{"edit at the end", long + "</div>", long, true},
		{"added at the end", long, long + "<p>more</p>", true},
		{"added at the start", long, "<p>more</p>" + long, true},
		{"multibyte text", strings.Repeat("“中文”，文字。", 100), strings.Repeat("“中文”，文字。<br>", 100), false},
		{"empty base", "", long, false},
		{"empty text", long, "", false},
		{"both empty", "", "", false},
		{"unrelated", long, strings.Repeat("Quite another text, with nothing in common at all. ", 25), false},
		{"short", "<p>a</p>", "<p>b</p>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := delta.Encode(tt.base, tt.text)
			if tt.script && s == nil {
				t.Fatalf("Encode gave no script for a %d-byte text", len(tt.text))
			}
			if s == nil {
				return
			}
			if len(s) > len(tt.text)/2 {
				t.Errorf("script of %d bytes for a %d-byte text", len(s), len(tt.text))
			}
			got, err := delta.Apply(tt.base, s)
			if err != nil || got != tt.text {
				t.Errorf("Apply: %q, %v; want %q", got, err, tt.text)
			}
		})
	}
}

// TestContentEdits: bodies as the content stage prepares them come back
// exactly, and their scripts are small (the edits are a few attributes).
func TestContentEdits(t *testing.T) {
	files, err := filepath.Glob("../content/testdata/*/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bodies: %v", err)
	}
	var texts, scripts int
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.html") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := string(raw)
		text := content.Process(base, "https://example.com/news/1.html", content.Options{}).HTML
		s := delta.Encode(base, text)
		if s == nil {
			t.Logf("%s: no script (%d -> %d bytes)", f, len(base), len(text))
			continue
		}
		if got, err := delta.Apply(base, s); err != nil || got != text {
			t.Errorf("%s: Apply gave %d bytes, %v; want the %d-byte body", f, len(got), err, len(text))
		}
		if strings.Contains(f, "/bench/") {
			texts += len(text)
			scripts += len(s)
		}
	}
	t.Logf("bench bodies: %d bytes, scripts %d bytes", texts, scripts)
	// The news bodies change by an attribute or two an image: their
	// scripts are a small part of them.
	if texts == 0 || scripts*10 > texts {
		t.Errorf("the bench bodies' scripts are %d bytes for %d bytes of bodies", scripts, texts)
	}
}

func TestApplyRefuses(t *testing.T) {
	base := strings.Repeat(`<p><img src="a.jpg"> and some text that goes on for a while.</p>`, 10)
	text := strings.ReplaceAll(base, `">`, `" loading="lazy">`)
	s := delta.Encode(base, text)
	if s == nil {
		t.Fatal("no script")
	}
	other := strings.Replace(base, "some", "more", 1) // the same length
	damaged := append([]byte(nil), s...)
	damaged[len(damaged)-1] ^= 1
	tests := []struct {
		name   string
		base   string
		script []byte
	}{
		{"another base", other, s},
		{"a shorter base", base[1:], s},
		{"damaged", base, damaged},
		{"truncated", base, s[:len(s)-3]},
		{"header only", base, s[:3]},
		{"unknown version", base, append([]byte{9}, s[1:]...)},
		{"empty", base, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := delta.Apply(tt.base, tt.script); !errors.Is(err, delta.ErrCorrupt) {
				t.Errorf("Apply: %d bytes, %v; want ErrCorrupt", len(got), err)
			}
		})
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(`<p><img src="a.jpg"></p>`, `<p><img src="a.jpg" loading="lazy"></p>`)
	f.Add(strings.Repeat("abcdefgh", 40), strings.Repeat("abcdXefgh", 40))
	f.Add(strings.Repeat("<p>x</p>", 50)+"<script>1</script>", strings.Repeat("<p>x</p>", 50))
	f.Add("", "")
	f.Fuzz(func(t *testing.T, base, text string) {
		s := delta.Encode(base, text)
		if s == nil {
			return
		}
		if len(s) > len(text)/2 {
			t.Fatalf("script of %d bytes for a %d-byte text", len(s), len(text))
		}
		got, err := delta.Apply(base, s)
		if err != nil || got != text {
			t.Fatalf("Apply(%q, Encode(%q)) = %q, %v", base, text, got, err)
		}
	})
}

// FuzzEditsRoundTrip: a text made of its base by local edits, as the
// content stage makes a body, comes back exactly. Each 3 bytes of ops
// insert, delete or replace some bytes at some place.
func FuzzEditsRoundTrip(f *testing.F) {
	body := strings.Repeat(`<p><img src="a.jpg"> and some text that goes on.</p>`, 20)
	f.Add(body, []byte{10, 0, 5, 200, 1, 30, 90, 2, 9})
	f.Add(strings.Repeat("ab", 300), []byte{1, 0, 1, 7, 1, 1, 50, 2, 64})
	f.Fuzz(func(t *testing.T, base string, ops []byte) {
		text := base
		for k := 0; k+2 < len(ops); k += 3 {
			at := int(ops[k]) * len(text) / 256
			n := int(ops[k+2])
			switch ops[k+1] % 3 {
			case 0:
				text = text[:at] + strings.Repeat(string(rune('A'+n%26)), n%40+1) + text[at:]
			case 1:
				text = text[:at] + text[min(len(text), at+n):]
			default:
				text = text[:at] + ` referrerpolicy="no-referrer"`[:n%29+1] + text[min(len(text), at+n%7):]
			}
		}
		s := delta.Encode(base, text)
		if s == nil {
			return
		}
		if got, err := delta.Apply(base, s); err != nil || got != text {
			t.Fatalf("Apply(%q, Encode(%q)) = %q, %v", base, text, got, err)
		}
	})
}

// FuzzApply: any script, on any base, makes a text or ErrCorrupt; never
// a panic.
func FuzzApply(f *testing.F) {
	base := strings.Repeat(`<p><img src="a.jpg"> text</p>`, 20)
	f.Add(base, delta.Encode(base, strings.ReplaceAll(base, `">`, `" loading="lazy">`)))
	f.Add("", []byte{1, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, base string, script []byte) {
		if _, err := delta.Apply(base, script); err != nil && !errors.Is(err, delta.ErrCorrupt) {
			t.Fatalf("Apply: %v", err)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	base, text := benchBody(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		delta.Encode(base, text)
	}
}

func BenchmarkApply(b *testing.B) {
	base, text := benchBody(b)
	s := delta.Encode(base, text)
	b.SetBytes(int64(len(text)))
	b.ReportMetric(float64(len(s)), "script-bytes")
	for b.Loop() {
		if _, err := delta.Apply(base, s); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBody is a news body of the benchmarks and the body the content
// stage makes of it.
func benchBody(b *testing.B) (base, text string) {
	raw, err := os.ReadFile("../content/testdata/bench/news-01.html")
	if err != nil {
		b.Fatal(err)
	}
	base = string(raw)
	return base, content.Process(base, "https://example.com/news/1.html", content.Options{}).HTML
}
