package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
)

// The demo player's JWT claims, as examples/local's issuer expects them.
const (
	jwtIssuer   = "securestream-demo"
	jwtAudience = "securestream-demo-player"
)

// AdminScope is the scope of examples/local's admin_scope, which the
// issuer's admin routes ask of a token.
const AdminScope = "securestream:revoke"

// signJWT is the demo player's identity token: what its identity provider
// would give it, signed with the HS256 key the issuer was given, for an
// hour.
func signJWT(key string, now time.Time) string {
	return jwttest.HS256([]byte(key), map[string]any{
		"iss": jwtIssuer, "aud": jwtAudience, "sub": "demo-viewer",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
}

// signAdminJWT is an operator's token from the same identity provider:
// the player's claims, another subject, and AdminScope in its scope
// (RFC 8693's space-separated list, with another scope beside it).
func signAdminJWT(key string, now time.Time) string {
	return jwttest.HS256([]byte(key), map[string]any{
		"iss": jwtIssuer, "aud": jwtAudience, "sub": "demo-operator", "scope": "openid " + AdminScope,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
}

// KeyRequest is what a player asks the issuer for.
type KeyRequest struct {
	// Path is the playback URL's path; default: MasterPath.
	Path string
	// TTL is the key's lifetime, in whole seconds; zero: the issuer's
	// default.
	TTL time.Duration
	// UserAgent is the player's, which the key is bound to; default:
	// UserAgent. A browser sends its own.
	UserAgent string
	// SessionID continues a session: the SessionID of the player's
	// previous key. Empty: the issuer starts a new one.
	SessionID string
	// CAT asks the issuer of Common Access Tokens (Env.CATIssuerURL)
	// rather than the ss1 one; the key is then for Env.CATEdgeURL.
	CAT bool
}

// Key is the issuer's answer: the key in each of its ready-to-use forms.
type Key struct {
	// Format is the token's format: ss1, or cat for a Common Access Token
	// (CTA-5007), which only the CAT distribution's edge accepts.
	Format string `json:"format"`
	// Token is the stream key.
	Token string `json:"token"`
	// Header is the header channel: a request header and its value.
	Header struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"header"`
	// Query is the query channel: "<name>=<token>", to add to each URL.
	Query string `json:"query"`
	// Cookie is the cookie channel, as a Set-Cookie value.
	Cookie string `json:"cookie"`
	// URL is the path-prefix channel as the issuer gives it: the playback
	// URL with /<prefix>/<token> before its path. It names no port, as
	// CloudFront serves 443: PrefixURL is the same on the local edge. A
	// CAT has no path-prefix form: its URL is the playback URL with the
	// token in its query (QueryURL on the local edge).
	URL string `json:"url"`
	// Expires is the key's expiry, in Unix seconds.
	Expires int64 `json:"expires"`
	// SessionID is the session the key belongs to, which revoking cuts
	// off (Revoke); the player's next key request continues it.
	SessionID string `json:"session_id"`

	// PrefixURL is an ss1 key's URL on the local edge (its port added);
	// QueryURL is a CAT's. The other one is empty.
	PrefixURL, QueryURL string `json:"-"`
	// UserAgent is the User-Agent the key was asked with (and is bound to).
	UserAgent string `json:"-"`
}

// CookiePair is the cookie as a browser sends it back: "<name>=<token>".
func (k *Key) CookiePair() string {
	pair, _, _ := strings.Cut(k.Cookie, ";")
	return strings.TrimSpace(pair)
}

// ExpiresAt is Expires as a time.
func (k *Key) ExpiresAt() time.Time { return time.Unix(k.Expires, 0) }

// PlaybackURL is the URL a key is asked for: the path on PlaybackHost,
// with no port (the issuer refuses one; keys bind the host alone).
func PlaybackURL(path string) string { return "http://" + PlaybackHost + path }

// RequestKey asks the issuer for a key as a player does: a POST of the
// playback URL (and a lifetime, and the session it continues) with its
// JWT as bearer token. A refusal is an error with the issuer's status and
// message.
func (e *Env) RequestKey(ctx context.Context, r KeyRequest) (*Key, error) {
	k, _, err := e.askKey(ctx, r)
	return k, err
}

// askKey is RequestKey, which also returns a refusal as the table shows
// it: "<status> <error>" (403 revoked). err is set for a refusal too.
func (e *Env) askKey(ctx context.Context, r KeyRequest) (_ *Key, refusal string, _ error) {
	if r.Path == "" {
		r.Path = e.MasterPath
	}
	if r.UserAgent == "" {
		r.UserAgent = UserAgent
	}
	body := map[string]any{"playback_url": PlaybackURL(r.Path)}
	if r.TTL > 0 {
		body["ttl_seconds"] = int64(r.TTL / time.Second)
	}
	if r.SessionID != "" {
		body["session_id"] = r.SessionID
	}
	b, _ := json.Marshal(body)
	issuer, format := e.IssuerURL, issuance.FormatSS1
	if r.CAT {
		issuer, format = e.CATIssuerURL, issuance.FormatCAT
	}
	status, raw, err := e.callIssuer(ctx, http.MethodPost, issuer, e.JWT, r.UserAgent, b)
	if err != nil {
		return nil, "", fmt.Errorf("asking the issuer at %s for a key: %w", issuer, err)
	}
	if status != http.StatusOK {
		return nil, refusalOf(status, raw), fmt.Errorf("the issuer at %s answered %d %s: %s", issuer, status, http.StatusText(status), strings.TrimSpace(string(raw)))
	}
	k := &Key{UserAgent: r.UserAgent}
	if err := json.Unmarshal(raw, k); err != nil || k.Token == "" || k.URL == "" || k.Header.Name == "" {
		return nil, "", fmt.Errorf("the issuer's answer is not a key with its forms (%v)", err)
	}
	if k.Format != format {
		return nil, "", fmt.Errorf("the issuer at %s gave a key of format %q, want %q", issuer, k.Format, format)
	}
	u, err := onEdge(k.URL, e.edgeOf(k))
	if err != nil {
		return nil, "", err
	}
	if r.CAT {
		k.QueryURL = u
	} else {
		k.PrefixURL = u
	}
	return k, "", nil
}

// callIssuer sends body (nil for none) to the issuer at u with jwt as
// bearer token, and returns its status and body.
func (e *Env) callIssuer(ctx context.Context, method, u, jwt, userAgent string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("User-Agent", userAgent)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the issuer's answer: %w", err)
	}
	return resp.StatusCode, raw, nil
}

// refusalOf is the issuer's refusal as the table shows it: the status and
// the error code of its body ({"error": "revoked", "message": ...}).
func refusalOf(status int, body []byte) string {
	var r struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &r) == nil && r.Error != "" {
		return fmt.Sprintf("%d %s", status, r.Error)
	}
	return fmt.Sprint(status)
}

// edgeOf is the edge that accepts k: the CAT distribution's for a Common
// Access Token, else the ss1 one's.
func (e *Env) edgeOf(k *Key) string {
	if k != nil && k.Format == issuance.FormatCAT {
		return e.CATEdgeURL
	}
	return e.EdgeURL
}

// onEdge is a URL the issuer made for PlaybackHost, on the local edge at
// edge (scheme, host and port replaced; path and query kept).
func onEdge(u, edge string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("the issuer's url %q: %w", u, err)
	}
	eu, err := url.Parse(edge)
	if err != nil {
		return "", err
	}
	pu.Scheme, pu.Host = eu.Scheme, eu.Host
	return pu.String(), nil
}

// ss1 splits a token: ss1.<key id>.<claims>.<check>.<mac>.
var ss1 = regexp.MustCompile(`^(ss1\.[\w-]+\.)([\w-]+)(\.[\w-]+\.[\w-]+)$`)

// Tamper returns token with its expiry moved an hour later, as someone
// who wants a key to last longer would edit it: the claims no longer
// match the token's MAC.
func Tamper(token string) (string, error) {
	m := ss1.FindStringSubmatch(token)
	if m == nil {
		return "", errors.New("not an ss1 token")
	}
	claims, err := base64.RawURLEncoding.DecodeString(m[2])
	if err != nil {
		return "", fmt.Errorf("the token's claims: %w", err)
	}
	first, rest, more := strings.Cut(string(claims), "\n")
	exp, err := strconv.ParseInt(strings.TrimPrefix(first, "e="), 10, 64)
	if err != nil || !strings.HasPrefix(first, "e=") {
		return "", fmt.Errorf("the token's claims do not start with its expiry (e=)")
	}
	edited := fmt.Sprintf("e=%d", exp+3600)
	if more {
		edited += "\n" + rest
	}
	return m[1] + base64.RawURLEncoding.EncodeToString([]byte(edited)) + m[3], nil
}
