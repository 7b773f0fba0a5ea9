package content

import (
	"bytes"
	"sync"
	unsafeconv "unsafe" // the package's tests have a func unsafe
)

// writer collects the output and keeps it free of blank lines.
//
// A post's body sits inside "<div>" in a Markdown file. In Markdown
// (CommonMark, and marked, Hexo's renderer) an HTML block ends at the first
// blank line, a line of nothing but spaces and tabs; the rest of the body
// is then read as Markdown: indented lines become code blocks, "#" lines
// headings, "*" emphasis. In HTML a blank line is only white space. So
// blank lines are dropped, which HTML renders the same, except where white
// space shows: inside <pre>, <listing> and <textarea> a blank line's line
// break is written as "&#10;", the same character as a reference.
type writer struct {
	b []byte
	// lineStart is where the current line starts in b; blank reports
	// that it holds only spaces and tabs so far. The body starts a line:
	// the post puts it after "<div>   \n".
	lineStart int
	blank     bool
}

func newWriter(size int) *writer {
	need := size + size/16 + 64
	// A spare far larger than need is left to the collector: a changed
	// body keeps its writer's buffer (see text), and the refresh holds
	// the bodies until they are stored, counting them by their length.
	if w, ok := spare.Get().(*writer); ok && cap(w.b) >= need && cap(w.b) <= 2*need {
		*w = writer{b: w.b[:0], blank: true}
		return w
	}
	return &writer{b: make([]byte, 0, need), blank: true}
}

// spare holds the writers whose output was their input: most bodies of
// RSSHub's feeds need no change (RSSHub gives images their referrerpolicy
// itself), and their writer's buffer is then free for the next body
// instead of garbage. Buffers over maxSpare are not kept.
var spare sync.Pool // *writer

const maxSpare = 256 << 10

// write appends p; pre says p is text whose white space shows.
func (w *writer) write(p []byte, pre bool) {
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

// text is the output, for a body cleaned from in. It is in itself when
// nothing changed (most bodies, which then are not held twice; the
// writer's buffer goes to spare), else the writer's bytes as a string
// without a copy: a writer is written once, by one run, and dropped after
// text.
func (w *writer) text(in string) string {
	if string(w.b) == in {
		if cap(w.b) <= maxSpare {
			spare.Put(w) // its run is over: nothing writes to it again
		}
		return in
	}
	return unsafeconv.String(unsafeconv.SliceData(w.b), len(w.b))
}

func (w *writer) writeString(s string, pre bool) {
	w.write([]byte(s), pre)
}

func (w *writer) partial(p []byte) {
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
