package streamkey

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Claims is what a token says, as decoded from its payload. Bound values
// (client IP, user agent) are not in it: only keyed tags of them are, so a
// token leaks neither.
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

	ipTag, uaTag string // base64url tags, kept to re-encode and inspect
}

// Claim limits.
const (
	// MaxClaimsBytes bounds the decoded claims text, and so the token.
	MaxClaimsBytes = 2048
	// MaxSessionIDLen bounds the session id.
	MaxSessionIDLen = 64
	// MaxDataLen bounds the opaque data.
	MaxDataLen = 256
	// MaxHostLen is DNS's limit on a host name.
	MaxHostLen = 253
	// maxTime keeps times below 10^12 seconds (year 33658), far inside the
	// range both Go's int64 and JavaScript's doubles hold exactly.
	maxTime = 999_999_999_999
)

// tagLen is the length of a binding tag: 16 bytes of HMAC-SHA256, in
// base64url. 128-bit truncation is the strength NIST SP 800-107 allows for
// HMAC tags.
const (
	tagBytes = 16
	tagLen   = 22
)

var errClaims = errors.New("malformed claims")

// appendClaims writes the claims text. Field order is fixed; the verifier
// does not depend on it, but a fixed order makes tokens reproducible.
func appendClaims(b []byte, c *Claims) []byte {
	b = append(b, "e="...)
	b = strconv.AppendInt(b, c.Expires, 10)
	if c.NotBefore != 0 {
		b = append(b, "\nn="...)
		b = strconv.AppendInt(b, c.NotBefore, 10)
	}
	for _, p := range c.Paths {
		b = append(b, "\np="...)
		b = append(b, p...)
	}
	if c.Host != "" {
		b = append(b, "\nh="...)
		b = append(b, c.Host...)
	}
	if c.IPBinding != IPOff {
		b = append(b, "\ni="...)
		b = append(b, ipModeChar(c.IPBinding))
		b = append(b, ':')
		b = append(b, c.ipTag...)
	}
	if c.UserAgentBound {
		b = append(b, "\nu="...)
		b = append(b, c.uaTag...)
	}
	if c.SessionID != "" {
		b = append(b, "\ns="...)
		b = append(b, c.SessionID...)
	}
	if c.Data != "" {
		b = append(b, "\nd="...)
		b = append(b, c.Data...)
	}
	return b
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
	exp, nbf     int64
	paths        [MaxPatterns][]byte
	npaths       int
	host         []byte
	ipMode       IPBinding
	ipTag, uaTag []byte
	sid, data    []byte
	uaBound      bool
}

// parseClaims parses the claims text. Fields are "name=value" lines; names
// are single letters; every name but "p" may appear once; unknown names
// are refused so that a later version's restriction is never silently
// ignored by this one.
func parseClaims(b []byte, rc *rawClaims) error {
	var seen uint32
	haveExp := false
	for len(b) > 0 {
		line := b
		if i := indexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
			if len(b) == 0 {
				return errClaims // trailing newline
			}
		} else {
			b = nil
		}
		if len(line) < 2 || line[1] != '=' {
			return errClaims
		}
		name, v := line[0], line[2:]
		if name != 'p' {
			bit := uint32(1) << (name & 31)
			if seen&bit != 0 {
				return errClaims
			}
			seen |= bit
		}
		switch name {
		case 'e':
			t, ok := parseTime(v)
			if !ok {
				return errClaims
			}
			rc.exp, haveExp = t, true
		case 'n':
			t, ok := parseTime(v)
			if !ok {
				return errClaims
			}
			rc.nbf = t
		case 'p':
			if rc.npaths == MaxPatterns || len(v) == 0 || len(v) > MaxPatternLen || v[0] != '/' {
				return errClaims
			}
			rc.paths[rc.npaths] = v
			rc.npaths++
		case 'h':
			if !validHost(v) {
				return errClaims
			}
			rc.host = v
		case 'i':
			if len(v) != 2+tagLen || v[1] != ':' || (v[0] != 'x' && v[0] != 's') {
				return errClaims
			}
			rc.ipMode = IPExact
			if v[0] == 's' {
				rc.ipMode = IPSubnet
			}
			rc.ipTag = v[2:]
		case 'u':
			if len(v) != tagLen {
				return errClaims
			}
			rc.uaTag, rc.uaBound = v, true
		case 's':
			if !validSessionID(v) {
				return errClaims
			}
			rc.sid = v
		case 'd':
			if !validData(v) {
				return errClaims
			}
			rc.data = v
		default:
			return errClaims
		}
	}
	if !haveExp || rc.npaths == 0 {
		return errClaims
	}
	return nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

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

// validHost accepts lower-case DNS names and IPv4 literals: a-z, 0-9, '-'
// and '.', 1 to 253 bytes.
func validHost[T string | []byte](v T) bool {
	if len(v) == 0 || len(v) > MaxHostLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validSessionID accepts 1 to 64 of A-Z a-z 0-9 . _ ~ - (URL-safe, so it can
// also go into a revocation list key or a log field unescaped).
func validSessionID[T string | []byte](v T) bool {
	if len(v) == 0 || len(v) > MaxSessionIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isKeyIDChar(c) || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// validData accepts 1 to 256 printable ASCII characters (space included).
func validData[T string | []byte](v T) bool {
	if len(v) == 0 || len(v) > MaxDataLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// NormalizeHost lower-cases a Host header value and strips a ":port" and
// a trailing dot, giving the form host bindings compare.
func NormalizeHost(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	return strings.ToLower(h)
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
		ipTag:          string(rc.ipTag),
		uaTag:          string(rc.uaTag),
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
