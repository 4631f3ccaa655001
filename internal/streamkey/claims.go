package streamkey

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims is what a token says, as decoded from its payload. Bound values
// (client IP, user agent) are not in it, only whether they are bound: the
// MAC covers them, so a token leaks neither.
type Claims struct {
	// Expires is exp, in Unix seconds. Always set.
	Expires int64
	// NotBefore is nbf, in Unix seconds; 0 when absent.
	NotBefore int64
	// Paths are the canonical path patterns the token covers (1 to 8).
	Paths []string
	// Host is the lower-case host the token is bound to; "" when unbound.
	Host string
	// IPBinding is how the client address is bound.
	IPBinding IPBinding
	// UserAgentBound is true when the User-Agent is bound.
	UserAgentBound bool
	// SessionID is the optional session id (for logs and revocation).
	SessionID string
	// Data is optional opaque data for the application.
	Data string
}

// Claim limits.
const (
	// maxClaimsBytes bounds the decoded claims text, and so the token.
	maxClaimsBytes = 2048
	// maxSessionIDLen bounds the session id.
	maxSessionIDLen = 64
	// maxDataLen bounds the opaque data.
	maxDataLen = 256
	// maxHostLen is DNS's limit on a host name.
	maxHostLen = 253
	// maxTime keeps times below 10^12 seconds (year 33658), far inside the
	// range both Go's int64 and JavaScript's doubles hold exactly.
	maxTime = 999_999_999_999
)

var errClaims = errors.New("malformed claims")

// boundIP validates the grant's address binding and appends the bound form
// of the address to b ("" when unbound).
func (g *Grant) boundIP(b []byte) ([]byte, error) {
	switch g.IPBinding {
	case IPOff:
		return b, nil
	case IPExact, IPSubnet:
		a, err := parseClientIP(g.ClientIP)
		if err != nil {
			return b, fmt.Errorf("ip binding %s: %w", g.IPBinding, err)
		}
		return appendIPBinding(b, a, g.IPBinding), nil
	default:
		return b, fmt.Errorf("unknown ip binding %d", g.IPBinding)
	}
}

// appendClaims validates the grant and appends its claims text; bound is
// the bound form of the address from boundIP. Field order is fixed so that
// tokens are reproducible; the parser does not depend on it. It allocates
// only to report an error.
func (g *Grant) appendClaims(b, bound []byte) ([]byte, error) {
	if g.Expires.IsZero() {
		return b, errors.New("the token needs an expiry time")
	}
	exp := g.Expires.Unix()
	if exp <= 0 || exp > maxTime {
		return b, fmt.Errorf("expiry %s is out of range", g.Expires.UTC().Format(time.RFC3339))
	}
	b = append(b, "e="...)
	b = appendDecimal(b, exp)
	if !g.NotBefore.IsZero() {
		nbf := g.NotBefore.Unix()
		if nbf <= 0 || nbf >= exp {
			return b, fmt.Errorf("not-before %s must be positive and before the expiry %s",
				g.NotBefore.UTC().Format(time.RFC3339), g.Expires.UTC().Format(time.RFC3339))
		}
		b = append(b, "\nn="...)
		b = appendDecimal(b, nbf)
	}
	if len(g.Paths) == 0 || len(g.Paths) > maxPatterns {
		return b, fmt.Errorf("the token needs 1 to %d path patterns, got %d", maxPatterns, len(g.Paths))
	}
	for _, p := range g.Paths {
		cp, err := CanonicalPattern(p)
		if err != nil {
			return b, err
		}
		b = append(b, "\np="...)
		b = append(b, cp...)
	}
	if g.Host != "" {
		b = append(b, "\nh="...)
		start := len(b)
		b = appendLowerHost(b, g.Host)
		if !validHost(b[start:]) {
			return b, fmt.Errorf("host %q must be a DNS name or IPv4 address: labels of a-z, 0-9 and '-' joined by single dots, "+
				"no empty label, at most %d bytes (one final dot is dropped; non-ASCII names in punycode)", g.Host, maxHostLen)
		}
	}
	if g.IPBinding != IPOff {
		hint := ipHint(bound)
		b = append(b, "\ni="...)
		b = append(b, ipModeChar(g.IPBinding), hexDigits[hint>>4], hexDigits[hint&15])
	}
	if g.BindUserAgent {
		b = append(b, "\nu=1"...)
	}
	if g.SessionID != "" {
		if !validSessionID(g.SessionID) {
			return b, fmt.Errorf("session id %q must be 1 to %d of A-Z a-z 0-9 . _ ~ -", g.SessionID, maxSessionIDLen)
		}
		b = append(b, "\ns="...)
		b = append(b, g.SessionID...)
	}
	if g.Data != "" {
		if !validData(g.Data) {
			return b, fmt.Errorf("data must be 1 to %d printable ASCII characters", maxDataLen)
		}
		b = append(b, "\nd="...)
		b = append(b, g.Data...)
	}
	if len(b) > maxClaimsBytes {
		return b, fmt.Errorf("the claims take %d bytes; the limit is %d (use fewer or shorter path patterns, or shorter data)", len(b), maxClaimsBytes)
	}
	return b, nil
}

