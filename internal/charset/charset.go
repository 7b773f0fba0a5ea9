// Package charset turns fetched documents (feeds and web pages) into
// UTF-8. It reads the charset the way browsers and feed readers do, in
// this order:
//
//  1. A byte order mark (UTF-8, UTF-16LE, UTF-16BE, UTF-32LE, UTF-32BE)
//     decides, as it does in browsers and in XML. Without one, an XML
//     document's first "<" in UTF-16 or UTF-32 (00 3C 00 3F, 3C 00 3F 00,
//     00 00 00 3C, 3C 00 00 00: the XML specification's appendix F) does.
//  2. Bytes that are valid UTF-8 and hold non-ASCII text are UTF-8 whatever
//     is declared. A legacy label over UTF-8 bytes is the commonest lie on
//     Chinese sites (templates copied from the GBK era, server defaults),
//     while real GBK, Big5, Shift_JIS or EUC-KR text of more than a few
//     characters is practically never valid UTF-8. miniflux does the same.
//  3. The charset parameter of the HTTP Content-Type, when the bytes decode
//     in it without errors (RFC 7303 and the WHATWG encoding sniffing
//     algorithm put the header before the document's own declaration).
//     One exception: a single-byte Latin header (ISO-8859-1, windows-1252,
//     US-ASCII: the old Apache AddDefaultCharset) loses to a document that
//     declares a multi-byte charset its bytes decode in without errors.
//  4. The document's own declaration: the XML prolog
//     (<?xml ... encoding="gbk"?>) or, for HTML, <meta charset> or
//     <meta http-equiv="Content-Type" content="...; charset=...">, again
//     only when the bytes decode in it without errors.
//  5. Detection among GB18030 (a superset of GBK and GB2312), Big5,
//     Shift_JIS, EUC-KR, EUC-JP and windows-1252; see detect.
//
// A declaration the bytes do not decode in (say a "utf-8" header over GBK
// bytes) is skipped rather than obeyed, so a lying label cannot turn a
// readable document into replacement characters. GBK and GB2312 labels
// decode with GB18030, as the WHATWG Encoding Standard says. UTF-16 labels
// without a byte order mark are ignored (WHATWG treats a <meta> that says
// utf-16 as UTF-8 too).
//
// The output is always valid UTF-8 without a byte order mark, and an XML
// prolog's encoding is rewritten to "utf-8" so that an XML parser does not
// decode the document a second time. Convert is idempotent: its output
// converts to itself.
package charset

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Origin says how the charset of a document was decided.
type Origin string

// The origins of a Decision.
const (
	FromBOM       Origin = "byte order mark"
	FromXMLStart  Origin = "XML's first bytes"
	FromValidUTF8 Origin = "valid UTF-8"
	FromHeader    Origin = "HTTP header"
	FromXML       Origin = "XML declaration"
	FromMeta      Origin = "HTML meta"
	FromDetection Origin = "detected"
)

// Decision is the charset a document was read in and why.
type Decision struct {
	// Charset is the WHATWG name of the encoding: "utf-8", "gbk",
	// "gb18030", "big5", "shift_jis", "euc-kr", "windows-1252", ...
	Charset string
	Origin  Origin
}

// utf8Decision is the decision for bytes that are UTF-8 already.
var utf8Decision = Decision{Charset: "utf-8", Origin: FromValidUTF8}

// UTF8 is a document as ToUTF8 made it: valid UTF-8 without a byte order
// mark, its XML prolog (if any) saying utf-8. Only ToUTF8 makes one, so a
// stage that takes a UTF8 knows the bytes were read in their charset and
// checked once already, and does not check them again; a stage that takes
// []byte cannot know where they came from and converts them.
type UTF8 struct{ b []byte }

// Bytes returns the document. They are shared: do not modify them.
func (u UTF8) Bytes() []byte { return u.b }

// Is reports whether b is the very slice u holds (the same memory and
// length), as when a caller still holds the bytes it had converted.
func (u UTF8) Is(b []byte) bool {
	return len(b) == len(u.b) && (len(b) == 0 || &b[0] == &u.b[0])
}

// Convert returns data as UTF-8: ToUTF8's bytes. contentType is the HTTP
// Content-Type header ("" when there is none, as for local files).
// Invalid sequences become U+FFFD; conversion never fails.
func Convert(data []byte, contentType string) ([]byte, Decision) {
	u, d := ToUTF8(data, contentType)
	return u.b, d
}

// ToUTF8 reads data in its charset (see the package doc) and returns it
// as UTF-8. contentType is the HTTP Content-Type header ("" when there is
// none). Invalid sequences become U+FFFD; conversion never fails.
func ToUTF8(data []byte, contentType string) (UTF8, Decision) {
	out, d := convert(data, contentType)
	if d.Origin != FromValidUTF8 && !valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	// A second mark (some editors add one to a file that has one) would
	// otherwise be text, and a second conversion would strip it.
	for {
		rest, ok := bytes.CutPrefix(out, boms[0].bom)
		if !ok {
			break
		}
		out = rest
	}
	return UTF8{rewriteProlog(out)}, d
}

