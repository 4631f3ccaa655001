package cat

import "github.com/securestream/terraform-provider-securestream/internal/streamkey"

// Reason says why a token was accepted or refused. Its String form is a
// stable, lower-case code; where a check has an ss1 counterpart the code
// is the same as package streamkey's (missing, malformed, unknown_kid,
// bad_mac, expired, not_yet_valid, lifetime, path, host, ip), so that the
// edge function answers both formats with one set of 403 reasons. The
// codes with no ss1 counterpart are alg, unsupported, iss, aud, scheme and
// method.
type Reason uint8

// The reasons, in the order of their values. Verify checks, in this order:
// the envelope (malformed), the key id (unknown_kid), the algorithm pinned
// to that key (alg), the MAC (bad_mac), then the claims of a genuine token:
// their encoding (malformed), claims or values it does not implement
// (unsupported), expired, not_yet_valid, lifetime, iss, aud, and the
// request: scheme, host, path, method, ip. The first failure is the reason.
const (
	// OK: the token is genuine and valid for this request.
	OK Reason = iota
	// Missing: there is no token.
	Missing
	// Malformed: not an HS256 COSE_Mac0 CWT as this package reads it
	// (base64url, CBOR, envelope, header or claim encoding), or longer
	// than MaxTokenLen.
	Malformed
	// UnknownKey: the kid names no key of the ring, or there is no kid.
	UnknownKey
	// WrongAlg: the token's algorithm is not the one pinned to its key (only
	// HS256, COSE alg 5, is implemented; RFC 8392's HMAC 256/64, alg 4,
	// is refused here).
	WrongAlg
	// BadMAC: the MAC does not match; the token was altered or forged.
	BadMAC
	// Unsupported: a genuine token carries a claim, a value, a critical
	// claim or a catu component or match type this verifier does not
	// implement (or catr while renewal is off). Failing closed keeps a
	// restriction the issuer meant from being ignored.
	Unsupported
	// Expired: the current time is at or past exp.
	Expired
	// NotYetValid: the current time plus leeway is before nbf.
	NotYetValid
	// Lifetime: exp lies further ahead than the verifier's maximum
	// lifetime allows, or the token has no exp at all.
	Lifetime
	// Issuer: iss is not the issuer the verifier expects.
	Issuer
	// Audience: aud does not name the verifier's audience, or the
	// verifier expects one and the token has none.
	Audience
	// Scheme: catu's scheme component does not match the request.
	Scheme
	// Host: catu's host component does not match the request's host.
	Host
	// Path: catu's path or extension component does not match the
	// request path, or the path is not in the canonical form that
	// streamkey.SafePath accepts.
	Path
	// Method: the request method is not in catm.
	Method
	// IP: the client address is in none of catnip's addresses and prefixes.
	IP
)

// reasonCodes takes the codes a check shares with ss1 from package
// streamkey, so the two formats cannot drift apart in the 403 reasons the
// edge function gives.
var reasonCodes = [...]string{
	OK:          streamkey.OK.String(),
	Missing:     streamkey.Missing.String(),
	Malformed:   streamkey.Malformed.String(),
	UnknownKey:  streamkey.UnknownKey.String(),
	WrongAlg:    "alg",
	BadMAC:      streamkey.BadMAC.String(),
	Unsupported: "unsupported",
	Expired:     streamkey.Expired.String(),
	NotYetValid: streamkey.NotYetValid.String(),
	Lifetime:    streamkey.Lifetime.String(),
	Issuer:      "iss",
	Audience:    "aud",
	Scheme:      "scheme",
	Host:        streamkey.Host.String(),
	Path:        streamkey.Path.String(),
	Method:      "method",
	IP:          streamkey.IP.String(),
}

// String returns the reason's stable code, e.g. "bad_mac".
func (r Reason) String() string {
	if int(r) < len(reasonCodes) {
		return reasonCodes[r]
	}
	return "unknown"
}

// Reasons lists every reason, for tests and documentation.
func Reasons() []Reason {
	rs := make([]Reason, len(reasonCodes))
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}
