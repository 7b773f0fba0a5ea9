package charset

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// validCases are the edges of UTF-8 at each place of a word: every
// three-byte lead, the narrower second bytes of E0 and ED, overlong forms,
// surrogates, sequences cut at the end, stray continuation bytes, and the
// two- and four-byte sequences.
var validCases = []string{
	"", "a", "abcdefgh", "abcdefghi",
	"中", "中文", "中文中文中文", "据新华社报道，国务院总理在北京人民大会堂主持召开会议。",
	"“引号”", "é", "ÿ", "Привет, мир", "𠮷", "😀😀", "a😀b中c",
	"\xe0\xa0\x80", "\xe0\x9f\xbf", "\xe0\x80\x80", "\xed\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
	"\xe1\x80", "\xe1", "\xe1\x80\x80\xe1\x80", "中\xe4\xb8", "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8", "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4",
	"\x80", "\xbf", "中\x80文", "\xc0\x80", "\xc1\xbf", "\xc2\x80", "\xdf\xbf", "\xf0\x8f\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
	"\xe4\xb8\x2d\xe4\xb8\xad\xe4\xb8\xad", "\xe4\xb8\xad\xe4\xc8\xad\xe4\xb8\xad", "\xe4\xb8\xad\xf4\xb8\xad\xe4\xb8\xad",
	"\xe4\xb8\xad\xe0\x80\xad\xe4\xb8\xad", "\xe4\xb8\xad\xed\xa0\x80\xe4\xb8\xad", "\xe0\x80\x80\xe4\xb8\xad\xe4\xb8\xad",
}

func TestValid(t *testing.T) {
	for _, c := range validCases {
		// At every offset in a word, and between ASCII and Chinese.
		for _, pad := range []string{"", "x", "xy", "xyz", "abcd", "abcde", "abcdef", "abcdefg", "中", "中x", "中文"} {
			for _, s := range []string{pad + c, c + pad, pad + c + pad, strings.Repeat(pad+c, 5)} {
				if got, want := valid([]byte(s)), utf8.ValidString(s); got != want {
					t.Errorf("valid(%q) = %v, utf8.Valid says %v", s, got, want)
				}
			}
		}
	}
}

// TestValidEveryLead tries every lead byte with every second byte and the
// third and fourth bytes that matter, at every place in a word, alone and
// after or before a Chinese character (valid's two-at-once path).
func TestValidEveryLead(t *testing.T) {
	buf := make([]byte, 0, 32)
	for lead := 0x80; lead <= 0xFF; lead++ {
		thirds, fourths := []byte{0x41, 0x80}, []byte{0x80}
		if lead >= 0xE0 {
			thirds = []byte{0x41, 0x80, 0xBF, 0xC0}
		}
		if lead >= 0xF0 {
			fourths = []byte{0x41, 0x80}
		}
		for second := range 256 {
			for _, third := range thirds {
				for _, fourth := range fourths {
					seq := []byte{byte(lead), byte(second), third, fourth}
					for pad := range 8 {
						for _, around := range [][2]string{{"", ""}, {"中", ""}, {"", "中文"}, {"中", "中"}} {
							buf = append(buf[:0], "abcdefgh"[:pad]...)
							buf = append(buf, around[0]...)
							buf = append(buf, seq...)
							buf = append(buf, around[1]...)
							buf = append(buf, "12345678"[:8-pad]...)
							if got, want := valid(buf), utf8.Valid(buf); got != want {
								t.Fatalf("valid(%q) = %v, utf8.Valid says %v", buf, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := valid(p), utf8.Valid(p); got != want {
			t.Fatalf("valid(%q) = %v, utf8.Valid says %v", p, got, want)
		}
	})
}

// BenchmarkValid compares valid with utf8.Valid on Chinese text, a feed
// of bench/pipeline's shape when one is given (FEEDMILL_BENCH_FEED),
// Latin text with accents, and ASCII.
func BenchmarkValid(b *testing.B) {
	zh := strings.Repeat("<p>据新华社报道，“国务院总理”在北京人民大会堂主持召开会议，研究部署进一步推动经济高质量发展的政策措施。<a href=\"https://news.example.com/1.shtml\">报道</a></p>\n", 512)
	docs := []struct{ name, text string }{
		{"zh", zh},
		{"fr", strings.Repeat("Le gouvernement a présenté aujourd’hui les grandes lignes du plan économique – « déjà » prévu.\n", 512)},
		{"ascii", strings.Repeat("<p>The quick brown fox jumps over the lazy dog; <a href=\"https://x.example/\">link</a>.</p>\n", 512)},
	}
	if path := os.Getenv("FEEDMILL_BENCH_FEED"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, struct{ name, text string }{"feed", string(data)})
	}
	for _, d := range docs {
		p := []byte(d.text)
		for _, way := range []struct {
			name  string
			valid func([]byte) bool
		}{{"utf8.Valid", utf8.Valid}, {"valid", valid}} {
			b.Run(d.name+"/"+way.name, func(b *testing.B) {
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					if !way.valid(p) {
						b.Fatal("invalid")
					}
				}
			})
		}
	}
}
