package fetch

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPrivateKind(t *testing.T) {
	cases := map[string]bool{ // address: refused
		"127.0.0.1":        true,
		"127.8.9.10":       true,
		"10.1.2.3":         true,
		"172.16.0.1":       true,
		"192.168.1.1":      true,
		"169.254.169.254":  true, // cloud metadata
		"0.0.0.0":          true,
		"0.1.2.3":          true,
		"100.64.0.1":       true,
		"224.0.0.1":        true,
		"::1":              true,
		"::":               true,
		"fe80::1":          true,
		"fc00::1":          true,
		"fd12:3456::1":     true,
		"ff02::1":          true,
		"::ffff:127.0.0.1": true,
		"::ffff:10.0.0.1":  true,
		"192.0.2.1":        true, // documentation
		"198.18.0.1":       true, // benchmarking
		"240.0.0.1":        true,
		"255.255.255.255":  true,
		"64:ff9b::a00:1":   true, // NAT64 of 10.0.0.1
		"::7f00:1":         true, // IPv4-compatible 127.0.0.1
		"2001:db8::1":      true,
		"1.1.1.1":          false,
		"2606:4700::1111":  false,
		"8.8.8.8":          false,
		"172.32.0.1":       false,
		"100.128.0.1":      false,
		"2001:4860::8888":  false,
		"::ffff:8.8.8.8":   false,
	}
	for addr, refused := range cases {
		if got := privateKind(netip.MustParseAddr(addr)) != ""; got != refused {
			t.Errorf("%s: refused = %v, want %v", addr, got, refused)
		}
	}
}

func TestLimiterHostDelay(t *testing.T) {
	const delay = 20 * time.Millisecond
	l := newLimiter(4, 2, delay)
	var mu sync.Mutex
	starts := map[string][]time.Time{}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			host := []string{"a:80", "b:80"}[i%2]
			release, err := l.acquire(t.Context(), host)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			starts[host] = append(starts[host], time.Now())
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			release()
		})
	}
	wg.Wait()
	for host, ts := range starts {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-1]); gap < delay-5*time.Millisecond {
				t.Errorf("%s: starts %d and %d are %s apart, want at least %s", host, i-1, i, gap, delay)
			}
		}
	}
}
