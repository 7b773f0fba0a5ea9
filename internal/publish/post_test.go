package publish

import (
	"strings"
	"testing"
)

func TestTitle(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"replaced characters", `a:b/c\d?e*f“g”h<i>j|k[l]m`, "a_b_c_d_e_f_g_h_i_j_k_l_m"},
		{"kept punctuation", `他说："好" 'x' ！？，。`, `他说："好" 'x' ！？，。`},
		{"line breaks become spaces", "one\ntwo\r\nthree\tfour", "one two  three four"},
		{"unicode line separator", "a\u2028b\u0085c", "a b c"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Title(tt.in); got != tt.want {
				t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	long := strings.Repeat("长", 200) // 600 bytes
	tests := []struct {
		name  string
		title string
		n     int
		want  string
	}{
		{"plain", "美方书面拒绝“不东扩红线”，德法俄乌巴黎会谈8小时", 1, "美方书面拒绝_不东扩红线_，德法俄乌巴黎会谈8小时.md"},
		{"hash and dot removed", "C# 1.0 发布.", 1, "C 10 发布.md"},
		{"parent dirs", "../../x", 1, "＿_x.md"},
		{"leading quote would hide it from Hexo", "“元宇宙”概念股持续活跃", 1, "＿元宇宙_概念股持续活跃.md"},
		{"leading bracket", "[视频]今日要闻", 1, "＿视频_今日要闻.md"},
		{"leading colon after dots", ".:x", 1, "＿x.md"},
		{"leading underscore", "_x_", 1, "＿x_.md"},
		{"underscore inside kept", "a_b", 1, "a_b.md"},
		{"dot dot", "..", 1, "untitled.md"},
		{"empty", "", 1, "untitled.md"},
		{"percent made full-width for Hexo", "GDP增长5%，好于预期", 1, "GDP增长5％，好于预期.md"},
		{"percent escape not kept", "100%E4", 1, "100％E4.md"},
		{"template braces kept", "{{ x }} 与 {% raw %}", 1, "{{ x }} 与 {％ raw ％}.md"},
		{"suffix", "a", 2, "a-2.md"},
		{"too long", long, 1, strings.Repeat("长", 84) + ".md"},
		{"too long with suffix", long, 12, strings.Repeat("长", 83) + "-12.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FileName(FileStem(tt.title), tt.n, ".md")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(got) > MaxNameBytes {
				t.Errorf("%d bytes", len(got))
			}
		})
	}
}

// oldTitle and oldOneLine are Title and OneLine as they were written
// first (strings.ToValidUTF8, strings.Map, a strings.Replacer): the
// one-pass versions must give the same bytes for every string.
var oldTitleReplacer = strings.NewReplacer(
	":", "_", "/", "_", "\\", "_", "?", "_", "*", "_", "“", "_", "”", "_",
	"<", "_", ">", "_", "|", "_", "[", "_", "]", "_",
)

func oldOneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func oldTitle(s string) string { return oldTitleReplacer.Replace(oldOneLine(s)) }

var titleSeeds = []string{
	"", "plain", `a:b/c\d?e*f“g”h<i>j|k[l]m`, "美方书面拒绝：“不会”[快讯]", "one\ntwo\r\nthree\tfour",
	"a\u2028b\u0085c", "a\xffb", "a\xff\xfe\xfdb", "\xe2\x80", "\xe2\x80\x9c", "\xe2\x80\x9d\xe2\x80\x9c“", "\xe2\x80\x9e",
	"x\xe2", "\ufeff\ufffe\uffff\ufffd", "\x7f\x80\x9f\xc2\x80\xc2\x9f", "[[::]]", "“\xe2\x80“", "\xed\xa0\x80",
}

func TestTitleMatchesReplacer(t *testing.T) {
	for _, s := range titleSeeds {
		if got, want := Title(s), oldTitle(s); got != want {
			t.Errorf("Title(%q) = %q, want %q", s, got, want)
		}
		if got, want := OneLine(s), oldOneLine(s); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzTitle(f *testing.F) {
	for _, s := range titleSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Title(s), oldTitle(s); got != want {
			t.Errorf("Title(%q) = %q, want %q", s, got, want)
		}
		if got, want := OneLine(s), oldOneLine(s); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkTitle makes the title of a post of bench/pipeline's shape.
func BenchmarkTitle(b *testing.B) {
	for b.Loop() {
		_ = Title("美方书面拒绝：“不会”第12013号[快讯] 观察者网最新消息")
	}
}
