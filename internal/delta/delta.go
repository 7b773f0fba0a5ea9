// Package delta writes a text as edits to another it was made from, and
// makes it again from them: the store keeps an item's prepared body as the
// content stage's edits to its raw content (a few attributes on each
// image) instead of a second copy of the whole body.
//
// A script is a header, then (keep, delete, insert) steps that walk the
// base from its start: copy keep bytes of it, skip delete bytes, add the
// insert bytes given. What is left of the base after the last step is
// copied. The header holds both lengths and a CRC-32 of the text, so that
// Apply fails on a base or a script that is not the one Encode saw
// instead of returning a wrong text.
package delta

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"unsafe"
)

// version is a script's first byte; another format would take another.
const version = 1

// ErrCorrupt is returned by Apply for a script that does not make a text
// from the base it was given: made from another base, damaged, or of an
// unknown version.
var ErrCorrupt = errors.New("delta: the script does not apply to this base")

// After a difference, the texts are taken to be in step again where the
// next bytes of one are found a little further in the other. A short
// window finds the end of a small edit (an attribute added, a URL made
// absolute); a longer one, searched as far as the texts go, finds the end
// of a large one (an element dropped) without matching some markup that
// merely repeats.
const (
	nearWindow = 8
	nearSearch = 256 // how far a near window is looked for
	nearProbes = 64  // how far into the new text a replacement may reach
	farWindow  = 32
	// A window of the base anchorWindow, 2 anchorWindow, ... up to
	// anchorReach bytes on is looked for in twice that much of the text.
	anchorWindow = 16
	anchorReach  = 1024
)

// Encode returns a script that Apply turns, with base, into text; or nil
// when the script would not be clearly smaller than text (at most half
// its length), so that text is better kept as it is. Its work is linear:
// a text that shares little with its base stops it early.
func Encode(base, text string) []byte {
	e := encoder{limit: len(text) / 2, work: 64*len(text) + 4096}
	e.script = make([]byte, 0, 64)
	e.script = append(e.script, version)
	e.script = binary.AppendUvarint(e.script, uint64(len(base)))
	e.script = binary.AppendUvarint(e.script, uint64(len(text)))
	e.script = binary.LittleEndian.AppendUint32(e.script, crc32.ChecksumIEEE(bytesOf(text)))
	i, j := 0, 0
	for {
		keep := commonPrefix(base[i:], text[j:])
		i, j = i+keep, j+keep
		if i == len(base) && j == len(text) {
			break // the base's rest is copied: no step needed
		}
		del, ins := e.resync(base[i:], text[j:])
		e.script = binary.AppendUvarint(e.script, uint64(keep))
		e.script = binary.AppendUvarint(e.script, uint64(del))
		e.script = binary.AppendUvarint(e.script, uint64(ins))
		e.script = append(e.script, text[j:j+ins]...)
		i, j = i+del, j+ins
		if len(e.script) > e.limit || e.work < 0 {
			return nil
		}
	}
	if len(e.script) > e.limit {
		return nil
	}
	return e.script
}

type encoder struct {
	script []byte
	limit  int // the longest script worth keeping
	work   int // bytes the searches may still scan
}

// commonPrefix is the length of the prefix a and b share.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	k := 0
	// Whole chunks first: comparing strings is the runtime's vectorised
	// memequal, far faster than a loop over a 5 kB body's bytes.
	const chunk = 32
	for k+chunk <= n && a[k:k+chunk] == b[k:k+chunk] {
		k += chunk
	}
	for k < n && a[k] == b[k] {
		k++
	}
	return k
}

