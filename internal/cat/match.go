package cat

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// check applies the claims of a genuine token to the request: time, then
// iss and aud, then catu (scheme, host, path and extension), catm, catnip.
func (v *Verifier) check(c *Claims, req Request) Reason {
	t := streamkey.CheckTime(req.Now)
	leeway, bound, err := streamkey.TimeLimits(v.MaxLifetime, v.Leeway)
	switch {
	case c.Expires.IsZero():
		return Lifetime // never expires: longer than any maximum lifetime
	case t >= c.Expires.Unix():
		return Expired
	case !c.NotBefore.IsZero() && t+leeway < c.NotBefore.Unix():
		return NotYetValid
	case err != nil || c.Expires.Unix()-t > bound:
		return Lifetime
	case v.Issuer != "" && c.Issuer != v.Issuer:
		return Issuer
	case (c.Audience != nil || v.Audience != "") && (v.Audience == "" || !slices.Contains(c.Audience, v.Audience)):
		return Audience
	}
	if why := matchURI(c.URI, req); why != OK {
		return why
	}
	if c.Methods != nil && !slices.Contains(c.Methods, req.Method) {
		return Method
	}
	if c.Networks != nil && !inNetworks(c.Networks, req.ClientIP) {
		return IP
	}
	return OK
}

// matchURI checks catu's conditions in component order (scheme, host,
// path, extension). A path or extension condition needs a path in the
// canonical form streamkey.SafePath accepts: a prefix match on a path
// with dot segments or encoded slashes would let an origin that
// normalises serve a file outside the prefix.
func matchURI(conds []URIMatch, req Request) Reason {
	for _, u := range conds {
		var got, want string
		var why Reason
		switch u.Component {
		case ComponentScheme:
			got, want, why = strings.ToLower(req.Scheme), strings.ToLower(u.Value), Scheme
		case ComponentHost:
			got, want, why = hostOnly(req.Host), strings.ToLower(u.Value), Host
		case ComponentPath:
			if !streamkey.SafePath(req.Path) {
				return Path
			}
			got, want, why = req.Path, u.Value, Path
		case ComponentExtension:
			if !streamkey.SafePath(req.Path) {
				return Path
			}
			got, want, why = extension(req.Path), u.Value, Path
		default:
			return Unsupported // unreachable: decodeCatu refuses other components
		}
		if !matches(u.Type, got, want) {
			return why
		}
	}
	return OK
}

func matches(t MatchType, got, want string) bool {
	switch t {
	case MatchExact:
		return got == want
	case MatchPrefix:
		return strings.HasPrefix(got, want)
	case MatchSuffix:
		return strings.HasSuffix(got, want)
	}
	return false
}

// hostOnly is the Host header as a URL's hostname has it: lower case,
// without a port or one final dot; an IPv6 literal keeps its brackets.
func hostOnly(h string) string {
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// extension is the last path segment from its first '.' on (".m3u8",
// ".tar.gz"), or "" when it has none, as node-cat reads catu's extension.
func extension(p string) string {
	name := p[strings.LastIndexByte(p, '/')+1:]
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// inNetworks reports whether the client address is in one of the
// prefixes. The address is read as streamkey reads it: an IPv4-mapped
// IPv6 address is its IPv4 address, and a zone is refused.
func inNetworks(nets []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
