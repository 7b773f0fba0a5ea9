package imgproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/feedmill/feedmill/internal/fetch"
	"github.com/feedmill/feedmill/internal/imgproxy"
)

// heapPeak samples the bytes of live and not yet collected heap objects
// until stop is closed, and returns the largest figure seen.
func heapPeak(stop <-chan struct{}) func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	return func() uint64 { <-done; return peak.Load() }
}

// 200 clients asking at once for 200 distinct 10 MiB images keep the
// proxy's memory bounded: each is answered with the image or a 503, and
// the heap never holds much more than the images in flight the proxy
// allows (64 MiB by default), whatever the number of requests.
func TestProxyMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2 GB through loopback")
	}
	const (
		clients = 200
		size    = 10 << 20
		// bound is the proxy's 64 MiB of images in flight, plus the
		// garbage the collector leaves at GOGC=25 and 200 connections'
		// buffers on both ends.
		bound = 160 << 20
	)
	img := make([]byte, size)
	copy(img, png)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(img)
	}))
	defer up.Close()
	fetch.AllowTestServer(t, up.Listener.Addr().String())
	signer := imgproxy.NewSigner([]byte("test key of enough length"))
	// No cache: the bound is on what is in flight.
	proxy := httptest.NewServer(imgproxy.New(imgproxy.Options{Signer: signer, CacheBytes: -1}))
	defer proxy.Close()

	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	stop := make(chan struct{})
	peak := heapPeak(stop)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	var ok, busy atomic.Int32
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			u := proxy.URL + signer.URL("/img", fmt.Sprintf("%s/%d.png", up.URL, i))
			resp, err := client.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			switch {
			case resp.StatusCode == http.StatusOK && n == size && err == nil:
				ok.Add(1)
			case resp.StatusCode == http.StatusServiceUnavailable:
				busy.Add(1)
			default:
				t.Errorf("image %d: status %d, %d bytes, %v", i, resp.StatusCode, n, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	p := peak()
	t.Logf("%d images served, %d answered 503; heap peak %d MiB (bound %d MiB)", ok.Load(), busy.Load(), p>>20, bound>>20)
	if ok.Load() == 0 {
		t.Error("no image was served")
	}
	if p > bound {
		t.Errorf("heap peak %d MiB, want at most %d MiB", p>>20, bound>>20)
	}
}
