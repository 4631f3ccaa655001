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

// MakeForms builds the forms of tok for a playback URL with the given
// scheme, host and (escaped) path, under the channel names ch.
func MakeForms(tok, scheme, host, path string, ttl time.Duration, ch Channels) Forms {
	u := url.URL{Scheme: strings.ToLower(scheme), Host: host,
		Path: "/" + ch.PathPrefix + "/" + tok + pathUnescaped(path), RawPath: "/" + ch.PathPrefix + "/" + tok + path}
	return Forms{
		Header: map[string]string{ch.Header: tok},
		Query:  ch.Query + "=" + tok,
		URL:    u.String(),
		Cookie: fmt.Sprintf("%s=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=None", ch.Cookie, tok, int64(ttl/time.Second)),
	}
}

func pathUnescaped(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}
