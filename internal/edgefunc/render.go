// Package edgefunc renders the CloudFront Function (cloudfront-js-2.0,
// viewer request) that checks stream keys at the edge, from an embedded
// template and a key ring.
package edgefunc

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/cflimits"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

//go:embed viewer_request.js.tmpl
var source string

var tmpl = template.Must(template.New("viewer_request.js").Funcs(template.FuncMap{"take": takeJS}).Parse(source))

// takeJS is the code that takes a token out of a request: it deletes the
// header, parameter or cookie name (a JavaScript literal) from obj, so
// that it never reaches the origin, and sets v to its value unless v
// already holds one (null when the value is repeated). Written out in
// place, it saves a function call per channel on every request.
func takeJS(obj, name, v string) string {
	return fmt.Sprintf("if (x = %[1]s[%[2]s]) {\n        delete %[1]s[%[2]s];\n        if (%[3]s === undefined) %[3]s = x.multiValue && x.multiValue.length > 1 ? null : x.value;\n    }",
		obj, name, v)
}

// Runtime is the CloudFront Functions runtime the rendered code needs.
const Runtime = "cloudfront-js-2.0"

// Size limits: CloudFront's on function code, and the key ring's (the
// seed key counts), which securestream_secret enforces when it rotates.
const (
	MaxSize = cflimits.FunctionCodeSize
	MaxKeys = keyring.MaxKeys
)

// Key is one key of the ring the function checks tokens against: the token
// format's key. A key marked Seed (the original deployment's secret) never
// verifies ss1 tokens: it is written into the code apart from the ss1
// keys, and only when SeedKeyID names it.
type Key = streamkey.Key

// NoLeeway sets Config.Leeway to zero (a zero Leeway is the default).
const NoLeeway = streamkey.NoLeeway

// The preflight answer's Access-Control-Max-Age: the default, and the
// bound (Chromium keeps an answer 2 h at most, whatever it says).
const (
	DefaultCORSMaxAge = 10 * time.Minute
	MaxCORSMaxAge     = 2 * time.Hour
)

// originRE is an origin as a browser serializes it (RFC 6454): http or
// https, a host name or IPv4 address in lower case, and a port only when
// it is not the scheme's default.
var originRE = regexp.MustCompile(`^(https?)://([a-z\d](?:[a-z\d-]*[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]*[a-z\d])?)*)(?::([1-9]\d{0,4}))?$`)

// CheckOrigins checks a list of allowed CORS origins: each as a browser
// sends it in the Origin header, which the function compares byte for
// byte, or "*" alone for any origin.
func CheckOrigins(origins []string) error {
	seen := map[string]bool{}
	for _, o := range origins {
		if err := checkOrigin(o); err != nil {
			return err
		}
		if o == "*" && len(origins) > 1 {
			return errors.New(`CORS origin "*" (any origin) must be alone in the list`)
		}
		if seen[o] {
			return fmt.Errorf("CORS origin %q is in the list twice", o)
		}
		seen[o] = true
	}
	return nil
}

func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	m := originRE.FindStringSubmatch(o)
	if m == nil || len(o) > 253 {
		return fmt.Errorf("CORS origin %q is not an origin as browsers send it: http:// or https://, then the host in lower case, "+
			"then :port unless it is the default; no path, not even a final '/' (such as https://player.example.com)", o)
	}
	if port, _ := strconv.Atoi(m[3]); port > 65535 || (m[1] == "https" && port == 443) || (m[1] == "http" && port == 80) {
		return fmt.Errorf("CORS origin %q: browsers send no default port and no port above 65535; write %s://%s", o, m[1], m[2])
	}
	return nil
}

// corsMaxAge is the preflight answer's maximum age in seconds.
func corsMaxAge(d time.Duration) (int64, error) {
	if d == 0 {
		d = DefaultCORSMaxAge
	}
	if d < time.Second || d > MaxCORSMaxAge || d%time.Second != 0 {
		return 0, fmt.Errorf("CORS max age %v must be whole seconds from 1s to %v", d, MaxCORSMaxAge)
	}
	return int64(d / time.Second), nil
}

