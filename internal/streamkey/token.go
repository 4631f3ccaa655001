package streamkey

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"
)

// version is the token prefix of this format.
const version = "ss1"

// A token is "ss1.<kid>.<payload>.<check>.<mac>", all base64url without
// padding:
//
//	payload = the claims text
//	check   = T1[:9]                                   (12 characters)
//	mac     = T3                                        (43 characters)
//	T1      = HMAC-SHA256(key, "ss1.<kid>.<payload>")
//	T3      = HMAC-SHA256(key, "ss1.<kid>.<payload>.<check>" ‖ "\n" ‖ ip ‖ "\n" ‖ ua)
//
// ip is the bound form of the client address ("" when unbound) and ua the
// User-Agent ("" when unbound). T3 is the MAC that grants access. It
// covers every transmitted byte before it, so no part of a token can be
// changed; the transmitted text contains no newline, ip none either, ua
// comes last, and the claims say which are bound, so no two inputs give the
// same message. The check value T1 is consulted only once T3 has failed, to
// tell a forged or altered token (T1 fails) from a genuine one presented
// from another address or by another user agent; the claims' address hint
// then says which of the two.
const (
	checkBytes = 9
	checkLen   = 12
	macLen     = 43 // 32 bytes; the last character carries 2 spare zero bits

	// MaxPayloadLen is the longest payload (the encoded claims) of a
	// well-formed token, and MaxTokenLen the longest token, in bytes: the
	// edge function's renderer writes both into its code.
	MaxPayloadLen = (maxClaimsBytes*8 + 5) / 6
	MaxTokenLen   = len(version) + 1 + maxKeyIDLen + 1 + MaxPayloadLen + 1 + checkLen + 1 + macLen
)

var b64 = base64.RawURLEncoding.Strict()

// Grant describes a token to mint.
type Grant struct {
	// Expires is when the token stops working. Required.
	Expires time.Time
	// NotBefore is when it starts working; zero for "now".
	NotBefore time.Time
	// Paths are 1 to 8 path patterns: exact paths, or prefixes ending in '*'.
	Paths []string
	// Host binds the token to one host, a DNS name (labels joined by
	// single dots) or IPv4 address, lower-cased, without a port or one
	// final dot; "" for any host.
	Host string
	// IPBinding and ClientIP bind the token to the client address.
	IPBinding IPBinding
	ClientIP  string
	// BindUserAgent and UserAgent bind the token to the exact User-Agent.
	BindUserAgent bool
	UserAgent     string
	// SessionID is an optional session id: 1 to 64 of A-Z a-z 0-9 . _ ~ -.
	SessionID string
	// Data is optional opaque data: 1 to 256 printable ASCII characters.
	Data string
}

// Mint signs a token for g with the key kid.
func (r *Ring) Mint(kid string, g Grant) (string, error) {
	k := r.lookup(kid)
	if k == nil {
		return "", fmt.Errorf("streamkey: no key %q in the ring", kid)
	}
	if k.Seed {
		return "", fmt.Errorf("streamkey: key %q is the original deployment's seed key, which signs only seed-format keys "+
			"(seed.Mint); sign ss1 tokens with another key of the ring", kid)
	}
	m := k.get()
	defer k.put(m)
	bound, err := g.boundIP(append(m.aux[:0], '\n'))
	if err != nil {
		return "", fmt.Errorf("streamkey: %w", err)
	}
	m.aux = bound // keep any growth for the next use
	claims, err := g.appendClaims(m.buf, bound[1:])
	if err != nil {
		return "", fmt.Errorf("streamkey: %w", err)
	}

	tok := make([]byte, 0, len(version)+2+len(kid)+b64.EncodedLen(len(claims))+1+checkLen+1+macLen)
	tok = append(tok, version...)
	tok = append(tok, '.')
	tok = append(tok, kid...)
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, claims)
	m.write(tok)
	t1 := m.finish()
	n := len(tok)
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, t1[:checkBytes])
	m.write(tok[n:])
	m.write(bound)
	m.writeString("\n")
	if g.BindUserAgent {
		m.writeString(g.UserAgent)
	}
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, m.finish())
	// tok is never written again, so the string can share its memory.
	return unsafe.String(unsafe.SliceData(tok), len(tok)), nil
}

