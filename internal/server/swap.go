package server

import (
	"net/http"
	"sync/atomic"
)

// Swap is a handler that can be replaced while requests run: a reload
// installs the new configuration's site or admin page in it.
type Swap struct{ h atomic.Pointer[http.Handler] }

// Set makes h the handler of the requests from now on.
func (s *Swap) Set(h http.Handler) { s.h.Store(&h) }

// ServeHTTP serves the request with the handler set last, or answers 503
// before the first Set.
func (s *Swap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, "feedmill is starting", http.StatusServiceUnavailable)
}
