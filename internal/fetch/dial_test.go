package fetch

import (
	"net/netip"
	"testing"
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
