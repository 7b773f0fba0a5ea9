package content

import (
	"bytes"
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

// refWriter is the writer as it was before kept pieces waited and its
// fields were copied per call: each piece written at once, line by line.
type refWriter struct {
	b         []byte
	lineStart int
	blank     bool
}

func (w *refWriter) write(p []byte, pre bool) {
	cr := bytes.IndexByte(p, '\r') >= 0
	for len(p) > 0 {
		var i int
		if cr {
			i = bytes.IndexAny(p, "\n\r")
		} else {
			i = bytes.IndexByte(p, '\n')
		}
		if i < 0 {
			w.partial(p)
			return
		}
		w.partial(p[:i])
		n := 1
		if p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n' {
			n = 2
		}
		if w.blank {
			w.b = w.b[:w.lineStart]
			if pre {
				w.b = append(w.b, "&#10;"...)
				w.blank = false
			}
		} else {
			w.b = append(w.b, p[i:i+n]...)
			w.lineStart = len(w.b)
			w.blank = true
		}
		p = p[i+n:]
	}
}

func (w *refWriter) partial(p []byte) {
	if w.blank {
		for _, c := range p {
			if c != ' ' && c != '\t' {
				w.blank = false
				break
			}
		}
	}
	w.b = append(w.b, p...)
}

// refOps is writeOps on a refWriter.
func refOps(body string, ops []byte) string {
	w := &refWriter{blank: true}
	pos := 0
	for _, op := range ops {
		pre := op&8 != 0
		if op&16 != 0 {
			w.write([]byte([]string{"\n", "\r", " ", "x", "&lt;", "\t\n"}[int(op>>5)%6]), pre)
			continue
		}
		end := min(pos+int(op&7), len(body))
		w.write([]byte(body[pos:end]), pre)
		pos = end
	}
	w.write([]byte(body[pos:]), false)
	return string(w.b)
}

// FuzzWriter holds the writer's waiting pieces to writing each piece as
// it comes, and both to the old writer (refWriter): the same output for
// any pieces, white space and line breaks ("\r" and "\n" in two pieces
// too), pre or not.
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
		if old := refOps(body, ops); got != old {
			t.Fatalf("body %q ops %v:\n got %q\nthe old writer's %q", body, ops, got, old)
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
