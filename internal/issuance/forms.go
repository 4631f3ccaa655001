package issuance

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Forms are the ready-to-use forms of a key.
type Forms struct {
	Header map[string]string
	Query  string
	URL    string
	Cookie string
}

// SameSiteModes are the values of the cookie form's SameSite, the default
// first. Lax keeps the cookie to requests from pages on the media host's
// own site (and top-level navigations), so another site's page cannot
// spend it; none, for a player embedded on another site, is opt-in.
var SameSiteModes = []string{"lax", "strict", "none"}

// sameSiteAttr writes a SameSite mode as the cookie attribute; anything
// but strict or none is the default, Lax.
func sameSiteAttr(mode string) string {
	switch strings.ToLower(mode) {
	case "strict":
		return "Strict"
	case "none":
		return "None" // browsers take it only with Secure, which the form always has
	}
	return "Lax"
}

// MakeForms builds the forms of tok for a playback URL with the given
// scheme, host and (escaped) path, under the channel names ch, with the
// default SameSite (Lax) on the cookie.
func MakeForms(tok, scheme, host, path string, ttl time.Duration, ch Channels) Forms {
	return makeForms(tok, scheme, host, path, ttl, ch, "")
}

// makeForms is MakeForms with the cookie's SameSite mode (SameSiteModes;
// "" for the default).
func makeForms(tok, scheme, host, path string, ttl time.Duration, ch Channels, sameSite string) Forms {
	u := url.URL{Scheme: strings.ToLower(scheme), Host: host,
		Path: "/" + ch.PathPrefix + "/" + tok + pathUnescaped(path), RawPath: "/" + ch.PathPrefix + "/" + tok + path}
	return Forms{
		Header: map[string]string{ch.Header: tok},
		Query:  ch.Query + "=" + tok,
		URL:    u.String(),
		Cookie: fmt.Sprintf("%s=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=%s", ch.Cookie, tok, int64(ttl/time.Second), sameSiteAttr(sameSite)),
	}
}

func pathUnescaped(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}
