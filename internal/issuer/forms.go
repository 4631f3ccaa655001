package issuer

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Names are the channel names of the edge function, which the
// ready-to-use forms of a key follow.
type Names struct {
	Header, Query, Cookie, PathPrefix string
}

// DefaultNames are the edge function's defaults.
var DefaultNames = Names{Header: "x-stream-token", Query: "stream_token", Cookie: "stream_token", PathPrefix: "t"}

// Forms are the ready-to-use forms of a key.
type Forms struct {
	Header map[string]string
	Query  string
	URL    string
	Cookie string
}

// MakeForms builds the forms of tok for a playback URL with the given
// scheme, host and (escaped) path.
func MakeForms(tok, scheme, host, path string, ttl time.Duration, n Names) Forms {
	u := url.URL{Scheme: strings.ToLower(scheme), Host: host,
		Path: "/" + n.PathPrefix + "/" + tok + pathUnescaped(path), RawPath: "/" + n.PathPrefix + "/" + tok + path}
	return Forms{
		Header: map[string]string{n.Header: tok},
		Query:  n.Query + "=" + tok,
		URL:    u.String(),
		Cookie: fmt.Sprintf("%s=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=None", n.Cookie, tok, int64(ttl/time.Second)),
	}
}
