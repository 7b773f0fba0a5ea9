package schedule_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/schedule"
	"github.com/feedmill/feedmill/internal/store"
)

var at = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestNext(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		name     string
		interval time.Duration
		o        schedule.Outcome
		wait     time.Duration // NextDue - At
		paused   time.Duration // PausedUntil - At; 0: not paused
	}{
		{"success waits the interval", 10 * time.Minute, schedule.Outcome{}, 10 * time.Minute, 0},
		{"no interval means the default", 0, schedule.Outcome{}, schedule.DefaultInterval, 0},
		{"ttl longer than the interval is a lower bound", 10 * time.Minute, schedule.Outcome{FeedHint: h}, h, 0},
		{"ttl shorter than the interval changes nothing", h, schedule.Outcome{FeedHint: 5 * time.Minute}, h, 0},
		{"max-age longer than the interval is a lower bound", 10 * time.Minute, schedule.Outcome{MaxAge: 2 * h}, 2 * h, 0},
		{"the longest hint wins", 10 * time.Minute, schedule.Outcome{FeedHint: h, MaxAge: 3 * h}, 3 * h, 0},
		{"a hint is capped at a day", time.Minute, schedule.Outcome{FeedHint: 7 * 24 * h, MaxAge: 365 * 24 * h}, schedule.MaxHint, 0},
		{"a long interval is not capped", 48 * h, schedule.Outcome{}, 48 * h, 0},
		{"first error retries at the interval", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 1}, 30 * time.Minute, 0},
		{"second error retries at the interval", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 2}, 30 * time.Minute, 0},
		{"third error backs off 3h", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 3}, 3 * h, 0},
		{"tenth error backs off 10h", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 10}, 10 * h, 0},
		{"backoff is capped at a day", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 100}, schedule.MaxBackoff, 0},
		{"an interval longer than the backoff wins", 12 * h, schedule.Outcome{ConsecutiveErrors: 3}, 12 * h, 0},
		{"retry-after pauses the route", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 1, Refused: true, RetryAfter: 2 * h}, 2 * h, 2 * h},
		{"short retry-after pauses but the interval still applies", 30 * time.Minute, schedule.Outcome{ConsecutiveErrors: 1, Refused: true, RetryAfter: time.Minute}, 30 * time.Minute, time.Minute},
		{"429 without retry-after pauses the default", 10 * time.Minute, schedule.Outcome{ConsecutiveErrors: 1, Refused: true}, schedule.DefaultPause, schedule.DefaultPause},
		{"retry-after is capped at a day", 10 * time.Minute, schedule.Outcome{ConsecutiveErrors: 1, Refused: true, RetryAfter: 30 * 24 * h}, schedule.MaxHint, schedule.MaxHint},
		{"backoff longer than the pause", 10 * time.Minute, schedule.Outcome{ConsecutiveErrors: 5, Refused: true, RetryAfter: h}, 5 * h, h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.At = at
			s := schedule.Next(tt.interval, tt.o)
			if got := s.NextDue.Sub(at); got != tt.wait {
				t.Errorf("wait = %v, want %v", got, tt.wait)
			}
			var paused time.Duration
			if !s.PausedUntil.IsZero() {
				paused = s.PausedUntil.Sub(at)
			}
			if paused != tt.paused {
				t.Errorf("pause = %v, want %v", paused, tt.paused)
			}
			if s.FeedHint != tt.o.FeedHint {
				t.Errorf("FeedHint = %v, want it kept as %v", s.FeedHint, tt.o.FeedHint)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	want := map[int]time.Duration{0: 0, 1: 0, 2: 0, 3: 3 * time.Hour, 4: 4 * time.Hour, 23: 23 * time.Hour, 24: 24 * time.Hour, 25: 24 * time.Hour, 1 << 40: 24 * time.Hour}
	for n, w := range want {
		if got := schedule.Backoff(n); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, w)
		}
	}
}

func TestRefusal(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		refused bool
		after   time.Duration
	}{
		{"429", &fetch.HTTPError{StatusCode: 429}, true, 0},
		{"503 with retry-after, wrapped", fmt.Errorf("fetch: %w", &fetch.HTTPError{StatusCode: 503, RetryAfter: time.Hour}), true, time.Hour},
		{"joined", errors.Join(errors.New("x"), &fetch.HTTPError{StatusCode: 429, RetryAfter: time.Minute}), true, time.Minute},
		{"404", &fetch.HTTPError{StatusCode: 404}, false, 0},
		{"500 with retry-after", &fetch.HTTPError{StatusCode: 500, RetryAfter: time.Minute}, true, time.Minute},
		{"not http", errors.New("connection refused"), false, 0},
		{"nil", nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refused, after := schedule.Refusal(tt.err)
			if refused != tt.refused || after != tt.after {
				t.Errorf("Refusal = %v, %v; want %v, %v", refused, after, tt.refused, tt.after)
			}
		})
	}
}