// appendDecimal appends a non-negative time in decimal.
func appendDecimal(b []byte, n int64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

const hexDigits = "0123456789abcdef"

// ipHint is an 8-bit, unkeyed digest of the bound address (the low byte
// of its 32-bit FNV-1a hash). It only serves diagnosis: once T1 has shown
// the claims genuine, a hint that differs from the request's says the
// address is why T3 failed. Eight bits leak next to nothing about the
// address, and the MAC, not the hint, decides access.
func ipHint(bound []byte) byte {
	h := uint32(2166136261)
	for _, c := range bound {
		h ^= uint32(c)
		h *= 16777619
	}
	return byte(h) //nolint:gosec // G115: keeping the low byte is the point
}

func ipModeChar(b IPBinding) byte {
	if b == IPSubnet {
		return 's'
	}
	return 'x'
}

// rawClaims are claims as sub-slices of the decoded text, so verification
// parses without allocating.
type rawClaims struct {
	exp, nbf  int64
	paths     [maxPatterns][]byte
	npaths    int
	host      []byte
	ipMode    IPBinding
	ipHint    byte
	uaBound   bool
	sid, data []byte
}

// claimOrder is the rank of each claim name in the canonical order
// e, n, p..., h, i, u, s, d; 0 marks an unknown name.
var claimOrder = [256]uint8{'e': 1, 'n': 2, 'p': 3, 'h': 4, 'i': 5, 'u': 6, 's': 7, 'd': 8}

// parseClaims parses the claims text. Fields are "name=value" lines, names
// are single letters, and they come in the canonical order e, n, p..., h,
// i, u, s, d: only "p" repeats, and a claims text has exactly one valid
// spelling. Unknown names are refused so that a later version's restriction
// is never silently ignored by this one. It returns the claims by value so
// that they, and the slices into b, stay on the caller's stack.
func parseClaims(b []byte) (rawClaims, error) {
	var rc rawClaims
	var last uint8
	haveExp := false
	for len(b) > 0 {
		line := b
		if i := indexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
			if len(b) == 0 {
				return rc, errClaims // trailing newline
			}
		} else {
			b = nil
		}
		if len(line) < 2 || line[1] != '=' {
			return rc, errClaims
		}
		name, v := line[0], line[2:]
		rank := claimOrder[name]
		if rank == 0 || rank < last || (rank == last && name != 'p') {
			return rc, errClaims
		}
		last = rank
		switch name {
		case 'e':
			t, ok := parseTime(v)
			if !ok {
				return rc, errClaims
			}
			rc.exp, haveExp = t, true
		case 'n':
			t, ok := parseTime(v)
			if !ok {
				return rc, errClaims
			}
			rc.nbf = t
		case 'p':
			if rc.npaths == maxPatterns || len(v) == 0 || len(v) > maxPatternLen || v[0] != '/' || !graphicASCII(v) {
				return rc, errClaims
			}
			rc.paths[rc.npaths] = v
			rc.npaths++
		case 'h':
			if !validHost(v) {
				return rc, errClaims
			}
			rc.host = v
		case 'i':
			if len(v) != 3 || (v[0] != 'x' && v[0] != 's') || !isLowerHex(v[1]) || !isLowerHex(v[2]) {
				return rc, errClaims
			}
			rc.ipMode = IPExact
			if v[0] == 's' {
				rc.ipMode = IPSubnet
			}
			rc.ipHint = unhex(v[1])<<4 | unhex(v[2])
		case 'u':
			if len(v) != 1 || v[0] != '1' {
				return rc, errClaims
			}
			rc.uaBound = true
		case 's':
			if !validSessionID(v) {
				return rc, errClaims
			}
			rc.sid = v
		case 'd':
			if !validData(v) {
				return rc, errClaims
			}
			rc.data = v
		default:
			return rc, errClaims
		}
	}
	if !haveExp || rc.npaths == 0 {
		return rc, errClaims
	}
	return rc, nil
}

