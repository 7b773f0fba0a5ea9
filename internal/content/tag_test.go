package content

import (
	"slices"
	"strings"
	"testing"
)

// refAppendTo is appendTo as it was before it wrote the edits in place
// (each edit's text built as a string first): the reference FuzzTagEdits
// holds appendTo to.
func refAppendTo(t *rawTag, dst []byte, dropSelfClosingSlash bool) []byte {
	type edit struct {
		start, end int
		text       string
		seq        int
	}
	var edits []edit
	for _, e := range t.edits {
		edits = append(edits, edit{start: e.start, end: e.end, text: " " + e.name + `="` + escapeAttr(e.val) + `"`, seq: e.seq})
	}
	for i := range t.attrs {
		a := &t.attrs[i]
		switch {
		case a.removed:
			edits = append(edits, edit{start: a.sep, end: a.end, seq: -1})
		case a.replaced:
			edits = append(edits, edit{start: a.nameStart, end: a.end, text: string(t.raw[a.nameStart:a.nameEnd]) + `="` + escapeAttr(a.newVal) + `"`})
		}
	}
	if dropSelfClosingSlash && t.selfClosing {
		tail := string(t.raw[t.insertAt : len(t.raw)-1])
		edits = append(edits, edit{start: t.insertAt, end: len(t.raw) - 1, text: strings.ReplaceAll(tail, "/", ""), seq: 1 << 20})
	}
	slices.SortStableFunc(edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.seq - b.seq
	})
	merged := edits[:0]
	for _, e := range edits {
		if k := len(merged) - 1; k >= 0 && e.seq == -1 && merged[k].seq == -1 && merged[k].end == e.start {
			merged[k].end = e.end
			continue
		}
		merged = append(merged, e)
	}
	closeOpen := false
	if n := len(t.attrs); n > 0 {
		last := t.attrs[n-1]
		closeOpen = last.open && !last.removed && !last.replaced
	}
	out := dst
	pos := 0
	for _, e := range merged {
		if e.start < pos {
			continue
		}
		out = append(out, t.raw[pos:e.start]...)
		if e.seq == -1 {
			if e.end < len(t.raw) {
				if c := t.raw[e.end]; !isSpace(c) && c != '>' && (c != '/' || t.unquotedEndsAt(e.start)) {
					if len(out) > len(dst) && !isSpace(out[len(out)-1]) {
						out = append(out, ' ')
					}
				}
			}
		} else {
			if closeOpen && e.seq > 0 && e.start == t.insertAt {
				out = append(out, `""`...)
				closeOpen = false
			}
			out = append(out, e.text...)
		}
		pos = e.end
	}
	return append(out, t.raw[pos:]...)
}

// FuzzTagEdits holds appendTo to refAppendTo: a start tag (made whole
// with ">"), then edits as ops says: each op byte removes (0), sets (1)
// or keeps an attribute, or adds one (3), with values that need escaping.
func FuzzTagEdits(f *testing.F) {
	f.Add(`<img src="a" onerror=x width=1/>`, []byte{1, 0, 3, 2, 7})
	f.Add(`<a href=x/ b= >`, []byte{4, 1, 3, 3})
	f.Add(`<style//>`, []byte{3})
	f.Add(`<p a="1"b='2'c=3 d>`, []byte{0, 2, 0, 5, 1, 9})
	f.Add(`<img/onerror=x src=y/>`, []byte{0, 13, 2})
	values := []string{"", "x", `a"b`, "a&b", "a\rb", "no-referrer", "https://proxy/?url=http://a/b.jpg"}
	f.Fuzz(func(t *testing.T, tag string, ops []byte) {
		if len(tag) < 2 || tag[0] != '<' || strings.IndexByte(tag[1:], '>') >= 0 {
			return
		}
		tag += ">"
		z := newTokens(tag)
		tt := z.Next()
		if z.z != nil || (tt.String() != "StartTag" && tt.String() != "SelfClosingTag") {
			return // the fast lane's start tags are the cleaner's
		}
		raw := []byte(tag)
		var c rawTag
		for _, drop := range []bool{false, true} {
			tg := scanTagInto(&c, raw, tag, tt.String() == "SelfClosingTag")
			for k, op := range ops {
				v := values[int(op>>3)%len(values)]
				if op&3 == 3 {
					tg.appendAttr([]string{"src", "referrerpolicy", "style"}[k%3], v)
					continue
				}
				if len(tg.attrs) == 0 {
					continue
				}
				a := &tg.attrs[int(op>>2)%len(tg.attrs)]
				switch op & 3 {
				case 0:
					tg.remove(a)
				case 1:
					tg.set(a, v)
				}
			}
			got := string(tg.appendTo([]byte("<p>"), drop))
			want := string(refAppendTo(tg, []byte("<p>"), drop))
			if got != want {
				t.Fatalf("tag %q ops %v drop %v:\n got %q\nwant %q", tag, ops, drop, got, want)
			}
		}
	})
}

// isAnimation is the animations map (which the safety tests read) as a
// switch; lazy's shortcut holds only while every lazy attribute is a
// data-* one.
func TestTagSets(t *testing.T) {
	for name := range knownTags {
		if isAnimation(name) != animations[name] {
			t.Errorf("isAnimation(%q) = %v", name, isAnimation(name))
		}
	}
	for _, n := range append(append([]string(nil), lazySrc...), lazySrcset...) {
		if !strings.HasPrefix(n, "data-") {
			t.Errorf("lazy attribute %q is not a data-* one", n)
		}
	}
}
