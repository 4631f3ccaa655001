package issuance

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Token formats (Policy.Format): ss1, the project's own, or the Common
// Access Token (CTA-5007, package cat), for players and CDNs that speak
// CAT. Both are minted from the same grant, so they cover the same.
const (
	FormatSS1 = "ss1"
	FormatCAT = "cat"
)

// Formats are the token formats, the default first.
var Formats = []string{FormatSS1, FormatCAT}

// DefaultCATChannels are the channels of a CAT, named as CAT validators
// name them (reference A5, decision 4): the CTA-Common-Access-Token header
// (lower case, as Normalize makes header names), the CAT query parameter,
// and a cookie named like the header, as node-cat reads it. There is no
// path-prefix channel: no CAT validator but one sample reads a token from
// the path, a CAT is up to 1 KB (long for a path segment), and a prefix
// the edge strips before matching catu would make the path the token
// covers differ from the path the request carries.
func DefaultCATChannels() Channels {
	return Channels{Header: "cta-common-access-token", Query: "CAT", Cookie: "cta-common-access-token"}
}

// mintCAT mints the CAT for the grant g MintKey built, with the key kid.
func mintCAT(ring *streamkey.Ring, pol Policy, pb Playback, s Subject, g streamkey.Grant, kid string) (*Key, error) {
	cr := pol.CATRing
	if cr == nil {
		var err error
		if cr, err = cat.RingFromStreamkey(ring); err != nil {
			return nil, err
		}
	}
	iat := s.IssuedAt
	if iat.IsZero() {
		iat = s.NotBefore
	}
	c, err := cat.GrantClaims(g, iat)
	if err != nil {
		return nil, err
	}
	tok, err := cr.Mint(kid, c, cat.MintOptions{})
	if err != nil {
		return nil, err
	}
	return &Key{Format: FormatCAT, Token: tok, KeyID: kid, SessionID: g.SessionID, Pattern: g.Paths[0],
		Expires: time.Unix(g.Expires.Unix(), 0).UTC(), Forms: catForms(tok, pb, s.TTL, pol.Channels, pol.CookieSameSite)}, nil
}

// catForms are a CAT's forms. URL is the playback URL with the token as
// its query parameter (after the URL's own query): a CAT has no
// path-prefix form (DefaultCATChannels says why), so a player that drops
// the query on a manifest's relative URIs needs the cookie or the header
// for the rest of the stream.
func catForms(tok string, pb Playback, ttl time.Duration, ch Channels, sameSite string) Forms {
	f := Forms{
		Header: map[string]string{ch.Header: tok},
		Query:  ch.Query + "=" + tok,
		Cookie: fmt.Sprintf("%s=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=%s", ch.Cookie, tok, int64(ttl/time.Second), sameSiteAttr(sameSite)),
	}
	q := f.Query
	if pb.Query != "" {
		q = pb.Query + "&" + q
	}
	u := url.URL{Scheme: strings.ToLower(pb.Scheme), Host: pb.Host, Path: pathUnescaped(pb.Path), RawPath: pb.Path, RawQuery: q}
	f.URL = u.String()
	return f
}
