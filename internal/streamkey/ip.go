package streamkey

import (
	"fmt"
	"net/netip"
)

// IPBinding says how a token is tied to the client address.
type IPBinding uint8

const (
	// IPOff: the token works from any address.
	IPOff IPBinding = iota
	// IPExact: only from the exact address it was minted for.
	IPExact
	// IPSubnet: from the same IPv4 /24 or IPv6 /64, which survives the
	// address changes of carrier-grade NAT and IPv6 privacy extensions.
	IPSubnet
)

var ipBindingNames = [...]string{IPOff: "off", IPExact: "exact", IPSubnet: "subnet"}

// String returns "off", "exact" or "subnet".
func (b IPBinding) String() string { return nameOf(ipBindingNames[:], b, "invalid") }

// ParseIPBinding parses "off", "exact" or "subnet".
func ParseIPBinding(s string) (IPBinding, error) {
	if b, ok := valueOf[IPBinding](ipBindingNames[:], s); ok {
		return b, nil
	}
	return 0, fmt.Errorf("ip binding %q must be one of off, exact, subnet", s)
}

// Subnet sizes used by IPSubnet.
const (
	subnetBitsV4 = 24
	subnetBitsV6 = 64
)

// parseClientIP parses a client address the way the token format requires:
// IPv4 in strict dotted-decimal, IPv6 in any RFC 4291 spelling, an
// IPv4-mapped IPv6 address is unmapped to its IPv4 form, and zones are
// refused (a zone names a local interface, never a remote client).
func parseClientIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("client IP %q is not an IPv4 or IPv6 address", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("client IP %q has a zone; remote clients have none", s)
	}
	return a.Unmap(), nil
}

// CanonicalIP returns the normalised text form of a client address:
// IPv4 dotted-decimal, IPv6 compressed as RFC 5952 says (lower case, the
// longest run of zero groups as "::"). "2001:0db8:0:0:0:0:0:1",
// "2001:DB8::1" and "2001:db8::1" all give "2001:db8::1"; "::ffff:192.0.2.1"
// gives "192.0.2.1".
func CanonicalIP(s string) (string, error) {
	a, err := parseClientIP(s)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

// appendIPBinding appends the bound form of addr for mode b: the canonical
// address for IPExact, the masked prefix ("192.0.2.0/24",
// "2001:db8:1:2::/64") for IPSubnet.
func appendIPBinding(dst []byte, a netip.Addr, b IPBinding) []byte {
	if b == IPSubnet {
		bits := subnetBitsV6
		if a.Is4() {
			bits = subnetBitsV4
		}
		p, _ := a.Prefix(bits) // cannot fail: bits fits both families
		return p.AppendTo(dst)
	}
	return a.AppendTo(dst)
}