// Detect returns how Convert would read data, without converting it.
func Detect(data []byte, contentType string) Decision {
	_, d := convert(data, contentType)
	return d
}

var (
	utf16BE = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf32BE = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	utf32LE = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
)

// boms are the byte order marks, UTF-32's before UTF-16's, whose marks
// begin them.
var boms = []struct {
	bom  []byte
	name string
	enc  encoding.Encoding
}{
	{[]byte{0xEF, 0xBB, 0xBF}, "utf-8", nil},
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, "utf-32be", utf32BE},
	{[]byte{0xFF, 0xFE, 0x00, 0x00}, "utf-32le", utf32LE},
	{[]byte{0xFE, 0xFF}, "utf-16be", utf16BE},
	{[]byte{0xFF, 0xFE}, "utf-16le", utf16LE},
}

// xmlStarts are the first bytes of an XML document ("<" and an ASCII
// character) in UTF-16 and UTF-32 without a byte order mark; 0 stands
// for a zero byte, '<' for "<" and 'a' for any other ASCII character but
// zero. ASCII in UTF-16 or UTF-32 is valid UTF-8, zeros and all: these
// are tested before UTF-8.
var xmlStarts = []struct {
	start string
	name  string
	enc   encoding.Encoding
}{
	{"000<", "utf-32be", utf32BE},
	{"<000", "utf-32le", utf32LE},
	{"0<0a", "utf-16be", utf16BE},
	{"<0a0", "utf-16le", utf16LE},
}

// xmlStart returns the wide encoding data starts in, nil when none.
func xmlStart(data []byte) (string, encoding.Encoding) {
	if len(data) < 4 {
		return "", nil
	}
	for _, x := range xmlStarts {
		ok := true
		for i := range 4 {
			c := data[i]
			switch x.start[i] {
			case '0':
				ok = ok && c == 0
			case '<':
				ok = ok && c == '<'
			default:
				ok = ok && c != 0 && c < 0x80
			}
		}
		if ok {
			return x.name, x.enc
		}
	}
	return "", nil
}

func convert(data []byte, contentType string) ([]byte, Decision) {
	for _, b := range boms {
		if rest, ok := bytes.CutPrefix(data, b.bom); ok {
			d := Decision{Charset: b.name, Origin: FromBOM}
			if b.enc == nil {
				return rest, d
			}
			out, _ := decode(b.enc, rest)
			return out, d
		}
	}
	if name, enc := xmlStart(data); enc != nil {
		out, _ := decode(enc, data)
		return out, Decision{Charset: name, Origin: FromXMLStart}
	}
	if valid(data) {
		// Pure ASCII reads the same in every charset we accept, and
		// non-ASCII that is valid UTF-8 is UTF-8 (see the package doc).
		return data, utf8Decision
	}

	header := declared(headerCharset(contentType), FromHeader)
	doc := documentDeclaration(data)
	// A Latin header loses to a multi-byte charset the document declares.
	if header.ok() && isLatin(header.name) && doc.ok() && !isLatin(doc.name) {
		if out, ok := try(doc, data); ok {
			return out, doc.decision()
		}
	}
	for _, d := range []declaration{header, doc} {
		if !d.ok() {
			continue
		}
		if out, ok := try(d, data); ok {
			return out, d.decision()
		}
	}
	name := detect(data)
	out, _ := decode(decoderFor(name), data)
	return out, Decision{Charset: name, Origin: FromDetection}
}

// declaration is a charset label found in the header or the document.
type declaration struct {
	name   string // WHATWG name, "" when absent or unusable
	enc    encoding.Encoding
	origin Origin
}

func (d declaration) ok() bool { return d.enc != nil }

func (d declaration) decision() Decision { return Decision{Charset: d.name, Origin: d.origin} }

// declared looks a label up. Unknown labels, the WHATWG "replacement"
// encoding and UTF-16 without a BOM count as no declaration.
func declared(label string, origin Origin) declaration {
	label = strings.Trim(strings.TrimSpace(label), `"'`)
	if label == "" {
		return declaration{}
	}
	enc, err := htmlindex.Get(label)
	if err != nil || enc == encoding.Replacement {
		return declaration{}
	}
	name, err := htmlindex.Name(enc)
	if err != nil || strings.HasPrefix(name, "utf-16") {
		return declaration{}
	}
	return declaration{name: name, enc: decoderFor(name), origin: origin}
}

// decoderFor returns the encoding that decodes the WHATWG name. GBK (and
// so GB2312) decode with GB18030, which reads GBK's four-byte extension.
func decoderFor(name string) encoding.Encoding {
	switch name {
	case "gbk", "gb18030":
		return simplifiedchinese.GB18030
	case "utf-8":
		return encoding.Nop
	}
	enc, err := htmlindex.Get(name)
	if err != nil {
		return encoding.Nop
	}
	return enc
}