// Config is what the function is rendered from.
type Config struct {
	// Format is the token format the function checks: "" or
	// issuance.FormatSS1 (the default), or issuance.FormatCAT (CTA-5007
	// Common Access Tokens, MAC checked with cf.cwt; the ring's non-seed
	// keys are the CAT keys, as cat.RingFromStreamkey makes them).
	Format string
	// Keys is the key ring: 1 to 8 keys.
	Keys []Key
	// SeedKeyID, when set, switches seed compatibility on: seed-format keys
	// (stream_key and stream_policy headers, either spelling) signed with
	// that key are accepted. That key then verifies seed-format keys only,
	// never ss1 tokens. Empty: a key marked Seed is left out of the code.
	SeedKeyID string
	// Channels say where tokens are looked for, in this order of
	// precedence: path prefix, header, query parameter, cookie. An empty
	// name switches a channel off. In CAT mode there is no path prefix,
	// and no channel set at all means issuance.DefaultCATChannels().
	Channels issuance.Channels
	// MaxLifetime and Leeway are the verifier's policy, as in
	// streamkey.Verifier: whole seconds, MaxLifetime 1s to 7 days (zero:
	// 24 h), Leeway up to 1 h (zero: 30 s; NoLeeway for none).
	MaxLifetime time.Duration
	Leeway      time.Duration
	// Exempt are path patterns that need no token (/favicon.ico, /posters/*).
	Exempt []string
	// PreflightNeedsToken makes CORS preflights (OPTIONS with Origin and
	// Access-Control-Request-Method) need a token like any other request.
	// By default the function answers them itself with a 204 (browsers
	// send no token with them) and never forwards them, since an origin
	// may answer OPTIONS like GET; any other OPTIONS request needs a token
	// either way.
	PreflightNeedsToken bool
	// CORSOrigins are the browser origins ("https://player.example.com",
	// as browsers send them) whose preflights the function answers and
	// that may read its 403s. Empty or "*" alone: any origin, answered
	// with "*". A preflight from another origin is refused with a 403
	// without Access-Control-Allow-Origin.
	CORSOrigins []string
	// CORSMaxAge is how long a browser may keep the answer to a preflight:
	// whole seconds, 1s to 2h (zero: 10 min).
	CORSMaxAge time.Duration
	// DebugReasons puts the precise reason of a refusal (ip, ua, bad_mac,
	// ...) in the 403's x-stream-key-error header. By default the header
	// says only "expired" or "invalid", so that it does not tell a token
	// thief that a token is genuine; the log line has the precise reason.
	DebugReasons bool
	// ReportOnly logs refusals and lets every request through.
	ReportOnly bool
	// Revocation, when set, says a CloudFront KeyValueStore is associated
	// with the function and the function checks it for revoked sessions.
	// Nil: no store, and the code is what it was before revocation existed.
	Revocation *Revocation
}

// Revocation is the revocation check of a function with a KeyValueStore
// (docs/guides/edge-function.md): after every other check has passed, a
// token with a session id s is refused as revoked while the store holds
// the key "r:"+s with a value (decimal Unix seconds) after now.
type Revocation struct {
	// FailClosed refuses a token (403 revocation_unavailable) when the
	// store cannot be read or holds a value that is not a decimal
	// integer. By default (fail open) the request passes and the function
	// logs "securestream revocation_unavailable".
	FailClosed bool
}

// The reasons of the revocation check, edge only like origin (the Go
// verifier has no store): in the deny log line, and in the 403's
// x-stream-key-error header with DebugReasons ("invalid" otherwise).
const (
	ReasonRevoked               = "revoked"
	ReasonRevocationUnavailable = "revocation_unavailable"
)

// RevocationKey is the store key of a revoked session: "r:" and the
// session id (ss1's s claim), at most 66 bytes.
func RevocationKey(sessionID string) string { return "r:" + sessionID }

