package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// ErrPrivateNetwork is returned, wrapped, when a request would reach a
// loopback, private, link-local, unspecified, multicast or otherwise
// non-public address: always for item links (see Client.ItemLinks) and
// for the image proxy (see PublicOnly), and for sources when
// deny_private_networks is on.
var ErrPrivateNetwork = errors.New("private network address refused")

// Why a request was refused, said after the address.
const (
	whySources   = "deny_private_networks is on"
	whyItemLinks = "links taken from feeds reach the public internet only"
)

// These ranges are not public either, though net/netip has no predicate
// for them: "this network", carrier-grade NAT (where Alibaba Cloud's
// metadata service is), IETF protocol assignments, documentation and
// benchmarking networks, the reserved 240/4 and broadcast, IPv4-compatible
// IPv6, NAT64 (both reach IPv4's private space) and IPv6 documentation.
var extraPrivate = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// privateKind names why an address is not public, or returns "" for a
// public one.
func privateKind(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !a.IsValid():
		return "an invalid"
	case a.IsLoopback():
		return "a loopback"
	case a.IsPrivate():
		return "a private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local"
	case a.IsUnspecified():
		return "an unspecified"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast"
	}
	for _, p := range extraPrivate {
		if p.Contains(a) {
			return "a non-public"
		}
	}
	return ""
}

func checkAddr(a netip.Addr, why string) error {
	if kind := privateKind(a); kind != "" {
		return fmt.Errorf("%w: %s is %s address (%s)", ErrPrivateNetwork, a.Unmap(), kind, why)
	}
	return nil
}

// publicOnly returns a net.Dialer Control hook refusing connections to
// addresses that are not public. It runs after DNS resolution, on every
// connection, so neither a redirect nor a name that resolves to several
// addresses gets around it. Only the test servers of AllowTestServer are
// let through.
func publicOnly(why string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot read address %q", ErrPrivateNetwork, address)
		}
		if testServerAllowed(ap) {
			return nil
		}
		return checkAddr(ap.Addr(), why)
	}
}

// PublicOnly is a net.Dialer Control hook for clients of their own that
// fetch URLs taken from feeds, such as the image proxy's: it refuses, with
// ErrPrivateNetwork, every connection to an address that is not public.
// It runs after DNS resolution and on every connection, redirects
// included. Such clients must not use a proxy, behind which the dialer
// sees only the proxy's address.
func PublicOnly(network, address string, c syscall.RawConn) error {
	return publicOnly(whyItemLinks)(network, address, c)
}

// dialer makes connections. With deny set, every address it connects to is
// checked after DNS resolution, in the dialer's Control hook, so neither a
// redirect nor a name resolving to several addresses gets around it.
type dialer struct {
	direct  *net.Dialer // checks addresses when deny is set
	trusted *net.Dialer // never checks: for proxies from the environment
	deny    bool
	why     string // why a refused address is refused
	// proxies holds the host:port of proxies from the environment, which
	// the operator chose and which are commonly on a private network.
	proxies sync.Map
}

func newDialer(connectTimeout time.Duration, deny bool, why string) *dialer {
	d := &dialer{
		direct:  &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second},
		trusted: &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second},
		deny:    deny,
		why:     why,
	}
	if deny {
		d.direct.Control = publicOnly(why)
	}
	return d
}

func (d *dialer) trust(hostport string) { d.proxies.Store(hostport, true) }

// isTrusted reports whether hostport is an environment proxy's address.
func (d *dialer) isTrusted(hostport string) bool {
	_, ok := d.proxies.Load(hostport)
	return ok
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if _, ok := d.proxies.Load(addr); ok {
		return d.trusted.DialContext(ctx, network, addr)
	}
	return d.direct.DialContext(ctx, network, addr)
}

// checkHost resolves host and refuses it when any of its addresses is not
// public. It guards requests sent through a proxy, which resolves the
// name itself where the dialer cannot see it.
func checkHost(ctx context.Context, host, why string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		return checkAddr(a, why)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := checkAddr(a, why); err != nil {
			return err
		}
	}
	return nil
}
