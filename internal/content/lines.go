package content

import (
	"bytes"
	"strings"
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
//
// Most of the output is pieces of the body kept as they are (keep), one
// after the other. Those wait as one piece of the body (in[from:to]) and
// go through the line rules together, when something else is written or
// at the end; a body kept whole and free of blank lines is its own output,
// never copied. Writing the pieces as they come (eager, for tests) gives
// the same bytes: the line rules read a piece byte by byte, but for a
// "\r\n", which two pieces never split here.
type writer struct {
	in string // the body
	b  []byte // nil until something is written to it (buffer)
	// in[from:to] is kept and not yet in b; pre says its white space
	// shows.
	from, to int
	pre      bool
	// lineStart is where the current line starts in b; blank reports
	// that it holds only spaces and tabs so far. The body starts a line:
	// the post puts it after "<div>   \n".
	lineStart int
	blank     bool
	// eager writes every kept piece at once, as before pieces waited:
	// the reference the tests hold the waiting to.
	eager bool
}

func newWriter(in string) *writer {
	return &writer{in: in, blank: true}
}

// buffer gives w a buffer for its output, once.
func (w *writer) buffer() {
	if w.b != nil {
		return
	}
	size := len(w.in)
	need := size + size/16 + 64
	// A spare far larger than need is left to the collector: a changed
	// body keeps its writer's buffer (see text), and the refresh holds
	// the bodies until they are stored, counting them by their length.
	if b, ok := spare.Get().(*[]byte); ok && cap(*b) >= need && cap(*b) <= 2*need {
		w.b = (*b)[:0]
		return
	}
	w.b = make([]byte, 0, need)
}

// spare holds the buffers of writers whose output was their input, for
// the next body instead of garbage. Buffers over maxSpare are not kept.
var spare sync.Pool // *[]byte

const maxSpare = 256 << 10

// keep writes in[from:to], a piece of the body kept as it is; pre says its
// white space shows.
func (w *writer) keep(from, to int, pre bool) {
	if from == to {
		return
	}
	if w.to > w.from && w.to == from && w.pre == pre && !w.eager &&
		!(w.in[from-1] == '\r' && w.in[from] == '\n') {
		w.to = to
		return
	}
	w.flush()
	w.from, w.to, w.pre = from, to, pre
	if w.eager {
		w.flush()
	}
}

// flush puts the waiting piece of the body into b.
func (w *writer) flush() {
	if w.to > w.from {
		from, to := w.from, w.to
		w.from, w.to = 0, 0
		w.buffer()
		w.lines(unsafeconv.Slice(unsafeconv.StringData(w.in[from:to]), to-from), w.pre)
	}
}

// write appends p; pre says p is text whose white space shows.
func (w *writer) write(p []byte, pre bool) {
	w.flush()
	w.buffer()
	w.lines(p, pre)
}

// lines appends p under the line rules. It works on copies of the
// writer's fields and stores them once: a store of w.b for each line cost
// a write barrier each while the collector ran.
func (w *writer) lines(p []byte, pre bool) {
	b, lineStart, blank := w.b, w.lineStart, w.blank
	cr := bytes.IndexByte(p, '\r') >= 0
	for len(p) > 0 {
		var i int
		if cr {
			i = bytes.IndexAny(p, "\n\r")
		} else {
			i = bytes.IndexByte(p, '\n')
		}
		if i < 0 {
			blank = stillBlank(blank, p)
			b = append(b, p...)
			break
		}
		blank = stillBlank(blank, p[:i])
		b = append(b, p[:i]...)
		n := 1
		if p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n' {
			n = 2
		}
		if blank {
			b = b[:lineStart]
			if pre {
				b = append(b, "&#10;"...)
				blank = false
			}
		} else {
			b = append(b, p[i:i+n]...)
			lineStart = len(b)
			blank = true
		}
		p = p[i+n:]
	}
	w.b, w.lineStart, w.blank = b, lineStart, blank
}

// stillBlank reports whether a line that was blank is so after p.
func stillBlank(blank bool, p []byte) bool {
	if blank {
		for _, c := range p {
			if c != ' ' && c != '\t' {
				return false
			}
		}
	}
	return blank
}

// text is the output, for a body cleaned from in. It is in itself when
// nothing changed (most bodies, which then are not held twice), else the
// writer's bytes as a string without a copy: a writer is written once, by
// one run, and dropped after text.
func (w *writer) text(in string) string {
	if w.b == nil && w.from == 0 && w.to == len(in) && !hasBlankLine(in) {
		return in // kept whole: the line rules would change nothing
	}
	w.flush()
	if string(w.b) == in {
		if cap(w.b) <= maxSpare {
			b := w.b
			spare.Put(&b) // its run is over: nothing writes to it again
		}
		return in
	}
	return unsafeconv.String(unsafeconv.SliceData(w.b), len(w.b))
}

// hasBlankLine reports whether s, written alone, has a line the line
// rules change: one of nothing but spaces and tabs, ended by "\n", "\r"
// or "\r\n".
func hasBlankLine(s string) bool {
	cr := strings.IndexByte(s, '\r') >= 0
	start := 0
	for {
		var i int
		if cr {
			i = strings.IndexAny(s[start:], "\n\r")
		} else {
			i = strings.IndexByte(s[start:], '\n')
		}
		if i < 0 {
			return false
		}
		i += start
		blank := true
		for _, c := range []byte(s[start:i]) {
			if c != ' ' && c != '\t' {
				blank = false
				break
			}
		}
		if blank {
			return true
		}
		start = i + 1
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			start++
		}
	}
}

func (w *writer) writeString(s string, pre bool) {
	w.write([]byte(s), pre)
}