// Render returns the function code for cfg. It refuses a configuration
// that is invalid, and code over CloudFront's 10,240-byte limit.
func Render(cfg Config) ([]byte, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	// The ss1 keys go into K; the seed key into a variable of its own that
	// only the seed-format path reads, and only when seed compatibility is
	// on, so that it can never verify an ss1 token.
	keys := map[string]any{}
	binary, seed, seedBinary := "", "", ""
	for _, k := range cfg.Keys {
		secret := jsSecret(k.Secret)
		_, isText := secret.(string)
		switch {
		case k.ID == cfg.SeedKeyID:
			seed = js(secret)
			if !isText {
				seedBinary = "true"
			}
		case k.Seed: // seed compatibility is off: the secret stays out
		default:
			keys["."+k.ID] = secret
			if !isText {
				binary = "true"
			}
		}
	}
	var exempt []string
	for _, p := range cfg.Exempt {
		cp, _ := streamkey.CanonicalPattern(p) // checked by validate
		exempt = append(exempt, cp)
	}
	leeway, bound, _ := streamkey.TimeLimits(cfg.MaxLifetime, cfg.Leeway) // checked by validate

	maxAge, _ := corsMaxAge(cfg.CORSMaxAge) // checked by validate
	// A preflight's answer allows the headers a player sends the key in
	// (the seed format's too), and range, which players send for segments.
	var allowHeaders []string
	if cfg.Channels.Header != "" {
		allowHeaders = append(allowHeaders, cfg.Channels.Header)
	}
	if cfg.SeedKeyID != "" {
		allowHeaders = append(allowHeaders, "stream-key", "stream-policy", "stream_key", "stream_policy")
	}
	allowHeaders = append(allowHeaders, "range")
	// Settings are written where the code uses them; "" switches a part
	// of the template off.
	data := map[string]string{
		"Keys":       js(keys),
		"Seed":       seed,
		"SeedBinary": seedBinary,
		"Binary":     binary,
		"Header":     jsIf(cfg.Channels.Header),
		"Query":      jsIf(cfg.Channels.Query),
		"Cookie":     jsIf(cfg.Channels.Cookie),
		"Prefix":     jsIf(slashed(cfg.Channels.PathPrefix)),
		"PrefixLen":  fmt.Sprint(len(slashed(cfg.Channels.PathPrefix))),
		"Leeway":     fmt.Sprint(leeway),
		"LifeLeeway": fmt.Sprint(bound),
		// The longest token and payload the format allows: longer ones are
		// refused before the regular expression runs.
		"MaxTokenLen":   fmt.Sprint(streamkey.MaxTokenLen),
		"MaxPayloadLen": fmt.Sprint(streamkey.MaxPayloadLen),
		"Preflight":     "",
		"Origins":       "",
		"MaxAge":        fmt.Sprint(maxAge),
		"AllowHeaders":  js(strings.Join(allowHeaders, ", ")),
		"Debug":         "",
		"ReportOnly":    "",
		"Exempt":        "",
		"Revocation":    "",
		"FailClosed":    "",
		// The revocation check's session id: ss1's s claim, or the cti of
		// a CAT.
		"SID": "c[8]",
		"CAT": "",
	}
	if cfg.Format == issuance.FormatCAT {
		catData(data)
	}
	if !cfg.PreflightNeedsToken {
		data["Preflight"] = "true"
	}
	if len(cfg.CORSOrigins) > 0 && cfg.CORSOrigins[0] != "*" {
		data["Origins"] = js(cfg.CORSOrigins)
	}
	if cfg.DebugReasons {
		data["Debug"] = "true"
	}
	if cfg.ReportOnly {
		data["ReportOnly"] = "true"
	}
	if len(exempt) > 0 {
		data["Exempt"] = js(exempt)
	}
	if cfg.Revocation != nil {
		data["Revocation"] = "true"
		if cfg.Revocation.FailClosed {
			data["FailClosed"] = "true"
		}
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("edgefunc: rendering the template: %w", err)
	}
	code := compact(b.Bytes())
	if len(code) > MaxSize {
		return nil, fmt.Errorf("edgefunc: the rendered function is %d bytes; CloudFront's limit is %d "+
			"(use fewer keys, exempt patterns or CORS origins)", len(code), MaxSize)
	}
	return code, nil
}

// catData sets the CAT mode's settings: the claim keys, from package
// cat's one table, and the claims a crit list may name.
func catData(data map[string]string) {
	data["CAT"], data["SID"] = "true", "D"
	data["MaxTokenLen"] = fmt.Sprint(cat.MaxTokenLen)
	var critical []int64
	for name, key := range cat.ClaimKeys() {
		data["C"+name] = fmt.Sprint(key)
		if name != "crit" && name != "catr" { // crit cannot be critical; catr needs renewal, which the edge does not do
			critical = append(critical, key)
		}
	}
	slices.Sort(critical)
	data["Critical"] = js(critical)
}

