package charset

import (
	"slices"

	"github.com/gogs/chardet"
)

// detectSample bounds the bytes detection reads: the start of a document
// tells its charset as well as the whole, at a fraction of the cost.
const detectSample = 64 << 10

// multiByte are the multi-byte candidates of detection, in the order that
// breaks ties: feedmill reads mostly Chinese sites, so GB18030 (GBK) first.
var multiByte = []struct {
	name    string // WHATWG name
	chardet string // name in github.com/gogs/chardet's results
}{
	{"gb18030", "GB18030"},
	{"big5", "Big5"},
	{"shift_jis", "Shift_JIS"},
	{"euc-kr", "EUC-KR"},
	{"euc-jp", "EUC-JP"},
}

// detect names the charset of bytes that are not UTF-8 and declare none
// that fits:
//
//   - Latin text in windows-1252 has its high bytes alone between ASCII
//     letters ("présenté"), while CJK text has them in pairs or runs. When
//     fewer than half of the high bytes have a high neighbour, or no
//     multi-byte charset decodes the bytes without errors, it is
//     windows-1252.
//   - Otherwise the multi-byte charsets that decode the bytes without
//     errors are ranked by the confidence of ICU's detector (the
//     gogs/chardet port), which counts each language's most common
//     characters. Short texts (ten characters or fewer) give every charset
//     the same low confidence; the order of multiByte breaks the tie.
func detect(data []byte) string {
	sample := data[:min(len(data), detectSample)]
	high, paired := 0, 0
	for i, c := range sample {
		if c < 0x80 {
			continue
		}
		high++
		if (i > 0 && sample[i-1] >= 0x80) || (i+1 < len(sample) && sample[i+1] >= 0x80) {
			paired++
		}
	}
	if paired*2 < high {
		return "windows-1252"
	}
	var fits []string
	for _, m := range multiByte {
		_, bad := decode(decoderFor(m.name), sample)
		if plausible(bad, high) {
			fits = append(fits, m.name)
		}
	}
	switch len(fits) {
	case 0:
		return "windows-1252"
	case 1:
		return fits[0]
	}
	confidence := map[string]int{}
	if results, err := chardet.NewHtmlDetector().DetectAll(sample); err == nil {
		for _, r := range results {
			confidence[r.Charset] = r.Confidence
		}
	}
	best, bestConf := fits[0], -1
	for _, m := range multiByte {
		if !slices.Contains(fits, m.name) {
			continue
		}
		if c := confidence[m.chardet]; c > bestConf {
			best, bestConf = m.name, c
		}
	}
	return best
}
