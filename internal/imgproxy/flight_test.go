package imgproxy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/imgproxy"
)

// stalled is an upstream that sends an image's headers and half its bytes,
// then waits to be released or cancelled, and says which.
type stalled struct {
	started   chan string   // the path of each request, once its headers are sent
	release   chan struct{} // closed to let the requests finish
	cancelled chan string   // the path of each request whose client went away

	srv *httptest.Server
}

func newStalled(t *testing.T) *stalled {
	s := &stalled{started: make(chan string, 16), release: make(chan struct{}), cancelled: make(chan string, 16)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", "2048")
		w.Write(make([]byte, 1024))
		w.(http.Flusher).Flush()
		s.started <- r.URL.Path
		select {
		case <-s.release:
			w.Write(make([]byte, 1024))
		case <-r.Context().Done():
			s.cancelled <- r.URL.Path
		}
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
	})
	fetch.AllowTestServer(t, s.srv.Listener.Addr().String())
	return s
}

// serve runs one proxy request in the background with its own context.
func serve(h http.Handler, path string) (cancel func(), done <-chan *httptest.ResponseRecorder) {
	ctx, cancelCtx := context.WithCancel(context.Background())
	ch := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil).WithContext(ctx))
		ch <- rec
	}()
	return cancelCtx, ch
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second): // a guard against hanging, not a measure
		t.Fatalf("%s never happened", what)
		panic("unreachable")
	}
}

// The upstream fetch stops when the client that asked for the image goes
// away, unless another request shares it: then it goes on for that one.
func TestProxyCancelsFetchNobodyWaitsFor(t *testing.T) {
	up := newStalled(t)
	signer := imgproxy.NewSigner([]byte("test key of enough length"))
	h := imgproxy.New(imgproxy.Options{Signer: signer})

	t.Run("alone", func(t *testing.T) {
		cancel, done := serve(h, signer.URL("/img", up.srv.URL+"/alone.png"))
		waitFor(t, up.started, "the upstream fetch")
		cancel()
		waitFor(t, done, "the request's end")
		if got := waitFor(t, up.cancelled, "the upstream fetch's cancellation"); got != "/alone.png" {
			t.Errorf("cancelled %s", got)
		}
	})

	t.Run("shared", func(t *testing.T) {
		raw := up.srv.URL + "/shared.png"
		path := signer.URL("/img", raw)
		cancelA, doneA := serve(h, path)
		waitFor(t, up.started, "the upstream fetch")
		_, doneB := serve(h, path)
		for deadline := time.Now().Add(10 * time.Second); h.Sharing(raw) != 2; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("B never joined A's fetch (%d sharing)", h.Sharing(raw))
			}
		}
		cancelA()
		if rec := waitFor(t, doneA, "A's end"); rec.Code == http.StatusOK {
			t.Fatalf("A was served though it left")
		}
		close(up.release)
		rec := waitFor(t, doneB, "B's answer")
		if rec.Code != http.StatusOK || rec.Body.Len() != 2048 {
			t.Errorf("B: status %d, %d bytes; want the image, its fetch not cancelled when A left", rec.Code, rec.Body.Len())
		}
		select {
		case p := <-up.cancelled:
			t.Errorf("the shared fetch of %s was cancelled", p)
		case p := <-up.started:
			t.Errorf("%s was fetched twice", p)
		default:
		}
	})
}

// Beyond MaxFetches, a request waits up to Wait for a slot, then is
// answered 503 with a Retry-After; so is one beyond MaxInFlight.
func TestProxyBusy(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts imgproxy.Options
	}{
		{"fetch slots", imgproxy.Options{MaxFetches: 1, Wait: 20 * time.Millisecond}},
		{"bytes in flight", imgproxy.Options{MaxBytes: 2048, MaxInFlight: 3000, Wait: 20 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newStalled(t)
			signer := imgproxy.NewSigner([]byte("test key of enough length"))
			tc.opts.Signer = signer
			h := imgproxy.New(tc.opts)
			_, first := serve(h, signer.URL("/img", up.srv.URL+"/1.png"))
			waitFor(t, up.started, "the first fetch")
			rec := get(h, signer.URL("/img", up.srv.URL+"/2.png"))
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
				t.Errorf("second image: status %d, Retry-After %q; want 503 with one", rec.Code, rec.Header().Get("Retry-After"))
			}
			close(up.release)
			if rec := waitFor(t, first, "the first image"); rec.Code != http.StatusOK {
				t.Errorf("first image: status %d", rec.Code)
			}
			// Room again once the first image is sent.
			var wg sync.WaitGroup
			wg.Go(func() {
				if rec := get(h, signer.URL("/img", up.srv.URL+"/3.png")); rec.Code != http.StatusOK {
					t.Errorf("third image: status %d", rec.Code)
				}
			})
			wg.Wait()
		})
	}
}