func (cfg *Config) validate() error {
	switch cfg.Format {
	case "", issuance.FormatSS1:
	case issuance.FormatCAT:
		if cfg.Channels == (issuance.Channels{}) {
			cfg.Channels = issuance.DefaultCATChannels()
		}
		if cfg.Channels.PathPrefix != "" {
			return fmt.Errorf("edgefunc: the CAT format has no path-prefix channel (a CAT is up to %d characters, and catu covers the path "+
				"the request carries); switch the path prefix %q off and use the header, query parameter or cookie", cat.MaxTokenLen, cfg.Channels.PathPrefix)
		}
	default:
		return fmt.Errorf("edgefunc: unknown token format %q; use %q (the default) or %q", cfg.Format, issuance.FormatSS1, issuance.FormatCAT)
	}
	if len(cfg.Keys) == 0 || len(cfg.Keys) > MaxKeys {
		return fmt.Errorf("edgefunc: the key ring needs 1 to %d keys, got %d", MaxKeys, len(cfg.Keys))
	}
	// The ring's own rules (key ids, secrets, one seed key at most) are
	// the token format's: the ring checks them.
	if _, err := streamkey.NewRing(cfg.Keys...); err != nil {
		return fmt.Errorf("edgefunc: %w", err)
	}
	seen := map[string]bool{}
	seedID, ss1Keys := "", 0
	for _, k := range cfg.Keys {
		seen[k.ID] = true
		if k.Seed {
			seedID = k.ID
		} else if k.ID != cfg.SeedKeyID {
			ss1Keys++
		}
	}
	if cfg.SeedKeyID != "" && !seen[cfg.SeedKeyID] {
		return fmt.Errorf("edgefunc: the seed key %q is not in the key ring", cfg.SeedKeyID)
	}
	if cfg.SeedKeyID != "" && seedID != "" && seedID != cfg.SeedKeyID {
		return fmt.Errorf("edgefunc: SeedKeyID is %q but key %q is marked Seed; name the seed key", cfg.SeedKeyID, seedID)
	}
	if ss1Keys == 0 && cfg.SeedKeyID == "" {
		return errors.New("edgefunc: the key ring has only the seed key and seed compatibility is off, so nothing could pass; " +
			"add an ss1 key or set SeedKeyID")
	}
	ch, err := cfg.Channels.Normalize()
	if err != nil {
		return fmt.Errorf("edgefunc: %w", err)
	}
	cfg.Channels = ch // the header name in lower case, as CloudFront gives it
	if _, _, err := streamkey.TimeLimits(cfg.MaxLifetime, cfg.Leeway); err != nil {
		return fmt.Errorf("edgefunc: %w", err)
	}
	for _, p := range cfg.Exempt {
		if _, err := streamkey.CanonicalPattern(p); err != nil {
			return fmt.Errorf("edgefunc: exempt path: %w", err)
		}
	}
	if err := CheckOrigins(cfg.CORSOrigins); err != nil {
		return fmt.Errorf("edgefunc: %w", err)
	}
	if _, err := corsMaxAge(cfg.CORSMaxAge); err != nil {
		return fmt.Errorf("edgefunc: %w", err)
	}
	return nil
}

// jsSecret is how a secret is written into the function: as a string when
// it is printable ASCII (a JavaScript string of those characters is
// encoded to exactly those bytes, and the function needs no Buffer, which
// is costly to set up per request), otherwise as base64 for Buffer.from.
func jsSecret(secret []byte) any {
	for _, c := range secret {
		if c < 0x20 || c > 0x7e {
			return map[string]string{"b": base64.StdEncoding.EncodeToString(secret)}
		}
	}
	return string(secret)
}

// slashed is a path prefix as the function matches it: "/<prefix>/", or
// "" when the channel is off.
func slashed(p string) string {
	if p == "" {
		return ""
	}
	return "/" + p + "/"
}

// jsIf renders a string as a JavaScript literal, and "" as "" (off).
func jsIf(s string) string {
	if s == "" {
		return ""
	}
	return js(s)
}

// js renders a value as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings, maps and slices of strings always marshal
	}
	return string(b)
}

// compact drops comment lines, indentation, blank lines and the spaces
// that separate nothing (next to punctuation, outside string literals).
// The template keeps every comment on a line of its own, no string spans
// lines, and no regular expression literal holds a space or a quote, so
// this cannot change the program; the differential tests run the result.
func compact(code []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(code), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var quote byte
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case quote != 0:
				if c == '\\' && i+1 < len(line) {
					out.WriteByte(c)
					i++
					c = line[i]
				} else if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"':
				quote = c
			case c == ' ':
				prev, next := line[i-1], line[i+1]
				if (isIdent(prev) && isIdent(next)) || (prev == next && (prev == '+' || prev == '-')) {
					break
				}
				continue
			}
			out.WriteByte(c)
		}
		// A statement or block that ends the line needs no newline after it.
		if last := line[len(line)-1]; last != ';' && last != '{' && last != '}' && last != ',' {
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

func isIdent(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$'
}
