package charset_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/feedmill/feedmill/internal/charset"
)

// Texts shaped like what the feeds carry, in each language.
const (
	zhHans = "据新华社报道，国务院总理在北京人民大会堂主持召开会议，研究部署进一步推动经济高质量发展的政策措施。会议指出，今年以来我国经济运行总体平稳。"
	zhHant = "據中央社報導，行政院長今日在立法院答詢時表示，政府將持續推動經濟發展與社會福利政策，並加強區域合作。"
	ja     = "政府は本日、経済対策の概要を発表した。物価高に対応するため、電気料金やガス料金の負担軽減策を継続する方針だ。"
	ko     = "정부는 오늘 경제 대책의 개요를 발표했다. 물가 상승에 대응하기 위해 전기 요금과 가스 요금의 부담 경감책을 계속할 방침이다."
	fr     = "Le gouvernement a présenté aujourd’hui les grandes lignes du plan économique – « déjà » prévu, a-t-il précisé."
	// zhExt has characters outside GBK that only GB18030's four-byte
	// sequences carry.
	zhExt = "龘䶮𠮷：国家标准GB18030收录的扩展汉字。"
)

// encode turns UTF-8 text into real bytes of enc.
func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	if enc == nil {
		return []byte(s)
	}
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func rss(encodingAttr, title, desc string) string {
	prolog := `<?xml version="1.0"?>`
	if encodingAttr != "" {
		prolog = `<?xml version="1.0" encoding="` + encodingAttr + `"?>`
	}
	return prolog + "\n<rss version=\"2.0\"><channel><title>" + title + "</title><item><title>" + title +
		"</title><description><![CDATA[<p>" + desc + "</p>]]></description></item></channel></rss>\n"
}

func page(head, title, body string) string {
	return "<!DOCTYPE html>\n<html><head>" + head + "<title>" + title + "</title></head><body><div class=\"article\"><p>" + body + "</p></div></body></html>\n"
}