// resync finds where a and b, which differ at their first byte, are in
// step again: del bytes of a are replaced by the first ins bytes of b. It
// takes the smallest edit among those it tries; when it finds none, the
// rest of b replaces the rest of a.
func (e *encoder) resync(a, b string) (del, ins int) {
	if len(a) == 0 || len(b) == 0 {
		return len(a), len(b)
	}
	// An insertion: a's next bytes come a little further in b; a
	// deletion: b's next bytes come a little further in a.
	ins = e.indexNear(b, a[:min(nearWindow, len(a))])
	del = e.indexNear(a, b[:min(nearWindow, len(b))])
	switch {
	case ins > 0 && (del <= 0 || ins <= del):
		return 0, ins
	case del > 0:
		return del, 0
	}
	// A replacement: bytes of b past the change come a little further in a.
	for k := 1; k <= nearProbes && k < len(b) && e.work >= 0; k++ {
		if d := e.indexNear(a, b[k:min(k+nearWindow, len(b))]); d >= 0 {
			return d, k
		}
	}
	// A longer replacement (a lazy image's placeholder, a data: URI, made
	// its real URL): bytes of a some way on are found in b, and the
	// texts agree back from there up to where the replacement ends.
	for d := anchorWindow; d+anchorWindow <= len(a) && d <= anchorReach && e.work >= 0; d *= 2 {
		s := b[:min(len(b), 2*anchorReach)]
		e.work -= len(s)
		if k := strings.Index(s, a[d:d+anchorWindow]); k >= 0 {
			x := 0
			for x < d && x < k && a[d-x-1] == b[k-x-1] {
				x++
			}
			return d - x, k - x
		}
	}
	// A large edit.
	ins = e.indexFar(b, a)
	del = e.indexFar(a, b)
	switch {
	case ins > 0 && (del <= 0 || ins <= del):
		return 0, ins
	case del > 0:
		return del, 0
	}
	return len(a), len(b)
}

// indexNear is the index of w in s's first nearSearch bytes, or -1. A
// window shorter than nearWindow is the end of its text, and matches
// only as the end of s.
func (e *encoder) indexNear(s, w string) int {
	if len(w) < nearWindow {
		if len(w) < len(s) && len(s)-len(w) <= nearSearch && strings.HasSuffix(s, w) {
			return len(s) - len(w)
		}
		return -1
	}
	s = s[:min(len(s), nearSearch+len(w))]
	e.work -= len(s)
	return strings.Index(s, w)
}

// indexFar is the index in s of t's first farWindow bytes, or -1; a t
// shorter than that matches only as the end of s.
func (e *encoder) indexFar(s, t string) int {
	if len(t) < farWindow {
		if len(t) < len(s) && strings.HasSuffix(s, t) {
			return len(s) - len(t)
		}
		return -1
	}
	e.work -= len(s)
	return strings.Index(s, t[:farWindow])
}

// Apply returns the text that script makes of base (see Encode). It
// returns ErrCorrupt when the script was not made from this base, or is
// damaged.
func Apply(base string, script []byte) (string, error) {
	if len(script) == 0 || script[0] != version {
		return "", ErrCorrupt
	}
	p := script[1:]
	baseLen, ok := uvarint(&p)
	if !ok || baseLen != uint64(len(base)) {
		return "", ErrCorrupt
	}
	textLen, ok := uvarint(&p)
	// The text is at most the base and every byte the script inserts.
	if !ok || len(p) < 4 || textLen > uint64(len(base))+uint64(len(p)) {
		return "", ErrCorrupt
	}
	sum := binary.LittleEndian.Uint32(p)
	p = p[4:]
	out := make([]byte, 0, textLen)
	rest := uint64(len(base)) // of the base, after i
	i := 0
	for len(p) > 0 {
		keep, ok1 := uvarint(&p)
		del, ok2 := uvarint(&p)
		ins, ok3 := uvarint(&p)
		if !ok1 || !ok2 || !ok3 || keep > rest || del > rest-keep || ins > uint64(len(p)) ||
			uint64(len(out))+keep+ins > textLen {
			return "", ErrCorrupt
		}
		out = append(out, base[i:i+int(keep)]...)
		out = append(out, p[:ins]...)
		i += int(keep + del)
		rest -= keep + del
		p = p[ins:]
	}
	if uint64(len(out))+rest != textLen {
		return "", ErrCorrupt
	}
	out = append(out, base[i:]...)
	if crc32.ChecksumIEEE(out) != sum {
		return "", ErrCorrupt
	}
	// out is not written again: the string may share its bytes.
	return unsafe.String(unsafe.SliceData(out), len(out)), nil
}

// uvarint reads a varint off the front of *p.
func uvarint(p *[]byte) (uint64, bool) {
	v, n := binary.Uvarint(*p)
	if n <= 0 {
		return 0, false
	}
	*p = (*p)[n:]
	return v, true
}

// bytesOf is s's bytes, shared, for reading only (a checksum).
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
