package parse

import (
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// maxHint keeps absurd values such as <ttl>99999999999</ttl> in range;
// the scheduler applies its own, lower, limit.
const maxHint = 365 * 24 * time.Hour

// ttlTranslator is gofeed's RSS translator that also keeps <ttl>, which
// gofeed's universal Feed drops.
type ttlTranslator struct {
	gofeed.DefaultRSSTranslator
	ttl *string
}

func (t *ttlTranslator) Translate(v any) (*gofeed.Feed, error) {
	if f, ok := v.(*rss.Feed); ok {
		*t.ttl = f.TTL
	}
	return t.DefaultRSSTranslator.Translate(v)
}

// minutes reads a <ttl>: a whole number of minutes.
func minutes(s string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, int(maxHint/time.Minute))) * time.Minute
}

// updatePeriod reads the RSS 1.0 syndication module: sy:updatePeriod
// (hourly, daily, weekly, monthly, yearly; daily when absent) divided by
// sy:updateFrequency (1 when absent).
func updatePeriod(exts ext.Extensions) time.Duration {
	sy := exts["sy"]
	if sy == nil {
		return 0
	}
	value := func(name string) string {
		if v := sy[name]; len(v) > 0 {
			return strings.TrimSpace(v[0].Value)
		}
		return ""
	}
	period, freq := value("updatePeriod"), value("updateFrequency")
	if period == "" && freq == "" {
		return 0
	}
	unit := 24 * time.Hour
	switch strings.ToLower(period) {
	case "hourly":
		unit = time.Hour
	case "", "daily":
	case "weekly":
		unit = 7 * 24 * time.Hour
	case "monthly":
		unit = 30 * 24 * time.Hour
	case "yearly":
		unit = 365 * 24 * time.Hour
	default:
		return 0
	}
	n := 1
	if freq != "" {
		v, err := strconv.Atoi(freq)
		if err != nil || v <= 0 {
			return 0
		}
		n = v
	}
	return min(unit/time.Duration(n), maxHint)
}
