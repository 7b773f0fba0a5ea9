package fetch

import (
	"net/netip"
	"sync"
	"testing"
)

// testServers holds the addresses AllowTestServer let through, with how
// many tests hold each. It stays empty outside test binaries.
var testServers struct {
	sync.Mutex
	allowed map[netip.AddrPort]int
}

// AllowTestServer lets connections to hostport (an httptest server's
// "127.0.0.1:port") through until tb ends, although item links, proxied
// images and sources under deny_private_networks may never reach loopback
// otherwise. It is the tests' way in to the checks and only theirs: it
// panics outside a test binary, so neither a configuration nor a program
// can reopen the hole with it, and it opens one address and port, not
// loopback.
func AllowTestServer(tb testing.TB, hostport string) {
	tb.Helper()
	if !testing.Testing() {
		panic("fetch.AllowTestServer called outside a test")
	}
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		tb.Fatalf("AllowTestServer(%q): %v", hostport, err)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	testServers.Lock()
	if testServers.allowed == nil {
		testServers.allowed = map[netip.AddrPort]int{}
	}
	testServers.allowed[ap]++
	testServers.Unlock()
	tb.Cleanup(func() {
		testServers.Lock()
		defer testServers.Unlock()
		if testServers.allowed[ap]--; testServers.allowed[ap] <= 0 {
			delete(testServers.allowed, ap)
		}
	})
}

func testServerAllowed(ap netip.AddrPort) bool {
	testServers.Lock()
	defer testServers.Unlock()
	return testServers.allowed[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())] > 0
}
