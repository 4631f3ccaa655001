package streamkey

import (
	"fmt"
	"strings"
)

// Path limits.
const (
	// maxPathLen is CloudFront's limit on the URI; longer paths never match.
	maxPathLen = 8192
	// maxPatternLen bounds one path pattern.
	maxPatternLen = 1024
	// maxPatterns bounds the patterns in one token.
	maxPatterns = 8
)

// SafePath reports whether a request path is in the canonical form the
// token format can match without being fooled: it starts with '/', every
// byte is printable ASCII other than '\', every '%' starts a two-digit hex
// escape that does not encode '/', '\' or a control character, no "%25"
// (an escaped '%') is followed by two hex digits (so that no escape is
// left after one decoding), the escapes encode UTF-8 in its shortest form
// (no overlong %C0%AE), no segment is empty (no "//") except the last,
// and no segment is "." or ".." even when spelled "%2e" or followed by
// ";params". Such paths are refused
// rather than normalised: an origin that decodes or normalises them could
// serve a file outside the signed prefix.
func SafePath(p string) bool {
	if len(p) == 0 || len(p) > maxPathLen || p[0] != '/' {
		return false
	}
	segStart := 1
	var u utf8Escapes
	for i := 1; i < len(p); i++ {
		if pathClass[p[i]] != pcPercent && u.need > 0 {
			return false // a character cut short by a plain byte
		}
		switch pathClass[p[i]] {
		case pcPlain:
		case pcBad:
			return false
		case pcPercent:
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return false
			}
			d := unhex(p[i+1])<<4 | unhex(p[i+2])
			if d < 0x20 || d == 0x7f || d == '/' || d == '\\' || !u.next(d) {
				return false
			}
			// An escaped '%' before two hex digits is an escape once
			// decoded: %252e%252e is ".." to an origin (or a proxy before
			// it) that decodes twice.
			if d == '%' && i+4 < len(p) && isHex(p[i+3]) && isHex(p[i+4]) {
				return false
			}
			i += 2
		case pcSlash:
			if i == segStart || isDotSegment(p[segStart:i]) {
				return false // "//" or a dot segment
			}
			segStart = i + 1
		}
	}
	return u.need == 0 && !isDotSegment(p[segStart:])
}

// utf8Escapes checks, byte by byte, that the bytes a path's escapes encode
// are UTF-8 in its shortest form (RFC 3629): an overlong form such as
// %C0%AE, a '.' to a lenient decoder, would be a dot segment the rules
// above do not see.
type utf8Escapes struct {
	need   int  // continuation bytes still due
	lo, hi byte // the range of the next one
}

func (u *utf8Escapes) next(b byte) bool {
	if u.need > 0 {
		if b < u.lo || b > u.hi {
			return false
		}
		u.need, u.lo, u.hi = u.need-1, 0x80, 0xbf
		return true
	}
	u.lo, u.hi = 0x80, 0xbf
	switch {
	case b < 0x80:
	case b >= 0xc2 && b <= 0xdf:
		u.need = 1
	case b == 0xe0:
		u.need, u.lo = 2, 0xa0 // no overlong three-byte form
	case b == 0xed:
		u.need, u.hi = 2, 0x9f // no surrogate
	case b >= 0xe1 && b <= 0xef:
		u.need = 2
	case b == 0xf0:
		u.need, u.lo = 3, 0x90 // no overlong four-byte form
	case b >= 0xf1 && b <= 0xf3:
		u.need = 3
	case b == 0xf4:
		u.need, u.hi = 3, 0x8f // nothing above U+10FFFF
	default: // 0x80-0xc1 (a stray continuation, an overlong lead), 0xf5-0xff
		return false
	}
	return true
}

const (
	pcPlain = iota
	pcBad
	pcPercent
	pcSlash
)

// pathClass sorts the bytes of a request path: printable ASCII is plain,
// except '%' and '/', which need a closer look, and '\\', which some
// origins read as '/'.
var pathClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c < 0x21 || c > 0x7e || c == '\\':
			t[c] = pcBad
		case c == '%':
			t[c] = pcPercent
		case c == '/':
			t[c] = pcSlash
		}
	}
	return t
}()

// isDotSegment reports whether seg, up to any ';', is "." or ".." with each
// dot written as '.' or "%2e".
func isDotSegment(seg string) bool {
	if len(seg) == 0 || (seg[0] != '.' && seg[0] != '%') {
		return false
	}
	if i := strings.IndexByte(seg, ';'); i >= 0 {
		seg = seg[:i]
	}
	dots := 0
	for i := 0; i < len(seg); {
		switch {
		case seg[i] == '.':
			i++
		case i+2 < len(seg) && seg[i] == '%' && seg[i+1] == '2' && (seg[i+2] == 'e' || seg[i+2] == 'E'):
			i += 3
		default:
			return false
		}
		dots++
	}
	return dots == 1 || dots == 2
}

// CanonicalPattern checks a path pattern and returns it in canonical form
// (hex escapes upper-cased). A pattern is an exact path, or a prefix
// followed by a single '*' at the very end; the part before '*' must itself
// be a safe path ("/vod/movie-42/*", "/*", "/live/ch1/index.m3u8").
func CanonicalPattern(pat string) (string, error) {
	if pat == "" {
		return "", fmt.Errorf("path pattern is empty")
	}
	if len(pat) > maxPatternLen {
		return "", fmt.Errorf("path pattern is %d bytes long; the limit is %d", len(pat), maxPatternLen)
	}
	body := strings.TrimSuffix(pat, "*")
	if strings.IndexByte(body, '*') >= 0 {
		return "", fmt.Errorf("path pattern %q may contain '*' only as its last character", pat)
	}
	if !SafePath(body) {
		return "", fmt.Errorf("path pattern %q must start with '/' and contain no \"//\", \".\" or \"..\" segments, "+
			"encoded slashes or dots, spaces, backslashes or non-ASCII bytes (percent-encode them)", pat)
	}
	if strings.IndexByte(pat, '%') < 0 {
		return pat, nil
	}
	return upperEscapes(pat), nil
}

// MatchPath reports whether the request path p is covered by pattern pat
// (as returned by CanonicalPattern). Hex escapes in p compare
// case-insensitively; nothing is decoded, so "%41" does not match "A".
// It does not check that p is safe; callers run SafePath first.
func MatchPath(pat, p string) bool {
	if n := len(pat) - 1; n >= 0 && pat[n] == '*' {
		return len(p) >= n && equalEscapeFold(pat[:n], p[:n])
	}
	return len(p) == len(pat) && equalEscapeFold(pat, p)
}

// equalEscapeFold compares a canonical pattern with a request path of the
// same length, allowing lower-case hex digits in the path's escapes.
func equalEscapeFold(pat, p string) bool {
	esc := 0
	for i := 0; i < len(p); i++ {
		a, b := pat[i], p[i]
		if esc > 0 {
			esc--
			if 'a' <= b && b <= 'f' {
				b -= 'a' - 'A'
			}
		} else if b == '%' {
			esc = 2
		}
		if a != b {
			return false
		}
	}
	return true
}

func upperEscapes(s string) string {
	var b []byte
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		for j := i + 1; j <= i+2; j++ {
			if 'a' <= s[j] && s[j] <= 'f' {
				if b == nil {
					b = []byte(s)
				}
				b[j] -= 'a' - 'A'
			}
		}
		i += 2
	}
	if b == nil {
		return s
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
