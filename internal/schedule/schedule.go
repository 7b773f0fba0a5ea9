// Package schedule decides when each source is fetched again.
//
// After every fetch, Next turns what happened into the source's next due
// time, from these rules, in this order:
//
//   - A source waits its interval (per source, else the global interval,
//     else DefaultInterval).
//   - The feed and its server may ask for longer, never shorter: the RSS
//     <ttl>, sy:updatePeriod / sy:updateFrequency and Cache-Control
//     max-age are lower bounds, each capped at MaxHint so that a wrong
//     header cannot silence a source for long.
//   - A server that refuses the route (429, 503 or a Retry-After header)
//     pauses that route, not its host: one RSSHub instance serves every
//     route, and a host-wide pause would stall them all. The pause lasts
//     Retry-After (capped at MaxHint), else DefaultPause.
//   - After BackoffAfter consecutive errors, a source waits BackoffStep ×
//     errors, capped at MaxBackoff: 3 h after the third error, 4 h after
//     the fourth, and from the 24th on once a day. A refusal is not an
//     error for this count: three 429s with Retry-After: 30 pause the
//     route for 30 s each, not for hours.
//
// The package only computes; refresh stores the result and the daemon
// fetches what Due says.
package schedule

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/store"
)

const (
	// DefaultInterval is how often a source is fetched when neither it
	// nor the configuration says.
	DefaultInterval = 30 * time.Minute
	// BackoffAfter is the number of consecutive errors from which a
	// source backs off.
	BackoffAfter = 3
	// BackoffStep is the backoff per consecutive error.
	BackoffStep = time.Hour
	// MaxBackoff caps the backoff: a broken source is still tried daily.
	MaxBackoff = 24 * time.Hour
	// MaxHint caps every wait a feed or server asks for (ttl,
	// sy:updatePeriod, max-age, Retry-After).
	MaxHint = 24 * time.Hour
	// DefaultPause is how long a route is left alone after a 429 or 503
	// that does not say how long with Retry-After.
	DefaultPause = time.Hour
)

// Outcome is what one fetch of a source said about the next one.
type Outcome struct {
	// At is when the fetch ended.
	At time.Time
	// ConsecutiveErrors counts the failed fetches since the last success,
	// this one included; 0 when this fetch succeeded. Refusals are not
	// errors here: a refused fetch leaves the count as it was.
	ConsecutiveErrors int
	// FeedHint is the longest of the feed's <ttl> and sy:updatePeriod.
	FeedHint time.Duration
	// MaxAge is the response's Cache-Control max-age.
	MaxAge time.Duration
	// Refused is set when the server answered 429 or 503 or sent a
	// Retry-After; RetryAfter is how long it asked for (0: unsaid).
	Refused    bool
	RetryAfter time.Duration
}

// Next returns when a source with the given interval is due after a fetch
// with outcome o. interval 0 means DefaultInterval.
func Next(interval time.Duration, o Outcome) store.Schedule {
	if interval <= 0 {
		interval = DefaultInterval
	}
	wait := max(interval, min(o.FeedHint, MaxHint), min(o.MaxAge, MaxHint))
	if o.ConsecutiveErrors >= BackoffAfter {
		wait = max(wait, Backoff(o.ConsecutiveErrors))
	}
	s := store.Schedule{FeedHint: o.FeedHint}
	if o.Refused {
		pause := DefaultPause
		if o.RetryAfter > 0 {
			pause = min(o.RetryAfter, MaxHint)
		}
		s.PausedUntil = o.At.Add(pause)
		wait = max(wait, pause)
	}
	s.NextDue = o.At.Add(wait)
	return s
}

// Backoff is how long a source waits after n consecutive errors: nothing
// extra before BackoffAfter, then BackoffStep × n up to MaxBackoff.
func Backoff(n int) time.Duration {
	if n < BackoffAfter {
		return 0
	}
	if n >= int(MaxBackoff/BackoffStep) {
		return MaxBackoff
	}
	return time.Duration(n) * BackoffStep
}

// Refusal reports whether err is the server refusing the route (429, 503
// or any status with Retry-After) and how long it asked us to wait.
func Refusal(err error) (bool, time.Duration) {
	var herr *fetch.HTTPError
	if !errors.As(err, &herr) {
		return false, 0
	}
	refused := herr.StatusCode == http.StatusTooManyRequests || herr.StatusCode == http.StatusServiceUnavailable || herr.RetryAfter > 0
	return refused, herr.RetryAfter
}

// Due reports whether the source is due at now. A source never fetched
// is due at once.
func Due(s store.Source, now time.Time) bool {
	return !s.NextDue.After(now)
}

// Status is a source's state. It is defined here once and every surface
// shows it by these names: the lines of feedmill run, feedmill sources,
// /admin, /healthz and /metrics (as Label).
type Status string

// The statuses, from the most to the least urgent to look at. The two
// kinds of pause have names of their own: Waiting is the server's doing,
// Paused an operator's.
const (
	Paused       Status = "paused"        // an operator paused it (feedmill pause, /admin): not fetched until resumed
	Waiting      Status = "waiting"       // the server asked us to wait (429, 503, Retry-After) until a time not reached yet
	BackingOff   Status = "backing off"   // BackoffAfter or more errors in a row: fetched less often
	Failing      Status = "failing"       // the last fetch failed
	NeverFetched Status = "never fetched" // not fetched yet
	OK           Status = "ok"            // the last fetch succeeded
)

// Statuses lists every status in the order surfaces list them.
var Statuses = []Status{OK, Failing, BackingOff, Waiting, Paused, NeverFetched}

// Label is the status as a metric label value or JSON key: "backing_off".
func (s Status) Label() string { return strings.ReplaceAll(string(s), " ", "_") }

// Chinese is the status in Chinese, which /admin shows beside the name.
func (s Status) Chinese() string {
	return map[Status]string{Paused: "已暂停", Waiting: "等待服务器", BackingOff: "退避中", Failing: "失败", NeverFetched: "未抓取", OK: "正常"}[s]
}

// StatusOf returns the state of a source row at now. A source an
// operator paused is paused until resumed, whatever else holds.
func StatusOf(s store.Source, now time.Time) Status {
	switch {
	case s.Paused:
		return Paused
	case s.PausedUntil.After(now):
		return Waiting
	case s.ConsecutiveErrors >= BackoffAfter:
		return BackingOff
	case s.ConsecutiveErrors > 0:
		return Failing
	case s.LastSuccess.IsZero():
		return NeverFetched
	}
	return OK
}

// Count counts the configured sources (their keys) by status at now;
// rows are the store's rows by key, and a source without one was never
// fetched. Rows of sources no longer configured are not counted.
func Count(keys []string, rows map[string]store.Source, now time.Time) map[Status]int {
	counts := make(map[Status]int, len(Statuses))
	for _, k := range keys {
		counts[StatusOf(rows[k], now)]++
	}
	return counts
}
