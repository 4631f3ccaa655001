package seed

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// The original issuer derived the signed host and path with JavaScript's
// new URL(playback_url). Seed keys sign those strings byte for byte, so
// this file reproduces the WHATWG URL parser for http and https URLs:
// hostname (lower case, IDNA to punycode, IPv6 compressed in brackets) and
// pathname (backslashes as slashes, dot segments resolved, the path
// percent-encode set applied, existing escapes kept). It is checked
// against node's URL in the tests.

// whatwgIDNA matches WHATWG "domain to ASCII": UTS #46 non-transitional,
// no STD3 rules, no DNS length check.
var whatwgIDNA = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.VerifyDNSLength(false),
)

// URLHostPath returns the hostname and pathname node's new URL(raw) gives
// for an absolute http or https URL.
func URLHostPath(raw string) (hostname, pathname string, err error) {
	s := strings.TrimFunc(raw, func(r rune) bool { return r <= 0x20 })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)

	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return "", "", fmt.Errorf("URL %q has no scheme; use an absolute https:// URL", raw)
	}
	switch strings.ToLower(s[:colon]) {
	case "http", "https":
	default:
		return "", "", fmt.Errorf("URL %q must use http or https", raw)
	}
	s = strings.TrimLeft(s[colon+1:], `/\`)

	end := strings.IndexAny(s, `/\?#`)
	if end < 0 {
		end = len(s)
	}
	authority, rest := s[:end], s[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = authority[at+1:]
	}
	if hostname, err = whatwgHost(authority); err != nil {
		return "", "", fmt.Errorf("URL %q: %w", raw, err)
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return hostname, whatwgPath(rest), nil
}

func whatwgHost(authority string) (string, error) {
	host, port := authority, ""
	if strings.HasPrefix(host, "[") {
		i := strings.IndexByte(host, ']')
		if i < 0 {
			return "", errors.New("unterminated IPv6 host")
		}
		host, port = host[:i+1], host[i+1:]
		if port != "" && port[0] != ':' {
			return "", errors.New("junk after IPv6 host")
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i:]
	}
	if port != "" {
		for _, c := range port[1:] {
			if c < '0' || c > '9' {
				return "", fmt.Errorf("port %q is not a number", port[1:])
			}
		}
	}
	if host == "" {
		return "", errors.New("host is empty")
	}
	if host[0] == '[' {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", fmt.Errorf("host %q is not an IPv6 address", host)
		}
		return "[" + whatwgIPv6(a) + "]", nil
	}
	dec, err := percentDecode(host)
	if err != nil {
		return "", err
	}
	ascii, err := whatwgIDNA.ToASCII(dec)
	if err != nil || ascii == "" {
		return "", fmt.Errorf("host %q is not a valid domain name", host)
	}
	for i := 0; i < len(ascii); i++ {
		if c := ascii[i]; c <= 0x20 || c == 0x7f || strings.IndexByte("#%/:<>?@[\\]^|", c) >= 0 {
			return "", fmt.Errorf("host %q contains the forbidden character %q", host, c)
		}
	}
	// WHATWG reads a host whose last label is numeric as an IPv4 address,
	// accepting octal and hex parts; only the plain dotted-quad is kept.
	labels := strings.Split(strings.TrimSuffix(ascii, "."), ".")
	last := labels[len(labels)-1]
	if last != "" && (strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x")) {
		a, err := netip.ParseAddr(ascii)
		if err != nil || !a.Is4() {
			return "", fmt.Errorf("host %q looks numeric but is not a dotted-quad IPv4 address", host)
		}
		return a.String(), nil
	}
	return ascii, nil
}

// whatwgIPv6 serialises like netip but, as WHATWG does, prints an
// IPv4-mapped address in hex too ("::ffff:c000:201").
func whatwgIPv6(a netip.Addr) string {
	if !a.Is4In6() {
		return a.String()
	}
	b := a.As16()
	return fmt.Sprintf("::ffff:%x:%x", uint16(b[12])<<8|uint16(b[13]), uint16(b[14])<<8|uint16(b[15]))
}

func percentDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if hi, ok := hexDigit(s[i+1]); ok {
				if lo, ok := hexDigit(s[i+2]); ok {
					b = append(b, hi<<4|lo)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("host %q decodes to invalid UTF-8", s)
	}
	return string(b), nil
}

// hexDigit returns the value of the hex digit c.
func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// whatwgPath serialises a special URL's path from its raw text (which is
// empty or starts with '/' or '\').
func whatwgPath(p string) string {
	if p != "" {
		p = p[1:] // the path start state consumes the first slash
	}
	var segs []string
	for {
		i := strings.IndexAny(p, `/\`)
		last := i < 0
		seg := p
		if !last {
			seg, p = p[:i], p[i+1:]
		}
		enc := pathEncode(seg)
		switch {
		case isDoubleDot(enc):
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
			if last {
				segs = append(segs, "")
			}
		case isSingleDot(enc):
			if last {
				segs = append(segs, "")
			}
		default:
			segs = append(segs, enc)
		}
		if last {
			break
		}
	}
	return "/" + strings.Join(segs, "/")
}

func isSingleDot(s string) bool { return s == "." || strings.EqualFold(s, "%2e") }

func isDoubleDot(s string) bool {
	switch strings.ToLower(s) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}

// pathEncode applies the WHATWG path percent-encode set; invalid UTF-8 is
// encoded as U+FFFD, as a JavaScript string would hold it.
func pathEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			c := byte(r) //nolint:gosec // G115: r < 0x80 here
			if c > 0x20 && c < 0x7f && strings.IndexByte("\"#<>?`{}", c) < 0 {
				b.WriteByte(c)
				continue
			}
		}
		var u [utf8.UTFMax]byte
		n := utf8.EncodeRune(u[:], r)
		for _, c := range u[:n] {
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}