func isLatin(name string) bool {
	return name == "windows-1252" || name == "iso-8859-15" || name == "iso-8859-2"
}

// try decodes data as d declares and says whether the bytes fit it.
func try(d declaration, data []byte) ([]byte, bool) {
	if d.name == "utf-8" {
		bad := invalidUTF8(data)
		return data, plausible(bad, highBytes(data))
	}
	out, bad := decode(d.enc, data)
	return out, plausible(bad, highBytes(data))
}

// plausible allows a broken character or two (a document cut at the size
// cap, a typo in a template) but not a wrong charset, which breaks many.
func plausible(bad, high int) bool {
	return bad <= 1 || bad*100 <= high
}

// decode converts data and counts the invalid sequences, which the
// decoders turn into U+FFFD.
func decode(enc encoding.Encoding, data []byte) ([]byte, int) {
	if enc == encoding.Nop {
		return data, invalidUTF8(data)
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		// The x/text decoders replace rather than fail; be safe anyway.
		return bytes.ToValidUTF8(data, []byte("\uFFFD")), highBytes(data)
	}
	return out, bytes.Count(out, []byte("\uFFFD"))
}

func invalidUTF8(data []byte) int {
	bad := 0
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n == 1 {
			bad++
		}
		data = data[n:]
	}
	return bad
}

func highBytes(data []byte) int {
	n := 0
	for _, c := range data {
		if c >= 0x80 {
			n++
		}
	}
	return n
}

func headerCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// A malformed header may still carry a readable charset.
		if _, rest, ok := strings.Cut(strings.ToLower(contentType), "charset="); ok {
			v, _, _ := strings.Cut(rest, ";")
			return v
		}
		return ""
	}
	return params["charset"]
}

// prologEncoding finds the encoding pseudo-attribute of an XML prolog.
var prologEncoding = regexp.MustCompile(`\bencoding\s*=\s*["']([^"'<>?]*)["']`)

// prolog returns the bounds of the XML declaration at the start of data,
// or ok false when there is none.
func prolog(data []byte) (start, end int, ok bool) {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	if !bytes.HasPrefix(data[i:], []byte("<?xml")) {
		return 0, 0, false
	}
	j := bytes.Index(data[i:min(len(data), i+512)], []byte("?>"))
	if j < 0 {
		return 0, 0, false
	}
	return i, i + j, true
}

// documentDeclaration reads the XML prolog's encoding, else an HTML
// <meta> charset near the start of the document.
func documentDeclaration(data []byte) declaration {
	if start, end, ok := prolog(data); ok {
		if m := prologEncoding.FindSubmatch(data[start:end]); m != nil {
			return declared(string(m[1]), FromXML)
		}
		return declaration{}
	}
	return declared(metaCharset(data), FromMeta)
}

// metaScan bounds the <meta> search. The WHATWG prescan reads 1024 bytes;
// Chinese portals often put scripts and comments first, so read more.
const metaScan = 4096

// metaCharset finds <meta charset=X> or <meta http-equiv="Content-Type"
// content="...; charset=X"> before the body starts. The tokenizer works on
// the raw bytes: every charset we accept keeps ASCII where tags are.
func metaCharset(data []byte) string {
	z := html.NewTokenizer(bytes.NewReader(data[:min(len(data), metaScan)]))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return ""
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			switch string(name) {
			case "body":
				return ""
			case "meta":
			default:
				continue
			}
			var charset, content string
			httpEquiv := false
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch string(k) {
				case "charset":
					charset = string(v)
				case "content":
					content = string(v)
				case "http-equiv":
					httpEquiv = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
				}
			}
			if charset != "" {
				return charset
			}
			if httpEquiv || content != "" {
				if _, rest, ok := strings.Cut(strings.ToLower(content), "charset="); ok {
					v, _, _ := strings.Cut(rest, ";")
					return v
				}
			}
		}
	}
}

// rewriteProlog sets the XML prolog's encoding to utf-8, so that the
// document, now UTF-8, is not decoded again by an XML parser. A prolog
// that says UTF-8 already is left byte for byte.
func rewriteProlog(data []byte) []byte {
	start, end, ok := prolog(data)
	if !ok {
		return data
	}
	loc := prologEncoding.FindSubmatchIndex(data[start:end])
	if loc == nil {
		return data
	}
	vs, ve := start+loc[2], start+loc[3]
	v := string(data[vs:ve])
	if strings.EqualFold(v, "utf-8") || strings.EqualFold(v, "utf8") {
		return data
	}
	out := make([]byte, 0, len(data)+8)
	out = append(out, data[:vs]...)
	out = append(out, "utf-8"...)
	return append(out, data[ve:]...)
}
