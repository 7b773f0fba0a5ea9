package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedmill/feedmill/internal/server"
)

func TestRoutes(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "feedmill_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Add(3)
	healthy := true
	opts := server.Options{
		Metrics: reg,
		Health: func(context.Context) (map[string]any, error) {
			if !healthy {
				return map[string]any{"sources": 2}, errors.New("store: disk I/O error")
			}
			return map[string]any{"sources": 2}, nil
		},
	}
	text := func(s string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, s) })
	}
	mux := server.New(opts,
		server.Mount{Pattern: "/", Handler: text("site")},
		server.Mount{Pattern: "/admin/", Handler: text("admin")},
	)

	tests := []struct {
		name, method, path string
		unhealthy          bool
		code               int
		contains           string
	}{
		{"healthz", "GET", "/healthz", false, 200, `"status":"ok"`},
		{"healthz carries the daemon's state", "GET", "/healthz", false, 200, `"sources":2`},
		{"healthz head", "HEAD", "/healthz", false, 200, ""},
		{"healthz unhealthy", "GET", "/healthz", true, 503, `"error":"store: disk I/O error"`},
		{"metrics", "GET", "/metrics", false, 200, "feedmill_test_total 3"},
		{"the site's catch-all does not shadow healthz", "GET", "/healthz/", false, 200, "site"},
		{"site", "GET", "/2026/03/01/post.html", false, 200, "site"},
		{"admin", "POST", "/admin/sources", false, 200, "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			healthy = !tt.unhealthy
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d", rec.Code, tt.code)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body %q does not contain %q", rec.Body.String(), tt.contains)
			}
		})
	}
}

func TestHealthzIsJSON(t *testing.T) {
	mux := server.New(server.Options{})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["status"] != "ok" {
		t.Errorf("body %q: %v", rec.Body.String(), err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if rec := post(mux, "/healthz"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: status %d, want 405", rec.Code)
	}
	// Without a registry there is no /metrics, and nothing else answers.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("/metrics without a registry: status %d, want 404", rec.Code)
	}
}

func TestServeShutsDownWhenContextEnds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{}), nil) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil after a shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
}

func post(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
	return rec
}
