package fetch_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/fetch"
)

// The scheduler builds on two things a server says about when to come
// back: Cache-Control max-age on a success, Retry-After on a refusal.
func TestScheduleHints(t *testing.T) {
	later := time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name         string
		status       int
		header       map[string]string
		maxAge       time.Duration
		retryAfter   time.Duration // checked within a minute for dates
		wantHTTPFail bool
	}{
		{"max-age", 200, map[string]string{"Cache-Control": "public, max-age=600"}, 10 * time.Minute, 0, false},
		{"max-age with no-cache is none", 200, map[string]string{"Cache-Control": "max-age=600, no-cache"}, 0, 0, false},
		{"no cache-control", 200, nil, 0, 0, false},
		{"max-age on 304", 304, map[string]string{"Cache-Control": "max-age=60"}, time.Minute, 0, false},
		{"429 retry-after seconds", 429, map[string]string{"Retry-After": "120"}, 0, 2 * time.Minute, true},
		{"503 retry-after date", 503, map[string]string{"Retry-After": later}, 0, 2 * time.Hour, true},
		{"503 retry-after garbage", 503, map[string]string{"Retry-After": "tomorrow"}, 0, 0, true},
		{"429 without retry-after", 429, nil, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				if tt.status == 200 {
					w.Write([]byte("<rss/>"))
				}
			}))
			defer srv.Close()
			c := fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, UserAgent: "test"})
			resp, err := c.Fetch(t.Context(), srv.URL, fetch.Validators{ETag: `"x"`})
			if !tt.wantHTTPFail {
				if err != nil {
					t.Fatal(err)
				}
				if resp.MaxAge != tt.maxAge {
					t.Errorf("MaxAge = %v, want %v", resp.MaxAge, tt.maxAge)
				}
				return
			}
			var herr *fetch.HTTPError
			if !errors.As(err, &herr) {
				t.Fatalf("err = %v, want an *HTTPError", err)
			}
			if herr.StatusCode != tt.status {
				t.Errorf("StatusCode = %d, want %d", herr.StatusCode, tt.status)
			}
			if d := herr.RetryAfter - tt.retryAfter; d < -time.Minute || d > time.Minute || (tt.retryAfter == 0 && herr.RetryAfter != 0) {
				t.Errorf("RetryAfter = %v, want %v", herr.RetryAfter, tt.retryAfter)
			}
		})
	}
}
