package streamkey

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Version is the token prefix of this format.
const Version = "ss1"

// Token size limits.
const (
	sigLen        = 43 // base64url of 32 bytes, no padding
	maxPayloadLen = (MaxClaimsBytes*8 + 5) / 6
	// MaxTokenLen is the longest well-formed token.
	MaxTokenLen = len(Version) + 1 + MaxKeyIDLen + 1 + maxPayloadLen + 1 + sigLen
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
	// Host binds the token to one Host header value; "" for any host.
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
	c, err := g.claims()
	if err != nil {
		return "", fmt.Errorf("streamkey: %w", err)
	}
	m := k.get()
	defer k.put(m)

	if g.IPBinding != IPOff {
		a, _ := ParseClientIP(g.ClientIP) // checked by claims
		m.buf = appendIPBinding(appendTagPrefix(m.buf[:0], "ip", c.Expires), a, g.IPBinding)
		c.ipTag = encodeTag(m)
	}
	if g.BindUserAgent {
		m.buf = append(appendTagPrefix(m.buf[:0], "ua", c.Expires), g.UserAgent...)
		c.uaTag = encodeTag(m)
	}

	claims := appendClaims(m.buf[:0], &c)
	if len(claims) > MaxClaimsBytes {
		return "", fmt.Errorf("streamkey: the claims take %d bytes; the limit is %d (use fewer or shorter path patterns, or shorter data)", len(claims), MaxClaimsBytes)
	}
	tok := make([]byte, 0, len(Version)+2+len(kid)+b64.EncodedLen(len(claims))+1+sigLen)
	tok = append(tok, Version...)
	tok = append(tok, '.')
	tok = append(tok, kid...)
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, claims)
	m.h.Reset()
	sum := m.mac(tok)
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, sum)
	return string(tok), nil
}

// claims validates a grant and turns it into claims (without tags).
func (g *Grant) claims() (Claims, error) {
	var c Claims
	if g.Expires.IsZero() {
		return c, errors.New("the token needs an expiry time")
	}
	c.Expires = g.Expires.Unix()
	if c.Expires <= 0 || c.Expires > maxTime {
		return c, fmt.Errorf("expiry %s is out of range", g.Expires.UTC().Format(time.RFC3339))
	}
	if !g.NotBefore.IsZero() {
		c.NotBefore = g.NotBefore.Unix()
		if c.NotBefore <= 0 || c.NotBefore >= c.Expires {
			return c, fmt.Errorf("not-before %s must be positive and before the expiry %s",
				g.NotBefore.UTC().Format(time.RFC3339), g.Expires.UTC().Format(time.RFC3339))
		}
	}
	if len(g.Paths) == 0 || len(g.Paths) > MaxPatterns {
		return c, fmt.Errorf("the token needs 1 to %d path patterns, got %d", MaxPatterns, len(g.Paths))
	}
	for _, p := range g.Paths {
		cp, err := CanonicalPattern(p)
		if err != nil {
			return c, err
		}
		c.Paths = append(c.Paths, cp)
	}
	if g.Host != "" {
		c.Host = NormalizeHost(g.Host)
		if !validHost(c.Host) {
			return c, fmt.Errorf("host %q must be a DNS name or IPv4 address (a-z, 0-9, '-', '.'; non-ASCII names in punycode)", g.Host)
		}
	}
	switch g.IPBinding {
	case IPOff:
	case IPExact, IPSubnet:
		if _, err := ParseClientIP(g.ClientIP); err != nil {
			return c, fmt.Errorf("ip binding %s: %w", g.IPBinding, err)
		}
	default:
		return c, fmt.Errorf("unknown ip binding %d", g.IPBinding)
	}
	c.IPBinding = g.IPBinding
	c.UserAgentBound = g.BindUserAgent
	if g.SessionID != "" && !validSessionID(g.SessionID) {
		return c, fmt.Errorf("session id %q must be 1 to %d of A-Z a-z 0-9 . _ ~ -", g.SessionID, MaxSessionIDLen)
	}
	c.SessionID = g.SessionID
	if g.Data != "" && !validData(g.Data) {
		return c, fmt.Errorf("data must be 1 to %d printable ASCII characters", MaxDataLen)
	}
	c.Data = g.Data
	return c, nil
}

// appendTagPrefix starts the message of a binding tag:
// "ss1/<label>\n<exp>\n". Putting exp in it makes tags differ between
// tokens, so tokens from one client cannot be linked by their tags.
func appendTagPrefix(b []byte, label string, exp int64) []byte {
	b = append(b, Version...)
	b = append(b, '/')
	b = append(b, label...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, exp, 10)
	return append(b, '\n')
}

// encodeTag MACs m.buf and returns the tag text.
func encodeTag(m *macState) string {
	m.h.Reset()
	sum := m.mac(m.buf)
	return b64.EncodeToString(sum[:tagBytes])
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

// Verifier checks tokens against a ring and a lifetime policy.
type Verifier struct {
	Ring *Ring
	// MaxLifetime is the longest a token may still be valid for; tokens
	// whose exp is further away are refused even if genuine, so a leaked
	// issuer key or a misconfigured issuer cannot hand out long-lived
	// tokens. Zero means DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Leeway is the clock skew tolerated between issuer and edge, applied
	// to nbf and to the lifetime check (not to exp).
	Leeway time.Duration
}

// Defaults for Verifier.
const (
	DefaultMaxLifetime = 24 * time.Hour
	DefaultLeeway      = 30 * time.Second
)

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
	return &VerifyError{Reason: r.Reason, KeyID: r.KeyID}
}

