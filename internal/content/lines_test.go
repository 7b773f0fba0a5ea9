package content

import (
	"strings"
	"testing"
)

// writeOps has w write body in pieces as ops say: each op byte keeps the
// next 0-7 bytes of body (bit 3: as pre) or, with bit 4, writes one of a
// few strings that are not the body's (bit 3: as pre).
func writeOps(w *writer, body string, ops []byte) string {
	pos := 0
	for _, op := range ops {
		pre := op&8 != 0
		if op&16 != 0 {
			w.writeString([]string{"\n", "\r", " ", "x", "&lt;", "\t\n"}[int(op>>5)%6], pre)
			continue
		}
		end := min(pos+int(op&7), len(body))
		w.keep(pos, end, pre)
		pos = end
	}
	w.keep(pos, len(body), false)
	return w.text(body)
}

// FuzzWriter holds the writer's waiting pieces to writing each piece as
// it comes: the same output for any pieces, white space and line breaks
// ("\r" and "\n" in two pieces too), pre or not.
func FuzzWriter(f *testing.F) {
	f.Add("a\r\nb", []byte{2, 2})
	f.Add("a\n\n \r\n\tb\r\r\nc", []byte{1, 9, 1, 16, 3, 48, 2, 11})
	f.Add("<p>x</p>\n\n<pre>\n\n</pre>", []byte{3, 1, 4, 1, 15, 2, 2})
	f.Add("", []byte{})
	f.Add(" \n", []byte{0, 1, 80, 1})
	f.Fuzz(func(t *testing.T, body string, ops []byte) {
		got := writeOps(newWriter(body), body, ops)
		ref := newWriter(body)
		ref.eager = true
		want := writeOps(ref, body, ops)
		if got != want {
			t.Fatalf("body %q ops %v:\n got %q\nwant %q", body, ops, got, want)
		}
		if strings.Contains(got, "\n\n") {
			t.Fatalf("body %q ops %v: blank line in %q", body, ops, got)
		}
	})
}

// A body kept whole and free of blank lines is its own output, without a
// buffer.
func TestWriterKeepsWholeBody(t *testing.T) {
	body := "<p>a</p>\n<p>b</p>\r\n<img src=x>"
	w := newWriter(body)
	w.keep(0, 8, false)
	w.keep(8, 9, false)
	w.keep(9, len(body), false)
	if got := w.text(body); got != body || w.b != nil {
		t.Errorf("got %q, buffer %v", got, w.b != nil)
	}
	for _, blank := range []string{"\n\n", "\r\n \r\n", "\r\r", "\n \t\n", "\n"} {
		body := "<p>a</p>" + blank + "<p>b</p>"
		if blank == "\n" {
			body = blank + body // the first line is blank
		}
		w := newWriter(body)
		w.keep(0, len(body), false)
		if got := w.text(body); got == body {
			t.Errorf("%q kept its blank line", body)
		}
	}
}
