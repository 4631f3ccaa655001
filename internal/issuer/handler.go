// Package issuer is the Lambda function that mints stream keys for callers
// entitled to them, behind API Gateway (REST or HTTP API) or a function
// URL. Its configuration is in environment variables (see config.Variables); the
// key ring arrives KMS-encrypted and is decrypted once per container.
package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/jwks"
	"github.com/securestream/terraform-provider-securestream/internal/jwtverify"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/pause"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Issuer handles requests. Build it once per container with New.
type Issuer struct {
	cfg  *config.Config
	ring *streamkey.Ring
	// catRing is ring's keys as a CAT ring, with SECURESTREAM_TOKEN_FORMAT=cat.
	catRing *cat.Ring
	jwt     *jwtverify.Verifier
	// originSecret is the SHA-256 of the origin header's secret value, if
	// any: comparing digests in constant time does not leak its length.
	originSecret *[sha256.Size]byte
	// KVS is the client of the revocation store
	// (SECURESTREAM_REVOCATION_KVS_ARN); see NewKVSClient.
	KVS *kvs.Client
	// Now, Log and Rand are the clock, the log output and the randomness,
	// and Sleep waits between tries of a store write; tests replace them.
	Now   func() time.Time
	Log   io.Writer
	Rand  io.Reader
	Sleep func(context.Context, time.Duration) error
}

// sleep waits d, or less if ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if !pause.For(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 16 << 10

// New decrypts the key ring (and the HS256 key and the origin secret, if
// any) and builds the issuer. Errors name the variable and the KMS call.
func New(ctx context.Context, cfg *config.Config, kms keyring.Decrypter) (*Issuer, error) {
	// explain names the variable, and for a failed kms:Decrypt the likely
	// causes.
	explain := func(name string, err error) error {
		var call *keyring.CallError
		if !errors.As(err, &call) {
			return fmt.Errorf("%s: %w", name, err)
		}
		key := ""
		if cfg.KMSKeyID != "" {
			key = " and under the key SECURESTREAM_KMS_KEY_ID names"
		}
		return fmt.Errorf("%s: %w (is the ciphertext sealed for this function and this variable's purpose%s, and may its role use the key? "+
			"One sealed by a provider version before the purpose is refused: apply the securestream_secret and the securestream_issuer to re-seal it)", name, err, key)
	}
	// Each secret opens only for its own purpose (no fallback to the
	// legacy context, or an HS256 key could open as the ring).
	decrypt := func(name, purpose, value string) ([]byte, error) {
		pt, err := keyring.OpenSecret(ctx, kms, cfg.KMSKeyID, cfg.FunctionName, purpose, value)
		if err != nil {
			return nil, explain(name, err)
		}
		return pt, nil
	}
	doc, err := keyring.Open(ctx, kms, cfg.KMSKeyID, cfg.FunctionName, cfg.KeyringCiphertext)
	if err != nil {
		return nil, explain("SECURESTREAM_KEYRING", err)
	}
	ring, err := doc.Ring()
	if err != nil {
		return nil, fmt.Errorf("SECURESTREAM_KEYRING: %w", err)
	}
	if ring.SigningKey(time.Now(), 0) == "" {
		return nil, errors.New("SECURESTREAM_KEYRING: the ring holds only the seed key; it needs a key that signs new tokens")
	}
	is := &Issuer{cfg: cfg, ring: ring, Now: time.Now, Log: os.Stdout, Rand: rand.Reader, Sleep: sleep}
	if cfg.TokenFormat == issuance.FormatCAT {
		if is.catRing, err = cat.RingFromStreamkey(ring); err != nil {
			return nil, fmt.Errorf("SECURESTREAM_KEYRING: %w", err)
		}
	}
	if _, ok := doc.Seed(); cfg.SeedCompat && !ok {
		return nil, errors.New("SECURESTREAM_SEED_COMPAT=true but the key ring has no seed key")
	}
	if cfg.Auth == config.AuthJWT {
		is.jwt = &jwtverify.Verifier{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, ClientIDs: cfg.JWTClientIDs, Leeway: cfg.JWTLeeway}
		if cfg.JWTHS256Ciphertext != "" {
			if is.jwt.HS256Key, err = decrypt("SECURESTREAM_JWT_HS256_KEY", keyring.PurposeJWTHS256Key, cfg.JWTHS256Ciphertext); err != nil {
				return nil, err
			}
			if len(is.jwt.HS256Key) < 32 {
				return nil, errors.New("SECURESTREAM_JWT_HS256_KEY: the key must be at least 32 bytes")
			}
		}
		if cfg.JWTJWKS != "" {
			if is.jwt.Keys, err = jwks.Parse([]byte(cfg.JWTJWKS)); err != nil {
				return nil, fmt.Errorf("SECURESTREAM_JWT_JWKS: %w", err)
			}
		}
	}
	if cfg.ClientIPSource == config.IPFromViewerAddress && cfg.OriginSecretCiphertext != "" {
		secret, err := decrypt("SECURESTREAM_ORIGIN_SECRET", keyring.PurposeOriginSecret, cfg.OriginSecretCiphertext)
		if err != nil {
			return nil, err
		}
		if len(secret) < 16 {
			return nil, errors.New("SECURESTREAM_ORIGIN_SECRET: the secret must be at least 16 bytes")
		}
		sum := sha256.Sum256(secret)
		is.originSecret = &sum
	}
	return is, nil
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
		is.log(start, req, res.status, res.reason, res.kid, res.sid, res.notes...)
	}()
	res = is.serve(ctx, req)
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
	// notes are codes for the log: what the issuer did differently from
	// the plain case (never a secret or a token).
	notes []string
}

