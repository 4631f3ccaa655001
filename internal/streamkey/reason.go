package streamkey

// Reason says why a token was accepted or refused. Its String form is the
// stable, lower-case code that the issuer, the edge function and the
// shared test vectors use, so operators can grep for it.
type Reason uint8

// The reasons, in the order of their values (the order Reasons lists
// them), which is not the order of the checks. Verify checks the token's
// shape (malformed), its key id (unknown_kid), its claims text
// (malformed), then its MAC, a failure of which it reports as bad_mac, ip
// or ua, and then, on a genuine token, expired, not_yet_valid, lifetime,
// path and host, in that order; the first failure is the reason.
// seed.Verify checks the key and policy's shape (malformed), the seed key
// (unknown_kid), the MAC (bad_mac), then expired, lifetime and path.
// The edge function alone reports missing.
const (
	// OK: the token is genuine and valid for this request.
	OK Reason = iota
	// Missing: the request carried no token (edge function only).
	Missing
	// Malformed: the token is not in the format at all (wrong
	// number of parts, bad base64, bad claims text, values out of range).
	Malformed
	// UnknownKey: the key id names no key in the ring (a
	// rotated-out key, or a token for another deployment).
	UnknownKey
	// BadMAC: the signature does not match; the token was altered
	// or forged.
	BadMAC
	// Expired: the current time is at or past exp.
	Expired
	// NotYetValid: the current time plus leeway is before nbf.
	NotYetValid
	// Lifetime: exp lies further in the future than the verifier's
	// maximum token lifetime allows.
	Lifetime
	// Path: the request path is not covered by any of the token's path
	// patterns, or it is not in canonical form (dot segments, "//",
	// encoded slashes or dots, control characters).
	Path
	// Host: the request Host is not the host the token was minted for.
	Host
	// IP: the client address (or its /24 or /64) is not the one bound.
	IP
	// UserAgent: the User-Agent is not the one bound.
	UserAgent
)

var reasonCodes = [...]string{
	OK:          "ok",
	Missing:     "missing",
	Malformed:   "malformed",
	UnknownKey:  "unknown_kid",
	BadMAC:      "bad_mac",
	Expired:     "expired",
	NotYetValid: "not_yet_valid",
	Lifetime:    "lifetime",
	Path:        "path",
	Host:        "host",
	IP:          "ip",
	UserAgent:   "ua",
}

// String returns the reason's stable code, e.g. "bad_mac".
func (r Reason) String() string { return nameOf(reasonCodes[:], r, "unknown") }

// parseReason maps a code produced by String back to its Reason.
func parseReason(code string) (Reason, bool) { return valueOf[Reason](reasonCodes[:], code) }

// Reasons lists every reason, for tests and documentation.
func Reasons() []Reason {
	rs := make([]Reason, len(reasonCodes))
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}
