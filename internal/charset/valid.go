package charset

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// valid reports whether p is valid UTF-8, as utf8.Valid does, faster on
// the text feedmill reads most: Chinese, whose characters are three-byte
// sequences that utf8.Valid checks one byte at a time through its tables.
// It reads p a 64-bit word at a time: ASCII eight bytes at once, two
// three-byte sequences at once, any other sequence from the word's bits;
// the last seven bytes or fewer go to utf8.Valid. FuzzValid holds it to
// utf8.Valid.
func valid(p []byte) bool {
	const (
		highs = 0x8080808080808080
		// Two three-byte sequences in the low six bytes of a word
		// (bytes in memory order, from the low end): 1110xxxx 10xxxxxx
		// 10xxxxxx, twice.
		twoMask = 0x0000C0C0F0C0C0F0
		twoWant = 0x00008080E08080E0
	)
	p = p[:len(p):len(p)]
	for len(p) >= 8 {
		// Only x is read below, never p's bytes one by one: the compiler
		// keeps the load a single instruction then.
		x := binary.LittleEndian.Uint64(p)
		if h := x & highs; h == 0 {
			p = p[8:]
			// Runs of ASCII (markup, URLs): 32 bytes at a time.
			for len(p) >= 32 && (binary.LittleEndian.Uint64(p)|binary.LittleEndian.Uint64(p[8:])|
				binary.LittleEndian.Uint64(p[16:])|binary.LittleEndian.Uint64(p[24:]))&highs == 0 {
				p = p[32:]
			}
			continue
		} else if ascii := bits.TrailingZeros64(h) / 8; ascii > 0 {
			p = p[ascii:]
			continue
		}
		if x&twoMask == twoWant && anySecond(x) && anySecond(x>>24) {
			p = p[6:]
			// Runs of Chinese: two characters a word, in a loop of
			// their own.
			for len(p) >= 8 {
				x = binary.LittleEndian.Uint64(p)
				if x&twoMask != twoWant || !anySecond(x) || !anySecond(x>>24) {
					break
				}
				p = p[6:]
			}
			continue
		}
		n := sequence(x)
		if n == 0 {
			return false
		}
		p = p[n:]
	}
	return utf8.Valid(p)
}

// anySecond reports whether the lead byte of a three-byte sequence in the
// low byte of x allows any continuation byte (80-BF) after it: E1-EC and
// EE-EF do. E0's must be A0 or more (no overlong forms), ED's 9F or less
// (no surrogates).
func anySecond(x uint64) bool {
	const any = 0xFFFF &^ (1<<0x0 | 1<<0xD) // the low nibbles of E1-EC, EE-EF
	return any>>(x&0xF)&1 != 0
}

// sequence returns the length of the valid UTF-8 sequence at the low
// byte of x, a non-ASCII byte followed by the next seven of the text
// (bytes in memory order, from the low end); 0 when it is not one. The
// ranges are the Unicode Standard's table 3-7, as utf8.Valid checks them.
func sequence(x uint64) int {
	lead, second := x&0xFF, x>>8&0xFF
	switch {
	case x&0xC0E0 == 0x80C0: // 110xxxxx 10xxxxxx
		if lead >= 0xC2 {
			return 2
		}
	case x&0xC0C0F0 == 0x8080E0: // 1110xxxx 10xxxxxx 10xxxxxx
		switch {
		case lead == 0xE0 && second < 0xA0, lead == 0xED && second > 0x9F:
		default:
			return 3
		}
	case x&0xC0C0C0F8 == 0x808080F0: // 11110xxx 10xxxxxx x2
		switch {
		case lead > 0xF4, lead == 0xF0 && second < 0x90, lead == 0xF4 && second > 0x8F:
		default:
			return 4
		}
	}
	return 0
}
