package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/internal/feed"
)

// Keep is a keep setting as written: a number of posts ("15") or an age
// ("30d"). Validate checks it; FeedSources applies it.
type Keep struct {
	Text string
	Line int
}

// UnmarshalYAML takes any scalar; ParseKeep judges it in Validate, where
// the message can name the field.
func (k *Keep) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: keep must be a number of posts such as 15 or an age such as 30d", n.Line)}}
	}
	k.Text, k.Line = n.Value, n.Line
	return nil
}

// keepUnits are the age units keep takes. Months and years are left out:
// their length varies, and "30d" says what is meant.
var keepUnits = map[string]time.Duration{
	"h": time.Hour,
	"d": 24 * time.Hour,
	"w": 7 * 24 * time.Hour,
}

// ParseKeep reads a keep value: a whole number N keeps the newest N posts
// of each channel; N followed by h, d or w (hours, days, weeks) keeps the
// posts dated within that age; 0 and "all" keep every post.
func ParseKeep(s string) (feed.Retention, error) {
	v := strings.TrimSpace(s)
	if v == "all" {
		return feed.Retention{}, nil
	}
	num, unit := v, ""
	if i := strings.LastIndexAny(v, "0123456789"); i >= 0 && i < len(v)-1 {
		num, unit = v[:i+1], v[i+1:]
	}
	n, err := strconv.Atoi(num)
	bad := fmt.Errorf("%q is not a number of posts such as 15, an age such as 30d (h, d or w), or all", s)
	if err != nil || strings.HasPrefix(num, "+") {
		return feed.Retention{}, bad
	}
	if n < 0 {
		return feed.Retention{}, fmt.Errorf("%q must not be negative", s)
	}
	if unit == "" {
		return feed.Retention{Count: n}, nil
	}
	d, ok := keepUnits[unit]
	if !ok {
		return feed.Retention{}, bad
	}
	if n > int(time.Duration(1<<63-1)/d) {
		return feed.Retention{}, fmt.Errorf("%q is too long an age", s)
	}
	return feed.Retention{Age: time.Duration(n) * d}, nil
}

// retention returns the parsed setting; Validate has checked it.
func (k Keep) retention() feed.Retention {
	kp, _ := ParseKeep(k.Text)
	return kp
}