func TestConvert(t *testing.T) {
	gbk := simplifiedchinese.GBK
	cases := []struct {
		name        string
		enc         encoding.Encoding // how the document's bytes are written
		doc         string            // the document as UTF-8 text
		contentType string
		want        charset.Decision
		// wantDoc is the converted document; "" means doc with its
		// prolog encoding rewritten to utf-8.
		wantDoc string
	}{
		// Declared in the HTTP header.
		{"header gbk", gbk, rss("", "新闻联播", zhHans), "application/rss+xml; charset=GBK", charset.Decision{Charset: "gbk", Origin: charset.FromHeader}, ""},
		{"header gb2312 is read as gbk", gbk, page("", "要闻", zhHans), "text/html; charset=gb2312", charset.Decision{Charset: "gbk", Origin: charset.FromHeader}, ""},
		{"header gb18030 four-byte characters", simplifiedchinese.GB18030, rss("", "扩展", zhExt), "text/xml; charset=gb18030", charset.Decision{Charset: "gb18030", Origin: charset.FromHeader}, ""},
		{"header gbk label over gb18030 bytes", simplifiedchinese.GB18030, rss("", "扩展", zhExt), "text/xml; charset=gbk", charset.Decision{Charset: "gbk", Origin: charset.FromHeader}, ""},
		{"header big5", traditionalchinese.Big5, rss("", "要聞", zhHant), "text/xml; charset=big5", charset.Decision{Charset: "big5", Origin: charset.FromHeader}, ""},
		{"header shift_jis", japanese.ShiftJIS, page("", "ニュース", ja), "text/html; charset=Shift_JIS", charset.Decision{Charset: "shift_jis", Origin: charset.FromHeader}, ""},
		{"header euc-kr", korean.EUCKR, page("", "뉴스", ko), "text/html; charset=EUC-KR", charset.Decision{Charset: "euc-kr", Origin: charset.FromHeader}, ""},
		{"header iso-8859-1 is windows-1252", charmap.Windows1252, rss("", "Actualités", fr), "text/xml; charset=ISO-8859-1", charset.Decision{Charset: "windows-1252", Origin: charset.FromHeader}, ""},
		{"header quoted charset", gbk, rss("", "新闻", zhHans), `text/xml; charset="gbk"`, charset.Decision{Charset: "gbk", Origin: charset.FromHeader}, ""},

		// Declared in the XML prolog.
		{"prolog gbk", gbk, rss("GBK", "新闻联播", zhHans), "application/rss+xml", charset.Decision{Charset: "gbk", Origin: charset.FromXML}, ""},
		{"prolog gb2312 single quotes", gbk, strings.Replace(rss("x", "新闻", zhHans), `encoding="x"`, `encoding='gb2312'`, 1), "", charset.Decision{Charset: "gbk", Origin: charset.FromXML}, ""},
		{"prolog big5", traditionalchinese.Big5, rss("big5", "要聞", zhHant), "text/xml", charset.Decision{Charset: "big5", Origin: charset.FromXML}, ""},
		{"prolog shift_jis", japanese.ShiftJIS, rss("Shift_JIS", "ニュース", ja), "", charset.Decision{Charset: "shift_jis", Origin: charset.FromXML}, ""},
		{"prolog euc-kr", korean.EUCKR, rss("euc-kr", "뉴스", ko), "", charset.Decision{Charset: "euc-kr", Origin: charset.FromXML}, ""},
		{"prolog windows-1252", charmap.Windows1252, rss("windows-1252", "Actualités", fr), "", charset.Decision{Charset: "windows-1252", Origin: charset.FromXML}, ""},

		// Declared in an HTML <meta>.
		{"meta charset gbk", gbk, page(`<meta charset="gbk">`, "要闻", zhHans), "text/html", charset.Decision{Charset: "gbk", Origin: charset.FromMeta}, ""},
		{"meta http-equiv gb2312", gbk, page(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />`, "要闻", zhHans), "", charset.Decision{Charset: "gbk", Origin: charset.FromMeta}, ""},
		{"meta http-equiv upper case", traditionalchinese.Big5, page(`<META HTTP-EQUIV="content-type" CONTENT="text/html; charset=BIG5">`, "要聞", zhHant), "", charset.Decision{Charset: "big5", Origin: charset.FromMeta}, ""},
		{"meta after a long script", gbk, page("<script>var x = '"+strings.Repeat("a", 2500)+"';</script><meta charset=gbk>", "要闻", zhHans), "", charset.Decision{Charset: "gbk", Origin: charset.FromMeta}, ""},
		{"meta in the body is not a declaration", gbk, "<html><head><title>x</title></head><body><meta charset=big5><p>" + zhHans + "</p></body></html>", "", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},
		{"meta utf-16 without a BOM is ignored", gbk, page(`<meta charset="utf-16">`, "要闻", zhHans), "", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},

		// Declared nowhere: detected.
		{"undeclared gbk", gbk, page("", "国务院常务会议", zhHans), "text/html", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},
		{"undeclared gbk short title", gbk, "<title>新闻</title>", "", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},
		{"undeclared gbk feed", gbk, rss("", "新闻联播", zhHans), "application/xml", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},
		{"undeclared big5", traditionalchinese.Big5, page("", "行政院會議", zhHant), "", charset.Decision{Charset: "big5", Origin: charset.FromDetection}, ""},
		{"undeclared shift_jis", japanese.ShiftJIS, page("", "経済対策", ja), "", charset.Decision{Charset: "shift_jis", Origin: charset.FromDetection}, ""},
		{"undeclared euc-kr", korean.EUCKR, page("", "경제 대책", ko), "", charset.Decision{Charset: "euc-kr", Origin: charset.FromDetection}, ""},
		{"undeclared windows-1252", charmap.Windows1252, page("", "Actualités", fr), "", charset.Decision{Charset: "windows-1252", Origin: charset.FromDetection}, ""},
		{"unknown label is detected", gbk, rss("", "新闻", zhHans), "text/xml; charset=x-no-such-charset", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},

		// Declarations that lie.
		{"utf-8 header over gbk bytes yields to the prolog", gbk, rss("gbk", "新闻联播", zhHans), "application/rss+xml; charset=utf-8", charset.Decision{Charset: "gbk", Origin: charset.FromXML}, ""},
		{"utf-8 header over gbk bytes yields to the meta", gbk, page(`<meta charset="gb2312">`, "要闻", zhHans), "text/html; charset=UTF-8", charset.Decision{Charset: "gbk", Origin: charset.FromMeta}, ""},
		{"utf-8 header and prolog over gbk bytes: detected", gbk, rss("utf-8", "新闻联播", zhHans), "text/xml; charset=utf-8", charset.Decision{Charset: "gb18030", Origin: charset.FromDetection}, ""},
		{"latin header yields to a multi-byte prolog", gbk, rss("gbk", "新闻联播", zhHans), "text/xml; charset=iso-8859-1", charset.Decision{Charset: "gbk", Origin: charset.FromXML}, ""},
		{"header beats a prolog when both decode", gbk, rss("big5", "新闻联播", zhHans), "text/xml; charset=gbk", charset.Decision{Charset: "gbk", Origin: charset.FromHeader}, ""},
		{"valid utf-8 under a gbk prolog", nil, rss("GBK", "新闻联播", zhHans), "text/xml; charset=gbk", charset.Decision{Charset: "utf-8", Origin: charset.FromValidUTF8}, ""},
		{"valid utf-8 under a big5 meta", nil, page(`<meta charset="big5">`, "要闻", zhHans), "", charset.Decision{Charset: "utf-8", Origin: charset.FromValidUTF8}, ""},

		// Byte order marks.
		{"utf-8 bom is stripped", nil, "\ufeff" + rss("utf-8", "新闻", zhHans), "text/xml; charset=gbk", charset.Decision{Charset: "utf-8", Origin: charset.FromBOM}, rss("utf-8", "新闻", zhHans)},
		{"utf-16le bom", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), rss("utf-16", "新闻", zhHans), "text/xml", charset.Decision{Charset: "utf-16le", Origin: charset.FromBOM}, ""},
		{"utf-16be bom", unicode.UTF16(unicode.BigEndian, unicode.UseBOM), rss("UTF-16", "要聞", zhHant), "text/xml; charset=big5", charset.Decision{Charset: "utf-16be", Origin: charset.FromBOM}, ""},

		// Nothing to do.
		{"utf-8 prolog stays byte for byte", nil, rss("UTF-8", "新闻", zhHans), "text/xml; charset=utf-8", charset.Decision{Charset: "utf-8", Origin: charset.FromValidUTF8}, rss("UTF-8", "新闻", zhHans)},
		{"ascii under a gbk prolog", nil, rss("gbk", "News", "plain ASCII"), "", charset.Decision{Charset: "utf-8", Origin: charset.FromValidUTF8}, ""},
		{"empty", nil, "", "text/html; charset=gbk", charset.Decision{Charset: "utf-8", Origin: charset.FromValidUTF8}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := encode(t, c.enc, c.doc)
			if c.enc != nil && utf8.Valid(data) && c.doc != "" {
				t.Fatalf("test data is valid UTF-8; it would not exercise %v", c.enc)
			}
			got, d := charset.Convert(data, c.contentType)
			if d != c.want {
				t.Errorf("decision = %+v, want %+v", d, c.want)
			}
			want := c.wantDoc
			if want == "" {
				want = utf8Prolog(c.doc)
			}
			if string(got) != want {
				t.Errorf("converted document differs\n got: %q\nwant: %q", got, want)
			}
			if det := charset.Detect(data, c.contentType); det != d {
				t.Errorf("Detect = %+v, Convert decided %+v", det, d)
			}
		})
	}
}

// utf8Prolog is the document as Convert should give it: the prolog's
// encoding says utf-8.
func utf8Prolog(doc string) string {
	if !strings.HasPrefix(doc, "<?xml") {
		return doc
	}
	end := strings.Index(doc, "?>")
	head := doc[:end]
	for _, q := range []string{`"`, `'`} {
		if i := strings.Index(head, "encoding="+q); i >= 0 {
			j := strings.Index(head[i+10:], q)
			v := head[i+10 : i+10+j]
			if strings.EqualFold(v, "utf-8") {
				return doc
			}
			return head[:i+10] + "utf-8" + doc[i+10+j:]
		}
	}
	return doc
}

// A document cut by the size cap in the middle of a character still reads
// in its declared charset, with one replacement character at the end.
func TestConvertTruncated(t *testing.T) {
	data := encode(t, simplifiedchinese.GBK, page("", "要闻", zhHans))
	i := bytes.Index(data, encode(t, simplifiedchinese.GBK, "会议"))
	data = data[:i+1]
	got, d := charset.Convert(data, "text/html; charset=gbk")
	if d.Charset != "gbk" || d.Origin != charset.FromHeader {
		t.Fatalf("decision = %+v", d)
	}
	if !strings.HasSuffix(string(got), "主持召开\uFFFD") {
		t.Errorf("got %q", got)
	}
}

// The XML prolog is rewritten so that an XML parser does not decode the
// UTF-8 output as GBK a second time.
func TestConvertRewritesProlog(t *testing.T) {
	data := encode(t, simplifiedchinese.GBK, `<?xml version="1.0" encoding="gb2312" standalone="yes"?><rss/>`)
	got, _ := charset.Convert(data, "")
	if want := `<?xml version="1.0" encoding="utf-8" standalone="yes"?><rss/>`; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestConvertIdempotent(t *testing.T) {
	for _, c := range []struct {
		enc  encoding.Encoding
		text string
	}{{simplifiedchinese.GBK, zhHans}, {traditionalchinese.Big5, zhHant}, {japanese.ShiftJIS, ja}, {korean.EUCKR, ko}, {charmap.Windows1252, fr}} {
		data := encode(t, c.enc, rss("gbk", "x", c.text))
		once, _ := charset.Convert(data, "")
		twice, d := charset.Convert(once, "text/xml; charset=gbk")
		if !bytes.Equal(once, twice) || d.Charset != "utf-8" {
			t.Errorf("%v: second conversion changed the document (%+v)\n once: %q\ntwice: %q", c.enc, d, once, twice)
		}
	}
}

func FuzzConvert(f *testing.F) {
	f.Add([]byte(rss("gbk", "新闻", zhHans)), "text/xml")
	f.Add(encode(f, simplifiedchinese.GBK, rss("gbk", "新闻", zhHans)), "text/xml; charset=utf-8")
	f.Add(encode(f, traditionalchinese.Big5, page(`<meta charset="big5">`, "要聞", zhHant)), "")
	f.Add(encode(f, japanese.ShiftJIS, ja), "text/html; charset=shift_jis")
	f.Add(encode(f, korean.EUCKR, ko), "")
	f.Add(encode(f, charmap.Windows1252, fr), "text/plain; charset=iso-8859-1")
	f.Add([]byte("\xff\xfe<\x00?\x00x\x00"), "")
	f.Add([]byte("\xef\xbb\xbf\xef\xbb\xbf<?xml encoding='x'?>"), "text/xml; charset")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		out, d := charset.Convert(data, contentType)
		if !utf8.Valid(out) {
			t.Fatalf("output is not valid UTF-8: %q (%+v)", out, d)
		}
		again, _ := charset.Convert(out, contentType)
		if !bytes.Equal(out, again) {
			t.Fatalf("not idempotent\n once: %q\ntwice: %q", out, again)
		}
	})
}

// BenchmarkConvert measures a 256 KiB page: UTF-8 passing through, GBK
// declared in the header, and GBK left to detection.
func BenchmarkConvert(b *testing.B) {
	text := strings.Repeat("<p>"+zhHans+"</p>\n", 256<<10/(len(zhHans)+8))
	utf8Page := []byte(page(`<meta charset="utf-8">`, "要闻", text))
	gbkPage := encode(b, simplifiedchinese.GBK, page("", "要闻", text))
	for _, c := range []struct {
		name, contentType string
		data              []byte
	}{
		{"utf-8", "text/html; charset=utf-8", utf8Page},
		{"gbk-declared", "text/html; charset=gbk", gbkPage},
		{"gbk-detected", "text/html", gbkPage},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				charset.Convert(c.data, c.contentType)
			}
		})
	}
}