// appendBound appends "\n" and the bound form of the address ("" when
// the address is unbound or invalid).
func appendBound(b []byte, a netip.Addr, mode IPBinding) []byte {
	b = append(b, '\n')
	if mode == IPOff || !a.IsValid() {
		return b
	}
	return appendIPBinding(b, a, mode)
}

// Request is what the verifier knows about the HTTP request.
type Request struct {
	// Now is the time to check against; zero means time.Now().
	Now time.Time
	// Path is the request path as received (percent-encoded, no query).
	Path string
	// Host is the Host header.
	Host string
	// ClientIP is the address the request came from.
	ClientIP string
	// UserAgent is the User-Agent header ("" when absent).
	UserAgent string
}

// Verifier checks tokens against a ring and a lifetime policy. The policy
// is whole seconds in the ranges TimeLimits gives. A Verifier with an
// invalid policy refuses every genuine token as lifetime.
type Verifier struct {
	Ring *Ring
	// MaxLifetime is the longest a token may still be valid for; tokens
	// whose exp is further away are refused even if genuine, so a leaked
	// issuer key or a misconfigured issuer cannot hand out long-lived
	// tokens. Whole seconds, 1s to 7 days; zero means
	// DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Leeway is the clock skew tolerated between issuer and edge, applied
	// to nbf and to the lifetime check (not to exp). Whole seconds, up to
	// an hour; zero means DefaultLeeway, and NoLeeway asks for none.
	Leeway time.Duration
}

// The verifier's time policy: defaults and limits.
const (
	DefaultMaxLifetime = 24 * time.Hour
	DefaultLeeway      = 30 * time.Second
	// longestMaxLifetime and longestLeeway bound the policy, so that the
	// edge function's arithmetic stays exact and a typo cannot switch the
	// lifetime check off.
	longestMaxLifetime = 7 * 24 * time.Hour
	longestLeeway      = time.Hour
	// NoLeeway is a leeway of zero. (A zero Leeway means DefaultLeeway,
	// so that a policy left unset tolerates the usual clock skew.)
	NoLeeway time.Duration = -1
)

// CheckTime returns the time a token is checked at, in Unix seconds: now,
// or the current time when now is zero, as Request.Now (and cat's) says.
func CheckTime(now time.Time) int64 {
	if now.IsZero() {
		now = time.Now()
	}
	return now.Unix()
}

// TimeLimits resolves a time policy, as the Verifier (ss1 and seed format)
// and the edge function apply it, to whole seconds: the leeway, and the
// bound on exp - now, which is maxLifetime + leeway. Zero means the
// default and NoLeeway a leeway of zero. It refuses a value that is not
// whole seconds or out of range, saying which range.
func TimeLimits(maxLifetime, leeway time.Duration) (leewaySec, boundSec int64, err error) {
	if maxLifetime == 0 {
		maxLifetime = DefaultMaxLifetime
	}
	switch leeway {
	case 0:
		leeway = DefaultLeeway
	case NoLeeway:
		leeway = 0
	}
	if maxLifetime < time.Second || maxLifetime > longestMaxLifetime || maxLifetime%time.Second != 0 {
		return 0, 0, fmt.Errorf("the maximum lifetime %s must be whole seconds from 1s to %s (0 means the default, %s)",
			maxLifetime, longestMaxLifetime, DefaultMaxLifetime)
	}
	if leeway < 0 || leeway > longestLeeway || leeway%time.Second != 0 {
		return 0, 0, fmt.Errorf("the leeway %s must be whole seconds up to %s (0 means the default, %s; NoLeeway means none)",
			leeway, longestLeeway, DefaultLeeway)
	}
	return int64(leeway / time.Second), int64((maxLifetime + leeway) / time.Second), nil
}

