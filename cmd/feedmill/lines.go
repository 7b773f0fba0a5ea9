package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/mattn/go-isatty"
)

// lines prints the per-source lines of a run in the configuration's
// order whatever order the sources finish in: a line waits only for the
// lines before it, so that two runs print alike and a glance finds a
// source where the configuration has it. On a terminal a counter of the
// sources done stays on the last line, rewritten in place, so that a
// long run shows it is moving; piped output gets the lines alone.
type lines struct {
	mu       sync.Mutex
	w        io.Writer
	pending  []*string // by configuration index; nil: not done yet
	next     int       // the first index not printed
	done     int
	progress bool // draw the counter
	shown    bool // the counter is on screen
	quiet    bool // print only the lines kept with keepQuiet
	keep     []bool
}

func newLines(w io.Writer, n int, quiet bool) *lines {
	return &lines{w: w, pending: make([]*string, n), keep: make([]bool, n), quiet: quiet, progress: !quiet && isTerminal(w)}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// set records the line of the i-th configured source ("" prints none),
// and prints every line now ready. keepQuiet keeps the line under
// --quiet (a failure).
func (l *lines) set(i int, line string, keepQuiet bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending[i] != nil {
		return
	}
	l.pending[i] = &line
	l.keep[i] = keepQuiet
	l.done++
	l.clear()
	for l.next < len(l.pending) && l.pending[l.next] != nil {
		if s := *l.pending[l.next]; s != "" && (!l.quiet || l.keep[l.next]) {
			fmt.Fprintln(l.w, s)
		}
		l.pending[l.next] = &empty // printed: drop the text
		l.next++
	}
	if l.progress && l.done < len(l.pending) {
		fmt.Fprintf(l.w, "%d/%d sources done…", l.done, len(l.pending))
		l.shown = true
	}
}

var empty string

// clear takes the counter off the screen.
func (l *lines) clear() {
	if l.shown {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.shown = false
	}
}

// finish prints what is left (the lines after a source that never
// finished, when the run stopped) and takes the counter away.
func (l *lines) finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	for ; l.next < len(l.pending); l.next++ {
		if p := l.pending[l.next]; p != nil && *p != "" && (!l.quiet || l.keep[l.next]) {
			fmt.Fprintln(l.w, *p)
		}
	}
}