// VerifyError is a refused token's reason as an error.
type VerifyError struct {
	Reason Reason
	KeyID  string
}

func (e *VerifyError) Error() string {
	if e.KeyID != "" {
		return "stream key refused: " + e.Reason.String() + " (kid " + e.KeyID + ")"
	}
	return "stream key refused: " + e.Reason.String()
}

// Verify checks token against the request. It never panics, whatever the
// input, and allocates only to copy a session id or data out of the token.
func (v *Verifier) Verify(token string, req Request) Result {
	var res Result
	kid, payload, sig, ok := splitToken(token)
	if !ok {
		res.Reason = Malformed
		return res
	}
	res.KeyID = kid
	k := v.Ring.lookup(kid)
	if k == nil {
		res.Reason = UnknownKey
		return res
	}
	m := k.get()
	defer k.put(m)

	// The MAC covers the exact transmitted bytes "ss1.<kid>.<payload>".
	var want [sigLen + 1]byte
	b64.Encode(want[:], m.mac(bytesOf(token[:len(token)-sigLen-1])))
	if !hmac.Equal(want[:sigLen], bytesOf(sig)) {
		res.Reason = BadMAC
		return res
	}

	var buf [MaxClaimsBytes]byte
	n, err := b64.Decode(buf[:], bytesOf(payload))
	var rc rawClaims
	if err != nil || parseClaims(buf[:n], &rc) != nil {
		res.Reason = Malformed
		return res
	}
	res.Expires, res.NotBefore = rc.exp, rc.nbf
	if rc.sid != nil {
		res.SessionID = string(rc.sid)
	}
	if rc.data != nil {
		res.Data = string(rc.data)
	}
	res.Reason = v.check(&rc, req, m)
	return res
}

func (v *Verifier) check(rc *rawClaims, req Request, m *macState) Reason {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	t := now.Unix()
	leeway := int64(v.Leeway / time.Second)
	maxLife := int64(v.MaxLifetime / time.Second)
	if maxLife <= 0 {
		maxLife = int64(DefaultMaxLifetime / time.Second)
	}
	switch {
	case t >= rc.exp:
		return Expired
	case rc.nbf != 0 && t+leeway < rc.nbf:
		return NotYetValid
	case rc.exp-t > maxLife+leeway:
		return Lifetime
	}

	if !SafePath(req.Path) || !rc.matchAny(req.Path) {
		return Path
	}
	if rc.host != nil && !hostMatches(rc.host, req.Host) {
		return Host
	}
	if rc.ipMode != IPOff {
		a, err := ParseClientIP(req.ClientIP)
		if err != nil {
			return IP
		}
		m.buf = appendIPBinding(appendTagPrefix(m.buf[:0], "ip", rc.exp), a, rc.ipMode)
		if !m.tagEqual(rc.ipTag) {
			return IP
		}
	}
	if rc.uaBound {
		m.buf = append(appendTagPrefix(m.buf[:0], "ua", rc.exp), req.UserAgent...)
		if !m.tagEqual(rc.uaTag) {
			return UserAgent
		}
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

// tagEqual MACs m.buf and compares its tag text with tag in constant time.
func (m *macState) tagEqual(tag []byte) bool {
	m.h.Reset()
	sum := m.mac(m.buf)
	var enc [tagLen]byte
	b64.Encode(enc[:], sum[:tagBytes])
	return hmac.Equal(enc[:], tag)
}

// splitToken checks the token's shape — "ss1.<kid>.<payload>.<sig>" with a
// valid key id and base64url payload and signature — without decoding.
func splitToken(t string) (kid, payload, sig string, ok bool) {
	if len(t) > MaxTokenLen || !strings.HasPrefix(t, Version+".") {
		return
	}
	rest := t[len(Version)+1:]
	i := strings.IndexByte(rest, '.')
	if i < 0 {
		return
	}
	kid, rest = rest[:i], rest[i+1:]
	if i = strings.IndexByte(rest, '.'); i < 0 {
		return
	}
	payload, sig = rest[:i], rest[i+1:]
	if ValidKeyID(kid) != nil || len(sig) != sigLen || !isB64URL(sig) ||
		len(payload) == 0 || len(payload) > maxPayloadLen || len(payload)%4 == 1 || !isB64URL(payload) {
		return
	}
	return kid, payload, sig, true
}

func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isKeyIDChar(c) { // the key id alphabet is the base64url alphabet
			return false
		}
	}
	return true
}

// bytesOf views a string's bytes without copying. The slice must never be
// written; it is only handed to hashing and comparison, which read.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Inspect decodes a token's key id and claims without checking its MAC,
// for debugging a refusal. Never use its output to grant access.
func Inspect(token string) (kid string, c Claims, err error) {
	kid, payload, _, ok := splitToken(token)
	if !ok {
		return "", c, errors.New("streamkey: not a " + Version + " token (want ss1.<kid>.<payload>.<sig>)")
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return kid, c, fmt.Errorf("streamkey: payload is not base64url: %w", err)
	}
	var rc rawClaims
	if err := parseClaims(raw, &rc); err != nil {
		return kid, c, fmt.Errorf("streamkey: payload is not valid claims text: %q", raw)
	}
	return kid, rc.toClaims(), nil
}