// validate reports whether the verifier can check tokens: a ring, and a
// time policy TimeLimits accepts.
func (v *Verifier) validate() error {
	if v.Ring == nil {
		return errors.New("streamkey: the verifier has no key ring")
	}
	if _, _, err := TimeLimits(v.MaxLifetime, v.Leeway); err != nil {
		return fmt.Errorf("streamkey: %w", err)
	}
	return nil
}

// Result is the verdict on a token.
type Result struct {
	Reason Reason
	// KeyID is the token's key id, once the token is well-formed.
	KeyID string
	// Expires and NotBefore (Unix seconds), and SessionID and Data, are set
	// once the MAC has been checked.
	Expires, NotBefore int64
	SessionID, Data    string
}

// OK reports whether the token was accepted.
func (r Result) OK() bool { return r.Reason == OK }

// Err returns nil for an accepted token, else an error naming the reason.
func (r Result) Err() error {
	if r.Reason == OK {
		return nil
	}
	return &verifyError{Reason: r.Reason, KeyID: r.KeyID}
}

// verifyError is a refused token's reason as an error.
type verifyError struct {
	Reason Reason
	KeyID  string
}

func (e *verifyError) Error() string {
	if e.KeyID != "" {
		return "stream key refused: " + e.Reason.String() + " (kid " + e.KeyID + ")"
	}
	return "stream key refused: " + e.Reason.String()
}

// Verify checks token against the request. It never panics, whatever the
// input, and allocates only to copy a session id or data out of the token.
//
// Checks run in this order, and the first failure is the reason:
// malformed shape (parts, lengths, alphabet, canonical base64url), unknown
// kid, malformed claims, MAC (bad_mac, ip, ua), expired, not_yet_valid,
// lifetime, path, host.
func (v *Verifier) Verify(token string, req Request) Result {
	var res Result
	kid, payload, check, mac, ok := splitToken(token)
	if !ok {
		res.Reason = Malformed
		return res
	}
	res.KeyID = kid
	k := v.Ring.lookup(kid)
	if k == nil || k.Seed { // a seed key verifies seed-format keys only
		res.Reason = UnknownKey
		return res
	}
	var buf [maxClaimsBytes]byte
	n, err := b64.Decode(buf[:], bytesOf(payload))
	if err != nil {
		res.Reason = Malformed
		return res
	}
	rc, err := parseClaims(buf[:n])
	if err != nil {
		res.Reason = Malformed
		return res
	}
	var t3 [32 + 1]byte
	if _, err := b64.Decode(t3[:], bytesOf(mac)); err != nil {
		res.Reason = Malformed // unreachable: splitToken checked it
		return res
	}

	m := k.get()
	defer k.put(m)
	var addr netip.Addr
	if rc.ipMode != IPOff {
		addr, _ = parseClientIP(req.ClientIP) // invalid: bound as "", which never matches
	}
	m.writeString(token[:len(token)-macLen-1])
	m.buf = appendBound(m.buf[:0], addr, rc.ipMode)
	m.write(m.buf)
	m.writeString("\n")
	if rc.uaBound {
		m.writeString(req.UserAgent)
	}
	if !hmac.Equal(m.finish(), t3[:32]) {
		res.Reason = diagnose(m, token[:len(token)-macLen-checkLen-2], check, &rc)
		return res
	}

	res.Expires, res.NotBefore = rc.exp, rc.nbf
	if rc.sid != nil {
		res.SessionID = string(rc.sid)
	}
	if rc.data != nil {
		res.Data = string(rc.data)
	}
	res.Reason = v.check(&rc, req)
	return res
}

