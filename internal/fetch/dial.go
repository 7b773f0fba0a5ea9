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

// ErrPrivateNetwork is returned, wrapped, when deny_private_networks is on
// and a request would reach a loopback, private, link-local, unspecified
// or multicast address.
var ErrPrivateNetwork = errors.New("private network address refused")

// sharedAddressSpace (100.64.0.0/10, carrier-grade NAT) and "this network"
// (0.0.0.0/8) are not public either, though net/netip has no predicate for
// them.
var extraPrivate = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// privateKind names why an address is not public, or returns "" for a
// public one.
func privateKind(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
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

func checkAddr(a netip.Addr) error {
	if kind := privateKind(a); kind != "" {
		return fmt.Errorf("%w: %s is %s address (deny_private_networks is on)", ErrPrivateNetwork, a.Unmap(), kind)
	}
	return nil
}

// dialer makes connections. With deny set, every address it connects to is
// checked after DNS resolution, in the dialer's Control hook, so neither a
// redirect nor a name resolving to several addresses gets around it.
type dialer struct {
	direct  *net.Dialer // checks addresses when deny is set
	trusted *net.Dialer // never checks: for proxies from the environment
	deny    bool
	// proxies holds the host:port of proxies from the environment, which
	// the operator chose and which are commonly on a private network.
	proxies sync.Map
}

func newDialer(connectTimeout time.Duration, deny bool) *dialer {
	d := &dialer{
		direct:  &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second},
		trusted: &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second},
		deny:    deny,
	}
	if deny {
		d.direct.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot read address %q", ErrPrivateNetwork, address)
			}
			return checkAddr(ap.Addr())
		}
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
func checkHost(ctx context.Context, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		return checkAddr(a)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return err
		}
	}
	return nil
}
