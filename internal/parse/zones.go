package parse

import (
	"bytes"
	"time"
)

// utcOffsets rewrites the zone of RSS <pubDate> values written as "GMT"
// or "UTC" — the RFC 1123 dates RSSHub and most publishers emit, such
// as "Fri, 28 Jan 2022 10:30:43 GMT" — as "+0000", the same instant.
//
// It is a shortcut through gofeed, not a change of meaning: gofeed's RSS
// parser parses every pubDate with a guesser that tries about a hundred
// layouts with numeric zones, each failure allocating an error, before it
// reaches RFC 1123 with a zone name; with "+0000" the fourth layout
// matches. That guessing was a tenth of the CPU of a refresh and a fifth
// of the bytes it allocated, for a date feedmill then parses again itself
// (Date). Only the text of whole <pubDate> elements that read exactly as
// RFC 1123 with one of those names is touched; CDATA sections and
// comments are skipped, so no item's content changes. data is returned
// as it is when there is nothing to rewrite.
func utcOffsets(data []byte) []byte {
	var out []byte
	last := 0 // data[:last] is in out
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, cdataOpen):
			i = skipPast(data, i+len(cdataOpen), cdataClose)
		case bytes.HasPrefix(rest, commentOpen):
			i = skipPast(data, i+len(commentOpen), commentClose)
		case bytes.HasPrefix(rest, pubDateOpen):
			start := i + len(pubDateOpen)
			end := bytes.Index(data[start:], pubDateClose)
			if end < 0 {
				return finish(out, data, last)
			}
			end += start
			if at, ok := utcZone(data[start:end]); ok {
				if out == nil {
					// One copy, of the document's size and the 2
					// bytes each rewrite adds (a rewritten element
					// is more than 32 bytes long): growing by
					// doubling made three.
					out = make([]byte, 0, len(data)+len(data)/16+16)
				}
				out = append(out, data[last:start+at]...)
				out = append(out, "+0000"...)
				last = end
			}
			i = end + len(pubDateClose)
		default:
			i++
		}
	}
	return finish(out, data, last)
}

var (
	cdataOpen    = []byte("<![CDATA[")
	cdataClose   = []byte("]]>")
	commentOpen  = []byte("<!--")
	commentClose = []byte("-->")
	pubDateOpen  = []byte("<pubDate>")
	pubDateClose = []byte("</pubDate>")
)

// skipPast returns the index after the first close at or after i, or
// len(data) when there is none.
func skipPast(data []byte, i int, close []byte) int {
	if k := bytes.Index(data[i:], close); k >= 0 {
		return i + k + len(close)
	}
	return len(data)
}

func finish(out, data []byte, last int) []byte {
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// utcZone reports whether v (a pubDate's text) is an RFC 1123 date whose
// zone is GMT or UTC, and where in v that zone starts.
func utcZone(v []byte) (int, bool) {
	for _, name := range []string{" GMT", " UTC"} {
		if !bytes.HasSuffix(v, []byte(name)) {
			continue
		}
		if _, err := time.Parse(time.RFC1123, string(v)); err != nil {
			return 0, false
		}
		return len(v) - len(name) + 1, true
	}
	return 0, false
}