// diagnose runs after T3 failed. T1 says whether the transmitted text is
// genuine; if it is, the address hint says whether the address differs,
// and otherwise the user agent must. m.buf still holds the bound address.
// A genuine token whose mac alone was altered reads as a user-agent
// mismatch when the user agent is bound; it is refused either way.
func diagnose(m *macState, si, check string, rc *rawClaims) Reason {
	var want [checkLen]byte
	m.start()
	m.writeString(si)
	b64.Encode(want[:], m.finish()[:checkBytes])
	if !hmac.Equal(want[:], bytesOf(check)) {
		return BadMAC
	}
	if rc.ipMode != IPOff && (len(m.buf) == 1 || ipHint(m.buf[1:]) != rc.ipHint) {
		return IP
	}
	if rc.uaBound {
		return UserAgent
	}
	// Nothing else can differ: T3 itself was altered (or, 1 time in 256,
	// the address differs with an equal hint).
	return BadMAC
}

// check applies the claims, already authenticated, to the request.
func (v *Verifier) check(rc *rawClaims, req Request) Reason {
	t := CheckTime(req.Now)
	leeway, bound, err := TimeLimits(v.MaxLifetime, v.Leeway)
	switch {
	case t >= rc.exp:
		return Expired
	case rc.nbf != 0 && t+leeway < rc.nbf:
		return NotYetValid
	case err != nil || rc.exp-t > bound:
		return Lifetime
	case !SafePath(req.Path) || !rc.matchAny(req.Path):
		return Path
	case rc.host != nil && !hostMatches(rc.host, req.Host):
		return Host
	}
	return OK
}

func (rc *rawClaims) matchAny(p string) bool {
	for _, pat := range rc.paths[:rc.npaths] {
		if MatchPath(unsafe.String(unsafe.SliceData(pat), len(pat)), p) {
			return true
		}
	}
	return false
}

// splitToken checks the token's shape — "ss1.<kid>.<payload>.<check>.<mac>"
// with a valid key id and base64url parts of the right lengths — without
// decoding.
func splitToken(t string) (kid, payload, check, mac string, ok bool) {
	if len(t) > MaxTokenLen || len(t) < len(version)+1+macLen || !strings.HasPrefix(t, version+".") {
		return
	}
	rest := t[len(version)+1:]
	parts := [4]string{}
	for i := 0; i < 3; i++ {
		j := strings.IndexByte(rest, '.')
		if j < 0 {
			return
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[3] = rest
	kid, payload, check, mac = parts[0], parts[1], parts[2], parts[3]
	if ValidKeyID(kid) != nil || len(check) != checkLen || len(mac) != macLen ||
		len(payload) == 0 || len(payload) > MaxPayloadLen ||
		!isB64URL(payload) || !isB64URL(check) || !isB64URL(mac) ||
		!canonicalTail(payload) || !canonicalTail(mac) {
		return
	}
	return kid, payload, check, mac, true
}

// canonicalTail reports whether unpadded base64url text has a length it can
// have and zero spare bits in its last character, so that every byte
// string has exactly one spelling.
func canonicalTail(s string) bool {
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return strings.IndexByte("AQgw", s[len(s)-1]) >= 0
	case 3:
		return strings.IndexByte("AEIMQUYcgkosw048", s[len(s)-1]) >= 0
	}
	return true
}

func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if !b64URLAlphabet[s[i]] {
			return false
		}
	}
	return true
}

// b64URLAlphabet marks the base64url characters (also the key id alphabet).
var b64URLAlphabet = func() (t [256]bool) {
	for c := range t {
		t[c] = isKeyIDChar(byte(c))
	}
	return t
}()

// bytesOf views a string's bytes without copying. The slice must never be
// written; it is only handed to hashing, decoding and comparison, which
// read.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Inspect decodes a token's key id and claims without checking its MAC,
// for debugging a refusal. Never use its output to grant access.
func Inspect(token string) (kid string, c Claims, err error) {
	kid, payload, _, _, ok := splitToken(token)
	if !ok {
		return "", c, errors.New("streamkey: not a " + version + " token (want ss1.<kid>.<payload>.<check>.<mac>)")
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return kid, c, fmt.Errorf("streamkey: payload is not canonical base64url: %w", err)
	}
	rc, err := parseClaims(raw)
	if err != nil {
		return kid, c, fmt.Errorf("streamkey: payload is not valid claims text: %q", raw)
	}
	return kid, rc.toClaims(), nil
}
