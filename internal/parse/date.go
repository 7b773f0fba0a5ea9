package parse

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// zoned are layouts that carry their own zone.
var zoned = []string{
	time.RFC1123Z,
	time.RFC1123,
	"Mon, _2 Jan 2006 15:04:05 -0700",
	"Mon, _2 Jan 2006 15:04:05 MST",
	"Mon, _2 Jan 2006 15:04 -0700",
	"Mon, _2 Jan 2006 15:04 MST",
	"Mon, _2 Jan 06 15:04:05 -0700",
	"Mon, _2 Jan 06 15:04:05 MST",
	"Mon, _2 January 2006 15:04:05 -0700",
	"Mon, _2 January 2006 15:04:05 MST",
	"Monday, _2 Jan 2006 15:04:05 -0700",
	"Monday, _2 Jan 2006 15:04:05 MST",
	"_2 Jan 2006 15:04:05 -0700",
	"_2 Jan 2006 15:04:05 MST",
	"_2 Jan 2006 15:04 -0700",
	"_2 Jan 2006 15:04 MST",
	"Mon, _2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon _2 Jan 2006 15:04:05 -0700",
	"Mon _2 Jan 2006 15:04:05 MST",
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	time.UnixDate,
	time.RubyDate,
	"Mon Jan _2 2006 15:04:05 GMT-0700",
	"Mon Jan _2 2006 15:04:05 -0700", // JavaScript's Date.toString, after normaliseZone
}

// numericZone marks the zoned layouts that end in a numeric zone ("-0700",
// "-07:00"): what they read ends in a digit, so Date does not try them on
// a text that does not (a failed time.Parse allocates its error, and
// "GMT" dates fail RFC1123Z first).
var numericZone = func() []bool {
	out := make([]bool, len(zoned))
	for i, layout := range zoned {
		out[i] = strings.HasSuffix(layout, "-0700") || strings.HasSuffix(layout, "-07:00")
	}
	return out
}()

// byName marks the layouts that start with a weekday's or a month's name:
// what they read starts with a letter, so Date does not try them on a text
// that starts with a digit (RFC 3339 dates failed fourteen of them first).
func byName(layouts []string) []bool {
	out := make([]bool, len(layouts))
	for i, layout := range layouts {
		out[i] = strings.HasPrefix(layout, "Mon") || strings.HasPrefix(layout, "Jan")
	}
	return out
}

var zonedByName, zonelessByName = byName(zoned), byName(zoneless)

// zoneless are layouts without a zone: the configured zone applies.
var zoneless = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006/01/02",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006/1/2",
	"2006.01.02 15:04:05",
	"2006.01.02 15:04",
	"2006.01.02",
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006-1-2",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15:04",
	"2006年1月2日15:04:05",
	"2006年1月2日15:04",
	"2006年1月2日",
	"Mon, _2 Jan 2006 15:04:05",
	"Mon, _2 Jan 2006 15:04",
	"_2 Jan 2006 15:04:05",
	"_2 Jan 2006",
	"Jan _2, 2006 15:04:05",
	"Jan _2, 2006 3:04 PM",
	"Jan _2, 2006",
	"January _2, 2006",
	time.ANSIC,
}

// abbreviations maps the zone names feeds use to their offsets in hours.
// Go's time.Parse gives unknown abbreviations an offset of zero, which
// would silently shift the time. The US names follow RFC 822.
var abbreviations = map[string]float64{
	"GMT": 0, "UT": 0, "UTC": 0, "Z": 0, "WET": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"AKST": -9, "AKDT": -8, "HST": -10,
	"BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5,
	"HKT": 8, "SGT": 8, "AWST": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}

// Date reads a feed's date text in any of the forms feeds use: RFC 822 and
// 1123 with any zone, RFC 3339, and the common broken forms (no weekday,
// no seconds, no zone, Chinese dates, Unix timestamps). A date without a
// zone is taken in loc. It returns false when nothing fits or the year is
// implausible.
func Date(s string, loc *time.Location) (time.Time, bool) {
	s = spaced(s)
	// JavaScript's Date.toString ends in a comment such as "(China
	// Standard Time)"; RFC 822 allows one too. The offset before it is
	// what counts.
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndex(s, " ("); i > 0 {
			s = s[:i]
		}
	}
	// "Fri,28 Jan 2022": a weekday comma without its space.
	if i := strings.IndexByte(s, ','); i > 0 && i+1 < len(s) && s[i+1] != ' ' && isWord(s[:i]) {
		s = s[:i+1] + " " + s[i+1:]
	}
	if s == "" {
		return time.Time{}, false
	}
	if t, ok := unix(s); ok {
		return t, true
	}
	// Some feeds put the zone as "+08:00" after an RFC 1123 date, or
	// "UTC+8"; normalise those before trying layouts.
	s = normaliseZone(s)
	digitStart, digitEnd := isDigit(s[0]), isDigit(s[len(s)-1])
	for i, layout := range zoned {
		if numericZone[i] && !digitEnd || zonedByName[i] && digitStart {
			continue
		}
		// An abbreviation the configured zone uses means that zone: "CST"
		// is China Standard Time under Asia/Shanghai, US Central (RFC 822)
		// otherwise.
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if t.Location() != loc {
				t = fixAbbreviation(t)
			}
			return plausible(t)
		}
	}
	for i, layout := range zoneless {
		if zonelessByName[i] && digitStart {
			continue
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return plausible(t)
		}
	}
	return time.Time{}, false
}

// spaced is strings.Join(strings.Fields(s), " "): s with each run of white
// space one space and none at either end. It returns ASCII text that is
// so already as it is, without allocating.
func spaced(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r',
			c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

func plausible(t time.Time) (time.Time, bool) {
	if t.Year() < 1971 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

func unix(s string) (time.Time, bool) {
	if len(s) != 10 && len(s) != 13 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if len(s) == 13 {
		return time.UnixMilli(n).UTC(), true
	}
	return time.Unix(n, 0).UTC(), true
}

func fixAbbreviation(t time.Time) time.Time {
	name, offset := t.Zone()
	if offset != 0 {
		return t
	}
	hours, ok := abbreviations[strings.ToUpper(name)]
	if !ok || hours == 0 {
		return t
	}
	sec := int(hours * 3600)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, sec)).UTC()
}

// normaliseZone rewrites a trailing "+08:00", "GMT+8" or "UTC+0800" zone
// into "+0800" so that one layout reads them all.
func normaliseZone(s string) string {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return s
	}
	z := s[i+1:]
	for _, p := range []string{"GMT", "UTC"} {
		if rest, ok := strings.CutPrefix(z, p); ok && rest != "" && (rest[0] == '+' || rest[0] == '-') {
			z = rest
		}
	}
	if len(z) < 2 || (z[0] != '+' && z[0] != '-') {
		return s
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if _, err := strconv.Atoi(digits); err != nil {
		return s
	}
	switch len(digits) {
	case 1:
		digits = "0" + digits + "00"
	case 2:
		digits += "00"
	case 3:
		digits = "0" + digits
	case 4:
	default:
		return s
	}
	return s[:i+1] + z[:1] + digits
}

func isWord(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}