func refuse(status int, reason, format string, a ...any) *outcome {
	return &outcome{status: status, reason: reason, message: fmt.Sprintf(format, a...)}
}

// refused is the outcome of a refusal by the issuance policy.
func refused(rf *issuance.Refusal) *outcome {
	return &outcome{status: rf.Status, reason: rf.Reason.String(), message: rf.Message}
}

func (is *Issuer) serve(ctx context.Context, req *request) *outcome {
	if sid, ok := adminRoute(req); ok {
		return is.serveAdmin(ctx, req, sid)
	}
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
	return is.mint(ctx, req, in, entitled)
}

// input is what the caller asks for.
type input struct {
	PlaybackURL string
	TTL         time.Duration
	// SessionID continues a session: the session_id of the caller's
	// previous key, "" for a new session.
	SessionID string
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
	var ttl, sid *string
	if req.method == "GET" && req.query["playback_url"] != "" {
		in.PlaybackURL = req.query["playback_url"]
		if v, ok := req.query["ttl_seconds"]; ok {
			ttl = &v
		}
		if v, ok := req.query["session_id"]; ok {
			sid = &v
		}
	} else {
		if len(strings.TrimSpace(string(req.body))) == 0 {
			return nil, refuse(400, "bad_request", "send playback_url in a JSON body ({\"playback_url\": \"https://...\"}) or, with GET, as a query parameter")
		}
		// JSON is UTF-8 (RFC 8259); encoding/json would quietly turn other
		// bytes into U+FFFD and sign a URL the caller did not send.
		if !utf8.Valid(req.body) {
			return nil, refuse(400, "bad_request", "the body must be JSON in UTF-8")
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
		if raw, ok := body["session_id"]; ok && string(raw) != "null" {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, refuse(400, "bad_request", "session_id: must be a string, not %s", kind(raw))
			}
			sid = &s
		}
	}
	if sid != nil {
		if !validSessionID(*sid) {
			return nil, refuse(400, "bad_request", "session_id: must be 1 to 64 of A-Z a-z 0-9 . _ ~ - (the session_id of a key this issuer gave)")
		}
		in.SessionID = *sid
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

func (is *Issuer) mint(ctx context.Context, req *request, in *input, entitled []string) *outcome {
	hosts := is.cfg.AllowedHosts
	if hosts == nil {
		hosts = []string{} // the issuer never signs for any host
	}
	pb, rf := issuance.CheckPlaybackURL(in.PlaybackURL, issuance.URLRules{Schemes: is.cfg.AllowedSchemes, Hosts: hosts, Prefixes: is.cfg.AllowedPrefixes})
	if rf != nil {
		return refused(rf)
	}
	// Refuse what cannot be covered before looking at the client.
	if _, rf := issuance.Coverage(is.cfg.PatternMode, pb, entitled); rf != nil {
		return refused(rf)
	}
	ttl := in.TTL
	if ttl == 0 {
		ttl = is.cfg.DefaultTTL
	}
	if ttl > is.cfg.MaxTTL {
		ttl = is.cfg.MaxTTL
	}
	var notes []string
	clientIP, proven, err := is.clientIP(req)
	if !proven {
		notes = append(notes, "viewer_address_unproven")
	}
	if err != nil && is.cfg.IPBinding != streamkey.IPOff {
		return refuse(400, "client_ip", "%v", err)
	}
	seedIP := clientIP
	if seedIP == "" {
		seedIP = req.sourceIP
	}
	// Only a continued session can be revoked already: a new one is random.
	if in.SessionID != "" && is.cfg.RevocationKVSARN != "" {
		if res := is.checkRevocation(ctx, req, in.SessionID, &notes); res != nil {
			return res
		}
	}
	pol := is.policy()
	k, err := issuance.MintKey(is.ring, pol, pb, issuance.Subject{
		ClientIP: clientIP, SeedClientIP: seedIP, UserAgent: req.headers["user-agent"],
		NotBefore: is.Now(), TTL: ttl, Entitled: entitled, SessionID: in.SessionID,
	}, is.Rand)
	if errors.As(err, &rf) {
		return refused(rf)
	}
	if err != nil {
		return refuse(400, "bad_request", "%v", err)
	}
	body := map[string]any{
		"format":     k.Format,
		"token":      k.Token,
		"key_id":     k.KeyID,
		"expires":    k.Expires.Unix(),
		"expires_at": k.Expires.UTC().Format(time.RFC3339),
		"header":     map[string]string{"name": pol.Channels.Header, "value": k.Token},
		"query":      k.Forms.Query,
		"url":        k.Forms.URL,
		"cookie":     k.Forms.Cookie,
	}
	if k.SessionID != "" {
		body["session_id"] = k.SessionID
	}
	if k.StreamKey != "" {
		body["stream_key"], body["stream_policy"] = k.StreamKey, k.StreamPolicy
	}
	if k.SeedOmitted != "" {
		body["seed_omitted"] = k.SeedOmitted
		notes = append(notes, "seed_omitted")
	}
	return &outcome{status: 200, reason: "issued", body: body, kid: k.KeyID, sid: k.SessionID, notes: notes}
}

// policy is the part of the configuration that shapes keys.
func (is *Issuer) policy() issuance.Policy {
	p := issuance.Policy{
		PatternMode: is.cfg.PatternMode, IPBinding: is.cfg.IPBinding, BindUserAgent: is.cfg.BindUserAgent,
		BindHost: is.cfg.BindHost, SessionIDs: is.cfg.SessionIDs, SeedCompat: is.cfg.SeedCompat,
		ActivationDelay: is.cfg.ActivationDelay, Channels: is.cfg.Channels, CookieSameSite: is.cfg.CookieSameSite,
		Format: is.cfg.TokenFormat,
	}
	if p.Format == issuance.FormatCAT {
		p.Channels, p.CATRing = is.cfg.CATChannels, is.catRing
	}
	return p
}

// clientIP finds the client's address as configured, normalised as the
// token format says. proven is false when CloudFront-Viewer-Address is
// configured but the request did not prove it came through CloudFront, so
// that its own source address was used.
func (is *Issuer) clientIP(req *request) (ip string, proven bool, err error) {
	var s string
	proven = true
	switch is.cfg.ClientIPSource {
	case config.IPFromViewerAddress:
		if !is.viaCloudFront(req) {
			s, proven = req.sourceIP, false
			break
		}
		v := req.headers["cloudfront-viewer-address"]
		if i := strings.LastIndexByte(v, ':'); i > 0 {
			s = v[:i] // "ip:port", IPv6 without brackets
		}
	case config.IPFromForwardedFor:
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
	ip, err = streamkey.CanonicalIP(s)
	if err != nil {
		return "", proven, fmt.Errorf("the client address (%s) is not known: %v", is.cfg.ClientIPSource, err)
	}
	return ip, proven, nil
}

// viaCloudFront reports whether the request proves it came through
// CloudFront: the origin header's secret, compared in constant time, and,
// when configured, a source address in the CloudFront CIDRs. The CIDRs are
// never enough alone: every CloudFront customer's distributions send from
// them, with whatever CloudFront-Viewer-Address their viewers forge.
func (is *Issuer) viaCloudFront(req *request) bool {
	if is.originSecret == nil {
		return false // config.Load requires the secret; never believe the header without it
	}
	got := sha256.Sum256([]byte(req.headers[is.cfg.OriginSecretHeader]))
	if subtle.ConstantTimeCompare(got[:], is.originSecret[:]) != 1 {
		return false
	}
	return len(is.cfg.CloudFrontCIDRs) == 0 || trusted(req.sourceIP, is.cfg.CloudFrontCIDRs)
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
