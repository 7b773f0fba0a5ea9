package site

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// The build's state files (manifest, items, entries) share one framing:
// a magic line naming the format, a varint-encoded payload, and a CRC-32C
// of everything before it, so that a cut or damaged file is detected and
// the build falls back to reading everything.

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// seal appends the checksum of buf to it.
func seal(buf []byte) []byte {
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, crcTable))
}

// unseal checks data's magic and checksum and returns the payload between
// them; false for a file of another format or a damaged one.
func unseal(data []byte, magic string) ([]byte, bool) {
	if len(data) < len(magic)+4 || !bytes.HasPrefix(data, []byte(magic)) {
		return nil, false
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, false
	}
	return body[len(magic):], true
}

// decoder reads a payload. A read past its end, or a malformed varint,
// sets bad and returns zero values from then on.
type decoder struct {
	p   []byte
	bad bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.p)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) fixed64() uint64 {
	if len(d.p) < 8 {
		d.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint64(d.p)
	d.p = d.p[8:]
	return v
}

// str reads a uvarint length and that many bytes.
func (d *decoder) str() string {
	l := d.uvarint()
	if d.bad || l > uint64(len(d.p)) {
		d.bad = true
		return ""
	}
	s := string(d.p[:l])
	d.p = d.p[l:]
	return s
}

// strIn is str for a payload that text is the same bytes of: the string
// returned is a slice of text, not a copy.
func (d *decoder) strIn(text string) string {
	l := d.uvarint()
	if d.bad || l > uint64(len(d.p)) {
		d.bad = true
		return ""
	}
	off := len(text) - len(d.p)
	d.p = d.p[l:]
	return text[off : off+int(l)]
}

// count reads an element count, which cannot exceed the bytes left.
func (d *decoder) count() uint64 {
	n := d.uvarint()
	if n > uint64(len(d.p)) {
		d.bad = true
		return 0
	}
	return n
}