// One RSSHub serves every route: a refusal pauses the refused route, and
// the route next to it on the same host stays due.
func TestRetryAfterPausesOnlyThatRoute(t *testing.T) {
	refused, after := schedule.Refusal(fmt.Errorf("fetch: %w", &fetch.HTTPError{StatusCode: 429, Status: "429 Too Many Requests", RetryAfter: 2 * time.Hour}))
	a := store.Source{Key: "a", URL: "https://rsshub.example/a", ConsecutiveErrors: 1, LastErrorAt: at}
	a.Schedule = schedule.Next(30*time.Minute, schedule.Outcome{At: at, ConsecutiveErrors: 1, Refused: refused, RetryAfter: after})
	b := store.Source{Key: "b", URL: "https://rsshub.example/b", LastSuccess: at}
	b.Schedule = schedule.Next(30*time.Minute, schedule.Outcome{At: at})

	for _, tt := range []struct {
		after      time.Duration
		dueA, dueB bool
	}{
		{0, false, false},
		{30 * time.Minute, false, true},
		{time.Hour + 59*time.Minute, false, true},
		{2 * time.Hour, true, true},
	} {
		now := at.Add(tt.after)
		if got := schedule.Due(a, now); got != tt.dueA {
			t.Errorf("+%v: refused route due = %v, want %v", tt.after, got, tt.dueA)
		}
		if got := schedule.Due(b, now); got != tt.dueB {
			t.Errorf("+%v: other route due = %v, want %v", tt.after, got, tt.dueB)
		}
	}
	if got := schedule.StatusOf(a, at.Add(time.Hour)); got != schedule.Waiting {
		t.Errorf("refused route status = %q, want waiting", got)
	}
	if got := schedule.StatusOf(b, at.Add(time.Hour)); got != schedule.OK {
		t.Errorf("other route status = %q, want ok", got)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		name string
		s    store.Source
		want schedule.Status
	}{
		{"new", store.Source{}, schedule.NeverFetched},
		{"ok", store.Source{LastSuccess: at}, schedule.OK},
		{"first fetch failed", store.Source{LastErrorAt: at, ConsecutiveErrors: 1}, schedule.Failing},
		{"two errors", store.Source{LastSuccess: at, ConsecutiveErrors: 2}, schedule.Failing},
		{"three errors", store.Source{LastSuccess: at, ConsecutiveErrors: 3}, schedule.BackingOff},
		{"pause over", store.Source{ConsecutiveErrors: 1, Schedule: store.Schedule{PausedUntil: at.Add(-time.Second)}}, schedule.Failing},
		{"paused from admin", store.Source{LastSuccess: at, Paused: true}, schedule.Paused},
		{"server asked to wait", store.Source{ConsecutiveErrors: 4, Schedule: store.Schedule{PausedUntil: at.Add(time.Second)}}, schedule.Waiting},
		{"paused by an operator while the server asks to wait", store.Source{ConsecutiveErrors: 1, Paused: true, Schedule: store.Schedule{PausedUntil: at.Add(time.Hour)}}, schedule.Paused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schedule.StatusOf(tt.s, at); got != tt.want {
				t.Errorf("StatusOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDue(t *testing.T) {
	if !schedule.Due(store.Source{}, at) {
		t.Error("a source never fetched is not due")
	}
	s := store.Source{Schedule: store.Schedule{NextDue: at}}
	if !schedule.Due(s, at) || schedule.Due(s, at.Add(-time.Nanosecond)) {
		t.Error("due time is not inclusive")
	}
}

func TestCountCountsConfiguredSources(t *testing.T) {
	rows := map[string]store.Source{
		"a":    {LastSuccess: at},
		"b":    {Paused: true},
		"c":    {ConsecutiveErrors: 1, Schedule: store.Schedule{PausedUntil: at.Add(time.Hour)}},
		"gone": {ConsecutiveErrors: 1}, // no longer configured
	}
	got := schedule.Count([]string{"a", "b", "c", "new"}, rows, at)
	want := map[schedule.Status]int{schedule.OK: 1, schedule.Paused: 1, schedule.Waiting: 1, schedule.NeverFetched: 1}
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("%s: %d, want %d", s, got[s], n)
		}
	}
	labels := map[string]bool{}
	for _, s := range schedule.Statuses {
		if labels[s.Label()] || strings.Contains(s.Label(), " ") || s.Chinese() == "" {
			t.Errorf("status %q: label %q, Chinese %q", s, s.Label(), s.Chinese())
		}
		labels[s.Label()] = true
	}
}
