// Package issuer is the Lambda function that mints stream keys for callers
// entitled to them, behind API Gateway (REST or HTTP API) or a function
// URL. Its configuration is in environment variables (see Variables); the
// key ring arrives KMS-encrypted and is decrypted once per container.
package issuer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwtverify"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Decrypter decrypts KMS ciphertext under an encryption context.
type Decrypter interface {
	Decrypt(ctx context.Context, ciphertext []byte, encryptionContext map[string]string) ([]byte, error)
}

// Issuer handles requests. Build it once per container with New.
type Issuer struct {
	cfg  *Config
	ring *streamkey.Ring
	jwt  *jwtverify.Verifier
	// Now, Log and Rand are the clock, the log output and the randomness;
	// tests replace them.
	Now  func() time.Time
	Log  io.Writer
	Rand io.Reader
}

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 16 << 10

// New decrypts the key ring (and the HS256 key, if any) and builds the
// issuer. Errors name the variable and the KMS call.
func New(ctx context.Context, cfg *Config, kms Decrypter) (*Issuer, error) {
	encCtx := keyring.EncryptionContext(cfg.FunctionName)
	decrypt := func(name, value string) ([]byte, error) {
		ct, err := keyring.DecodeCiphertext(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pt, err := kms.Decrypt(ctx, ct, encCtx)
		if err != nil {
			return nil, fmt.Errorf("%s: kms:Decrypt with encryption context LambdaFunctionName=%s failed "+
				"(is the ciphertext for this function, and may its role use the key?): %w", name, cfg.FunctionName, err)
		}
		return pt, nil
	}
	pt, err := decrypt("SECURESTREAM_KEYRING", cfg.KeyringCiphertext)
	if err != nil {
		return nil, err
	}
	doc, err := keyring.Parse(pt)
	if err != nil {
		return nil, fmt.Errorf("SECURESTREAM_KEYRING: %w", err)
	}
	ring, _ := doc.Ring()
	is := &Issuer{cfg: cfg, ring: ring, Now: time.Now, Log: os.Stdout, Rand: rand.Reader}
	if cfg.SeedCompat && !hasSeed(doc) {
		return nil, errors.New("SECURESTREAM_SEED_COMPAT=true but the key ring has no seed key")
	}
	if cfg.Auth == AuthJWT {
		is.jwt = &jwtverify.Verifier{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Leeway: cfg.JWTLeeway}
		if cfg.JWTHS256Ciphertext != "" {
			if is.jwt.HS256Key, err = decrypt("SECURESTREAM_JWT_HS256_KEY", cfg.JWTHS256Ciphertext); err != nil {
				return nil, err
			}
			if len(is.jwt.HS256Key) < 32 {
				return nil, errors.New("SECURESTREAM_JWT_HS256_KEY: the key must be at least 32 bytes")
			}
		}
		if cfg.JWTJWKS != "" {
			if is.jwt.Keys, err = jwtverify.ParseJWKS([]byte(cfg.JWTJWKS)); err != nil {
				return nil, fmt.Errorf("SECURESTREAM_JWT_JWKS: %w", err)
			}
		}
	}
	return is, nil
}

func hasSeed(d *keyring.Document) bool {
	for _, k := range d.Keys {
		if k.Seed {
			return true
		}
	}
	return false
}

// Handle answers one API Gateway or function URL event. It returns an
// error only for an event that is not an HTTP request at all.
func (is *Issuer) Handle(ctx context.Context, raw json.RawMessage) (out *response, err error) {
	start := is.Now()
	req, err := parseEvent(raw)
	if err != nil {
		is.log(start, nil, 400, "not_http", "", "")
		return nil, err
	}
	res := &outcome{status: 500, reason: "internal"}
	defer func() {
		if p := recover(); p != nil {
			res = &outcome{status: 500, reason: "internal", message: "the issuer failed; the log has the request id"}
			fmt.Fprintf(is.Log, "{\"level\":\"error\",\"request_id\":%q,\"panic\":%q}\n", req.requestID, fmt.Sprint(p))
		}
		out = is.respond(req, res)
		is.log(start, req, res.status, res.reason, res.kid, res.sid)
	}()
	res = is.serve(req)
	return out, nil
}

// outcome is the result before it is written as a response.
type outcome struct {
	status   int
	reason   string
	message  string
	body     map[string]any
	kid, sid string
	headers  map[string]string
}

func refuse(status int, reason, format string, a ...any) *outcome {
	return &outcome{status: status, reason: reason, message: fmt.Sprintf(format, a...)}
}

func (is *Issuer) serve(req *request) *outcome {
	switch req.method {
	case "OPTIONS":
		return &outcome{status: 204, reason: "preflight"}
	case "GET", "POST":
	default:
		return &outcome{status: 405, reason: "method", message: "use GET or POST", headers: map[string]string{"allow": "GET, POST, OPTIONS"}}
	}
	entitled, res := is.authenticate(req)
	if res != nil {
		return res
	}
	in, res := parseInput(req)
	if res != nil {
		return res
	}
	return is.mint(req, in, entitled)
}

// input is what the caller asks for.
type input struct {
	PlaybackURL string
	TTL         time.Duration
}

// kind names a JSON value's type for an error message.
func kind(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "that"
}

func parseInput(req *request) (*input, *outcome) {
	if len(req.body) > MaxBodyBytes {
		return nil, refuse(413, "body_too_large", "the body is %d bytes; the limit is %d", len(req.body), MaxBodyBytes)
	}
	in := &input{}
	var ttl *string
	if req.method == "GET" && req.query["playback_url"] != "" {
		in.PlaybackURL = req.query["playback_url"]
		if v, ok := req.query["ttl_seconds"]; ok {
			ttl = &v
		}
	} else {
		if len(strings.TrimSpace(string(req.body))) == 0 {
			return nil, refuse(400, "bad_request", "send playback_url in a JSON body ({\"playback_url\": \"https://...\"}) or, with GET, as a query parameter")
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(req.body, &body); err != nil || body == nil {
			return nil, refuse(400, "bad_request", "the body must be a JSON object")
		}
		raw, ok := body["playback_url"]
		if !ok || json.Unmarshal(raw, &in.PlaybackURL) != nil {
			return nil, refuse(400, "bad_request", "playback_url: must be a string")
		}
		if raw, ok := body["ttl_seconds"]; ok && string(raw) != "null" {
			var n json.Number
			if raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
				return nil, refuse(400, "bad_request", "ttl_seconds: must be a number of seconds, not %s", kind(raw))
			}
			s := string(n)
			ttl = &s
		}
	}
	if ttl != nil {
		f, err := strconv.ParseFloat(*ttl, 64)
		if err != nil || f != math.Trunc(f) || f <= 0 {
			return nil, refuse(400, "bad_request", "ttl_seconds: must be a whole number of seconds greater than 0")
		}
		in.TTL = time.Duration(math.Min(f, 1<<31)) * time.Second // clamped to the maximum later
	}
	return in, nil
}

// checkURL applies the configured scheme, host and path rules and returns
// the URL's host and its path as the edge will see it.
func (is *Issuer) checkURL(raw string) (host, path string, prefix string, res *outcome) {
	bad := func(format string, a ...any) (string, string, string, *outcome) {
		return "", "", "", refuse(400, "bad_url", "playback_url: "+format, a...)
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
	if !contains(is.cfg.AllowedSchemes, scheme) {
		return bad("the scheme %q is not allowed (allowed: %s)", u.Scheme, strings.Join(is.cfg.AllowedSchemes, ", "))
	}
	if u.User != nil {
		return bad("must not carry a user name or password")
	}
	host = strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		return bad("must not name a port")
	}
	if !is.hostAllowed(host) {
		return "", "", "", refuse(403, "host_not_allowed", "playback_url: the host %q is not one this issuer signs for", host)
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if strings.Contains(u.RawPath+u.Path, "\\") || !streamkey.SafePath(path) {
		return bad("the path must not contain dot segments, \"//\", encoded slashes or dots, or backslashes")
	}
	for _, p := range is.cfg.AllowedPrefixes {
		if strings.HasPrefix(path, p) && len(p) > len(prefix) {
			prefix = p
		}
	}
	if prefix == "" {
		return "", "", "", refuse(403, "path_not_allowed", "playback_url: the path is not under an allowed prefix")
	}
	return host, path, prefix, nil
}

func (is *Issuer) hostAllowed(host string) bool {
	for _, h := range is.cfg.AllowedHosts {
		h = strings.ToLower(h)
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (is *Issuer) mint(req *request, in *input, entitled []string) *outcome {
	host, path, prefix, res := is.checkURL(in.PlaybackURL)
	if res != nil {
		return res
	}
	if entitled != nil && !underAny(path, entitled) {
		return refuse(403, "not_entitled", "the caller may not play %s", path)
	}
	ttl := in.TTL
	if ttl == 0 {
		ttl = is.cfg.DefaultTTL
	}
	if ttl > is.cfg.MaxTTL {
		ttl = is.cfg.MaxTTL
	}
	clientIP, err := is.clientIP(req)
	if err != nil && is.cfg.IPBinding != streamkey.IPOff {
		return refuse(400, "client_ip", "%v", err)
	}
	ua := req.headers["user-agent"]
	now := is.Now()
	pattern := Pattern(is.cfg.PatternMode, path, prefix)
	g := streamkey.Grant{
		Expires:       now.Add(ttl),
		NotBefore:     now,
		Paths:         []string{pattern},
		IPBinding:     is.cfg.IPBinding,
		ClientIP:      clientIP,
		BindUserAgent: is.cfg.BindUserAgent,
		UserAgent:     ua,
	}
	if is.cfg.BindHost {
		g.Host = host
	}
	if is.cfg.SessionIDs {
		var b [12]byte
		if _, err := io.ReadFull(is.Rand, b[:]); err != nil {
			return refuse(500, "internal", "no randomness for the session id")
		}
		g.SessionID = base64.RawURLEncoding.EncodeToString(b[:])
	}
	kid := is.ring.SigningKey(now, is.cfg.ActivationDelay)
	tok, err := is.ring.Mint(kid, g)
	if err != nil {
		return refuse(400, "bad_request", "%v", err)
	}
	exp := g.Expires.Unix()
	forms := MakeForms(tok, strings.SplitN(in.PlaybackURL, ":", 2)[0], host, path, ttl,
		Names{Header: is.cfg.Header, Query: is.cfg.Query, Cookie: is.cfg.Cookie, PathPrefix: is.cfg.PathPrefix})
	body := map[string]any{
		"token":      tok,
		"key_id":     kid,
		"expires":    exp,
		"expires_at": time.Unix(exp, 0).UTC().Format(time.RFC3339),
		"header":     map[string]string{"name": is.cfg.Header, "value": tok},
		"query":      forms.Query,
		"url":        forms.URL,
		"cookie":     forms.Cookie,
	}
	if g.SessionID != "" {
		body["session_id"] = g.SessionID
	}
	if is.cfg.SeedCompat {
		seedIP := clientIP
		if seedIP == "" {
			seedIP = req.sourceIP
		}
		sk, err := is.ring.MintSeed(streamkey.SeedGrant{PlaybackURL: in.PlaybackURL, ClientIP: seedIP, UserAgent: ua, Expires: g.Expires})
		if err == nil {
			body["stream_key"], body["stream_policy"] = sk.StreamKey, sk.StreamPolicy
		}
	}
	return &outcome{status: 200, reason: "issued", body: body, kid: kid, sid: g.SessionID}
}

func pathUnescaped(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}

func underAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// clientIP finds the client's address as configured, normalised as the
// token format says.
func (is *Issuer) clientIP(req *request) (string, error) {
	var s string
	switch is.cfg.ClientIPSource {
	case IPFromViewerAddress:
		v := req.headers["cloudfront-viewer-address"]
		if i := strings.LastIndexByte(v, ':'); i > 0 {
			s = v[:i] // "ip:port", IPv6 without brackets
		}
	case IPFromForwardedFor:
		parts := strings.Split(req.headers["x-forwarded-for"], ",")
		s = req.sourceIP
		for i := len(parts) - 1; i >= 0 && trusted(s, is.cfg.TrustedProxies); i-- {
			s = strings.TrimSpace(parts[i])
		}
		if trusted(s, is.cfg.TrustedProxies) {
			s = ""
		}
	default:
		s = req.sourceIP
	}
	ip, err := streamkey.CanonicalIP(s)
	if err != nil {
		return "", fmt.Errorf("the client address (%s) is not known: %v", is.cfg.ClientIPSource, err)
	}
	return ip, nil
}

func trusted(s string, proxies []netip.Prefix) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	for _, p := range proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