// UTF-16 without a byte order mark and UTF-32 with or without one are
// read from the XML document's first bytes (XML 1.0 appendix F), with or
// without an XML declaration; a stray byte order mark in UTF-16 or
// UTF-32 text is dropped.
func TestConvertWideXML(t *testing.T) {
	doc := rss("", zhHans, "1 < 2 "+zhExt)
	bare := strings.TrimPrefix(doc, `<?xml version="1.0"?>`+"\n")
	utf32 := func(big bool, s string) []byte {
		var b []byte
		for _, r := range s {
			if big {
				b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
			} else {
				b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
			}
		}
		return b
	}
	be16 := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	le16 := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	cases := []struct {
		name, charset string
		origin        charset.Origin
		data          []byte
		want          string
	}{
		{"utf-16le without a mark", "utf-16le", charset.FromXMLStart, encode(t, le16, doc), doc},
		{"utf-16be without a mark", "utf-16be", charset.FromXMLStart, encode(t, be16, doc), doc},
		{"utf-16le without a mark or declaration", "utf-16le", charset.FromXMLStart, encode(t, le16, bare), bare},
		{"utf-16be without a mark or declaration", "utf-16be", charset.FromXMLStart, encode(t, be16, bare), bare},
		{"utf-32le without a mark", "utf-32le", charset.FromXMLStart, utf32(false, doc), doc},
		{"utf-32be without a mark", "utf-32be", charset.FromXMLStart, utf32(true, doc), doc},
		{"utf-32le with a mark", "utf-32le", charset.FromBOM, utf32(false, "\uFEFF"+doc), doc},
		{"utf-32be with a mark", "utf-32be", charset.FromBOM, utf32(true, "\uFEFF"+doc), doc},
		{"utf-16le with a mark", "utf-16le", charset.FromBOM, encode(t, le16, "\uFEFF"+doc), doc},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, d := charset.Convert(tc.data, "application/rss+xml")
			if d.Charset != tc.charset || d.Origin != tc.origin {
				t.Errorf("decision = %+v, want %s from %s", d, tc.charset, tc.origin)
			}
			if string(got) != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	// "<" then a byte that is not ASCII is no wide encoding: GBK text
	// right after "<" stays GBK.
	gbk := encode(t, simplifiedchinese.GBK, "<"+zhHans)
	if _, d := charset.Convert(gbk, ""); d.Origin == charset.FromXMLStart {
		t.Errorf("GBK read as %+v", d)
	}
}
