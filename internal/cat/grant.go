package cat

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// This file mints a CAT from the grant an ss1 token is minted from, so
// that the issuer and the provider decide what a key covers once
// (package issuance) and write it in either format. The CAT never covers
// more than the ss1 token would: a grant catu cannot express as it is is
// refused, never widened.

// ErrUserAgentBinding is GrantClaims' error for a grant that binds the
// User-Agent: CTA-5007 has no User-Agent claim, and a CAT without the
// binding would work from any browser the ss1 token would refuse.
var ErrUserAgentBinding = errors.New("a Common Access Token cannot bind the User-Agent (CTA-5007 has no such claim); " +
	"switch the User-Agent binding off (SECURESTREAM_BIND_USER_AGENT=false) or mint ss1 tokens")

// RingFromStreamkey is the ss1 ring's keys as a CAT ring: the same key
// ids and secrets, pinned to HS256, so that one key ring serves both
// formats. The seed key (the original deployment's secret) is left out,
// as ss1 leaves it out: it signs and verifies seed-format keys only.
func RingFromStreamkey(r *streamkey.Ring) (*Ring, error) {
	var keys []Key
	for _, k := range r.Keys() {
		if !k.Seed {
			keys = append(keys, Key{ID: k.ID, Secret: k.Secret, Alg: HS256})
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("cat: the key ring holds only the seed key; a Common Access Token needs a key that signs ss1 tokens")
	}
	return NewRing(keys...)
}

// GrantClaims returns the claims of the CAT that covers what the ss1
// token for g covers, and nothing more:
//
//   - Paths: one pattern (after dropping those another covers) as a catu
//     path condition, exact for an exact path, prefix for "base*"; catu
//     holds one condition per match type and applies them all, so two
//     patterns neither of which covers the other are refused.
//   - Host: a catu host exact condition.
//   - IPBinding: catnip, the address (/32, /128) or its /24 or /64.
//   - Expires, NotBefore: exp and nbf; iat is issuedAt (zero: none).
//   - SessionID: cti, its bytes, so that revoking the session revokes it.
//
// BindUserAgent (ErrUserAgentBinding) and Data, which have no CAT claim,
// are refused. Mint adds catv 1.
func GrantClaims(g streamkey.Grant, issuedAt time.Time) (Claims, error) {
	if g.BindUserAgent {
		return Claims{}, ErrUserAgentBinding
	}
	if g.Data != "" {
		return Claims{}, errors.New("cat: the grant carries data, which a Common Access Token has no claim for")
	}
	c := Claims{Expires: g.Expires, NotBefore: g.NotBefore, IssuedAt: issuedAt}
	path, err := grantPath(g.Paths)
	if err != nil {
		return Claims{}, err
	}
	c.URI = []URIMatch{path}
	if g.Host != "" {
		// As ss1 binds it: lower case, without a port or one final dot.
		h := streamkey.NormalizeHost(g.Host)
		if !dnsOrIPv4(h) {
			return Claims{}, fmt.Errorf("cat: host %q must be a DNS name or IPv4 address with no empty label", g.Host)
		}
		// In component order, as Verify returns catu.
		c.URI = append([]URIMatch{{Component: ComponentHost, Type: MatchExact, Value: h}}, c.URI...)
	}
	if g.IPBinding != streamkey.IPOff {
		p, err := grantNetwork(g.IPBinding, g.ClientIP)
		if err != nil {
			return Claims{}, err
		}
		c.Networks = []netip.Prefix{p}
	}
	if g.SessionID != "" {
		c.ID = []byte(g.SessionID)
	}
	return c, nil
}

// grantPath is the catu path condition covering exactly the union of
// the patterns, or an error when no single condition does.
func grantPath(pats []string) (URIMatch, error) {
	if len(pats) == 0 {
		return URIMatch{}, errors.New("cat: the grant has no path pattern")
	}
	type scope struct {
		base string
		dir  bool
	}
	var scopes []scope
	for _, p := range pats {
		c, err := streamkey.CanonicalPattern(p)
		if err != nil {
			return URIMatch{}, fmt.Errorf("cat: %w", err)
		}
		base, dir := strings.CutSuffix(c, "*")
		scopes = append(scopes, scope{base, dir})
	}
	within := func(a, b scope) bool { // everything a covers, b covers
		if b.dir {
			return strings.HasPrefix(a.base, b.base)
		}
		return !a.dir && a.base == b.base
	}
	// The union is one pattern only if one of them covers all the others.
	for _, w := range scopes {
		all := true
		for _, s := range scopes {
			all = all && within(s, w)
		}
		if all {
			if w.dir {
				return URIMatch{Component: ComponentPath, Type: MatchPrefix, Value: w.base}, nil
			}
			return URIMatch{Component: ComponentPath, Type: MatchExact, Value: w.base}, nil
		}
	}
	return URIMatch{}, fmt.Errorf("cat: the path patterns %s cannot be one catu path condition (catu applies every condition, "+
		"none is an alternative), and a wider one would cover more than the grant; mint one token per pattern", strings.Join(pats, ", "))
}

// grantNetwork is the catnip prefix of an IP binding, read as ss1 reads
// the address (IPv4-mapped IPv6 is its IPv4 form, a zone is refused).
func grantNetwork(b streamkey.IPBinding, ip string) (netip.Prefix, error) {
	canon, err := streamkey.CanonicalIP(ip)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cat: %w", err)
	}
	a := netip.MustParseAddr(canon)
	bits := a.BitLen()
	switch b {
	case streamkey.IPExact:
	case streamkey.IPSubnet:
		bits = 64
		if a.Is4() {
			bits = 24
		}
	default:
		return netip.Prefix{}, fmt.Errorf("cat: unknown IP binding %v", b)
	}
	return a.Prefix(bits)
}

// dnsOrIPv4 accepts what ss1 binds as a host: 1 to 253 of a-z 0-9 - and
// '.', with no empty label.
func dnsOrIPv4(h string) bool {
	if h == "" || len(h) > 253 || h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..") {
		return false
	}
	return strings.Trim(h, "abcdefghijklmnopqrstuvwxyz0123456789-.") == ""
}