// graphicASCII reports whether every byte is printable ASCII other than
// space (what a canonical path pattern is made of).
func graphicASCII(v []byte) bool {
	for _, c := range v {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

// parseTime accepts 1 to 12 decimal digits without a leading zero.
func parseTime(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 12 || v[0] == '0' {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// validHost accepts lower-case DNS names and IPv4 literals, 1 to 253
// bytes: labels of a-z, 0-9 and '-' joined by single dots. No leading or
// trailing dot and no empty label: the request Host loses one trailing dot
// before it is compared, so a bound "name." would match "name.." and a
// host would have two spellings.
func validHost[T string | []byte](v T) bool {
	if len(v) == 0 || len(v) > maxHostLen || v[0] == '.' || v[len(v)-1] == '.' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '.' && v[i-1] == '.' { // i > 0: v[0] is no dot
			return false
		}
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validSessionID accepts 1 to 64 of A-Z a-z 0-9 . _ ~ - (URL-safe, so it can
// also go into a revocation list key or a log field unescaped).
func validSessionID[T string | []byte](v T) bool {
	return validChars(v, maxSessionIDLen, func(c byte) bool { return isKeyIDChar(c) || c == '.' || c == '~' })
}

// validData accepts 1 to 256 printable ASCII characters (space included).
func validData[T string | []byte](v T) bool {
	return validChars(v, maxDataLen, func(c byte) bool { return 0x20 <= c && c <= 0x7e })
}

// validChars accepts 1 to most bytes, each of which ok accepts.
func validChars[T string | []byte](v T, most int, ok func(byte) bool) bool {
	if len(v) == 0 || len(v) > most {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !ok(v[i]) {
			return false
		}
	}
	return true
}

// NormalizeHost lower-cases a Host header value and strips a ":port" and
// a trailing dot, giving the form host bindings compare. The seed format
// signs the request host in this form.
func NormalizeHost(h string) string {
	return string(appendLowerHost(nil, h))
}

// appendLowerHost appends the normalised form of a Host header value.
func appendLowerHost(b []byte, h string) []byte {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// hostMatches compares a request Host header with a bound host without
// allocating: ASCII case-insensitive, ignoring a ":port" and a trailing dot.
func hostMatches(bound []byte, reqHost string) bool {
	if i := strings.LastIndexByte(reqHost, ':'); i >= 0 && !strings.Contains(reqHost[i:], "]") {
		reqHost = reqHost[:i]
	}
	if n := len(reqHost); n > 0 && reqHost[n-1] == '.' {
		reqHost = reqHost[:n-1]
	}
	if len(reqHost) != len(bound) {
		return false
	}
	for i := 0; i < len(bound); i++ {
		c := reqHost[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != bound[i] {
			return false
		}
	}
	return true
}

func (rc *rawClaims) toClaims() Claims {
	c := Claims{
		Expires:        rc.exp,
		NotBefore:      rc.nbf,
		Host:           string(rc.host),
		IPBinding:      rc.ipMode,
		UserAgentBound: rc.uaBound,
		SessionID:      string(rc.sid),
		Data:           string(rc.data),
	}
	for _, p := range rc.paths[:rc.npaths] {
		c.Paths = append(c.Paths, string(p))
	}
	return c
}

// String renders claims for logs and error messages; it shows no secret.
func (c Claims) String() string {
	return fmt.Sprintf("exp=%d nbf=%d paths=%q host=%q ip=%s ua_bound=%t sid=%q", c.Expires, c.NotBefore, c.Paths, c.Host, c.IPBinding, c.UserAgentBound, c.SessionID)
}
