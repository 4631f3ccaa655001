package issuance

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// URLRules are the rules a playback URL must follow.
type URLRules struct {
	// Schemes are the allowed schemes, lower case.
	Schemes []string
	// Hosts are the allowed hosts; "*.example.com" matches any subdomain;
	// nil allows any host.
	Hosts []string
	// Prefixes are the allowed path prefixes, each covering a directory
	// ("/vod/free" covers /vod/free and /vod/free/..., not
	// /vod/free.m3u8); the longest match wins.
	Prefixes []string
}

// Playback is a checked playback URL.
type Playback struct {
	// Raw is the URL as given.
	Raw string
	// Scheme and Host are lower case; Path is escaped, as the edge sees it.
	Scheme, Host, Path string
	// Query is the query without its '?', escaped as a request sends it;
	// "" when there is none. The fragment, never sent, is dropped.
	Query string
	// Prefix is the longest allowed prefix the path falls under.
	Prefix string
}

// CheckPlaybackURL applies the scheme, host and path rules.
func CheckPlaybackURL(raw string, rules URLRules) (Playback, *Refusal) {
	bad := func(format string, a ...any) (Playback, *Refusal) {
		return Playback{}, &Refusal{Status: 400, Reason: ReasonBadURL, Message: "playback_url: " + fmt.Sprintf(format, a...)}
	}
	if raw == "" || len(raw) > 4096 {
		return bad("must be an absolute URL of at most 4,096 bytes")
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return bad("contains a control character")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "" {
		return bad("must be an absolute http(s) URL with a host")
	}
	scheme := strings.ToLower(u.Scheme)
	if !slices.Contains(rules.Schemes, scheme) {
		return bad("the scheme %q is not allowed (allowed: %s)", u.Scheme, strings.Join(rules.Schemes, ", "))
	}
	if u.User != nil {
		return bad("must not carry a user name or password")
	}
	host := strings.ToLower(u.Hostname())
	if !validHost(host) {
		return bad("the host %q must be a DNS name or an IPv4 address: letters, digits and '-' in labels separated by single dots, "+
			"no leading or trailing dot", host)
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		return bad("must not name a port")
	}
	if rules.Hosts != nil && !hostAllowed(rules.Hosts, host) {
		return Playback{}, &Refusal{Status: 403, Reason: ReasonHostNotAllowed,
			Message: fmt.Sprintf("playback_url: the host %q is not one this issuer signs for", host)}
	}
	pb := Playback{Raw: raw, Scheme: scheme, Host: host, Path: u.EscapedPath(), Query: escapeQuery(u.RawQuery)}
	if pb.Path == "" {
		pb.Path = "/"
	}
	if strings.Contains(u.RawPath+u.Path, "\\") || !streamkey.SafePath(pb.Path) {
		return bad("the path must not contain dot segments, \"//\", encoded slashes or dots, or backslashes")
	}
	if strings.Contains(pb.Path, "*") {
		return bad("the path must not contain '*', which path patterns reserve")
	}
	path := scope{base: pb.Path}
	if c, err := streamkey.CanonicalPattern(pb.Path); err == nil {
		path.base = c
	}
	for _, p := range rules.Prefixes {
		if l, ok := parseLimit(p); ok && l.covers(path) && len(p) > len(pb.Prefix) {
			pb.Prefix = p
		}
	}
	if pb.Prefix == "" {
		return Playback{}, pathNotAllowed()
	}
	return pb, nil
}

// URL is the playback URL as a request for it is sent: scheme and host
// in lower case, no default port, the path and query escaped, no
// fragment. With a non-empty pathPrefix ("/t/<token>"), that is inserted
// before the path, as the path-prefix channel carries a token.
func (pb Playback) URL(pathPrefix string) string {
	u := pb.Scheme + "://" + pb.Host + pathPrefix + pb.Path
	if pb.Query != "" {
		u += "?" + pb.Query
	}
	return u
}

// escapeQuery percent-encodes the bytes a query may not hold as they are
// (spaces, non-ASCII, '"', '<', '[', ...) and a '%' that starts no escape,
// keeping everything else, so that parameters keep their order and their
// existing escapes.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '%' && i+2 < len(q) && isHex(q[i+1]) && isHex(q[i+2]),
			c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// validHost accepts what the token format can bind: lower-case DNS names
// and IPv4 literals, 1 to 253 bytes, with no empty label.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func hostAllowed(hosts []string, host string) bool {
	for _, h := range hosts {
		h = strings.ToLower(h)
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1) {
			return true
		}
	}
	return false
}
