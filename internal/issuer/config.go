package issuer

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/jwtverify"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// AuthMode says who may ask for a stream key.
type AuthMode string

// The authentication modes.
const (
	// AuthNone lets anyone ask; it must be chosen explicitly.
	AuthNone AuthMode = "none"
	// AuthAuthorizer trusts API Gateway's authorizer, which already ran.
	AuthAuthorizer AuthMode = "authorizer"
	// AuthJWT checks a bearer JWT in the Lambda.
	AuthJWT AuthMode = "jwt"
)

// Client address sources.
const (
	IPFromRequest       = "request"                   // the request context's source IP
	IPFromViewerAddress = "cloudfront-viewer-address" // CloudFront-Viewer-Address, when CloudFront fronts the API
	IPFromForwardedFor  = "x-forwarded-for"           // X-Forwarded-For behind trusted proxies
)

// Config is the issuer's configuration, read from environment variables
// (see Variables for the list).
type Config struct {
	FunctionName      string
	KeyringCiphertext string
	KMSKeyID          string
	ActivationDelay   time.Duration

	Auth                 AuthMode
	JWTIssuer            string
	JWTAudience          string
	JWTHS256Ciphertext   string
	JWTJWKS              string
	JWTLeeway            time.Duration
	JWTClientIDs         []string
	PathsClaim           string
	AuthorizerPathsClaim string

	AllowedSchemes  []string
	AllowedHosts    []string
	AllowedPrefixes []string
	PatternMode     string

	DefaultTTL time.Duration
	MaxTTL     time.Duration

	IPBinding      streamkey.IPBinding
	BindUserAgent  bool
	BindHost       bool
	ClientIPSource string
	TrustedProxies []netip.Prefix
	// OriginSecretHeader (lower case) and OriginSecretCiphertext prove
	// that a request came through CloudFront, so that its
	// CloudFront-Viewer-Address header can be believed; CloudFrontCIDRs
	// narrow that further, but prove nothing alone (every CloudFront
	// customer's distributions send from them).
	OriginSecretHeader     string
	OriginSecretCiphertext string
	CloudFrontCIDRs        []netip.Prefix

	CORSOrigins []string

	// Channels name the channels of the ready-to-use forms, as the edge
	// function is configured.
	Channels issuance.Channels
	// CookieSameSite is the cookie form's SameSite: lax, strict or none.
	CookieSameSite string

	SeedCompat bool
	SessionIDs bool
}

// Variable documents one environment variable, and is where LoadConfig
// takes its default and range from.
type Variable struct {
	Name string
	// Default is the value used when the variable is unset or empty, as it
	// would be written; "" for none, or a note in parentheses such as
	// "(required)".
	Default string
	Meaning string
	// Min and Max bound a duration variable.
	Min, Max time.Duration
	// OneOf lists the values a variable may take, when they are few.
	OneOf []string
}

// value is the default value of v, "" for none.
func (v Variable) value() string {
	if strings.HasPrefix(v.Default, "(") {
		return ""
	}
	return v.Default
}

// durationVar is a duration variable: "%[1]s" and "%[2]s" in meaning stand
// for its range.
func durationVar(name, def string, minimum, maximum time.Duration, meaning string) Variable {
	return Variable{Name: name, Default: def, Min: minimum, Max: maximum, Meaning: fmt.Sprintf(meaning, durationText(minimum), durationText(maximum))}
}

// durationText writes a whole number of seconds as the documentation does:
// 0s, 90s, 10m, 168h.
func durationText(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// Variables lists the configuration: the documentation's table and what
// LoadConfig reads, with its defaults and ranges.
var Variables = []Variable{
	{Name: "SECURESTREAM_KEYRING", Default: "(required)", Meaning: "The key ring, KMS-encrypted with the encryption context {\"LambdaFunctionName\": function name, \"Purpose\": \"key-ring\"}, in base64. A ciphertext without the Purpose (sealed by a provider version before it) is refused."},
	{Name: "SECURESTREAM_KMS_KEY_ID", Meaning: "The ARN of the KMS key the key ring is encrypted under; when set, every kms:Decrypt the issuer makes (key ring, HS256 key, origin secret) passes it as KeyId, so a ciphertext under any other key is refused."},
	durationVar("SECURESTREAM_ACTIVATION_DELAY", durationText(keyring.DefaultActivationDelay), 0, keyring.MaxActivationDelay,
		"How old a key must be before the issuer signs with it, so that every edge location has it first (%[1]s to %[2]s)."),
	{Name: "SECURESTREAM_AUTH", Default: "(required)", OneOf: []string{string(AuthNone), string(AuthAuthorizer), string(AuthJWT)},
		Meaning: "Who may ask: none, authorizer (API Gateway's authorizer already ran) or jwt."},
	{Name: "SECURESTREAM_JWT_ISSUER", Meaning: "jwt: the required iss; required with SECURESTREAM_JWT_JWKS, whose keys sign for every tenant and application of the identity provider."},
	{Name: "SECURESTREAM_JWT_AUDIENCE", Default: "(required with jwt)", Meaning: "jwt: the required aud, so that tokens the identity provider issued for other applications are refused."},
	{Name: "SECURESTREAM_JWT_CLIENT_IDS", Meaning: "jwt: client ids accepted, comma-separated; when set, the token's azp (or, without azp, its client_id) must be one of them."},
	{Name: "SECURESTREAM_JWT_HS256_KEY", Meaning: "jwt: an HS256 key, KMS-encrypted like the key ring but with \"Purpose\": \"jwt-hs256-key\", in base64."},
	{Name: "SECURESTREAM_JWT_JWKS", Meaning: "jwt: a JWKS document with the RS256 or ES256 keys (a key that declares alg is used with that algorithm only); needs SECURESTREAM_JWT_ISSUER."},
	durationVar("SECURESTREAM_JWT_LEEWAY", "60s", 0, 10*time.Minute, "jwt: clock skew allowed on exp and nbf (%[1]s to %[2]s)."),
	{Name: "SECURESTREAM_JWT_PATHS_CLAIM", Meaning: "jwt: a claim listing the path prefixes the caller may play."},
	{Name: "SECURESTREAM_AUTHORIZER_PATHS_CLAIM", Meaning: "authorizer: an authorizer context key or claim listing the path prefixes the caller may play."},
	{Name: "SECURESTREAM_ALLOWED_SCHEMES", Default: "https", Meaning: "Schemes a playback URL may use, comma-separated."},
	{Name: "SECURESTREAM_ALLOWED_HOSTS", Default: "(required)", Meaning: "Hosts a playback URL may name, comma-separated; *.example.com matches any subdomain."},
	{Name: "SECURESTREAM_ALLOWED_PATH_PREFIXES", Default: "/", Meaning: "Path prefixes a playback URL must fall under, comma-separated; a prefix covers a directory (/vod/free covers /vod/free and /vod/free/..., not /vod/free.m3u8)."},
	{Name: "SECURESTREAM_PATH_PATTERN", Default: issuance.PatternModes[0], OneOf: issuance.PatternModes,
		Meaning: "What the key covers: directory (the manifest's directory and below), exact (the URL's path) or prefix (the narrower of the allowed prefix and the caller's entitled prefix); a pattern wider than the allowed prefix or the entitlement is refused."},
	durationVar("SECURESTREAM_DEFAULT_TTL", "1h", time.Second, streamkey.DefaultMaxLifetime,
		"Lifetime of a key when the caller asks for none (%[1]s to SECURESTREAM_MAX_TTL)."),
	durationVar("SECURESTREAM_MAX_TTL", durationText(keyring.DefaultMaxTokenLifetime), time.Second, streamkey.DefaultMaxLifetime,
		"Longest lifetime a caller may ask for; longer requests are clamped (%[1]s to %[2]s, the edge function's maximum lifetime)."),
	{Name: "SECURESTREAM_IP_BINDING", Default: "subnet", OneOf: []string{"off", "exact", "subnet"},
		Meaning: "How keys bind the client address: off, exact, or subnet (IPv4 /24, IPv6 /64)."},
	{Name: "SECURESTREAM_BIND_USER_AGENT", Default: "true", Meaning: "Whether keys bind the User-Agent."},
	{Name: "SECURESTREAM_BIND_HOST", Default: "true", Meaning: "Whether keys bind the playback URL's host."},
	{Name: "SECURESTREAM_CLIENT_IP_SOURCE", Default: IPFromRequest, OneOf: []string{IPFromRequest, IPFromViewerAddress, IPFromForwardedFor},
		Meaning: "Where the client address comes from: request (the request context), cloudfront-viewer-address (needs SECURESTREAM_ORIGIN_SECRET_HEADER; believed only from requests that carry the origin secret), or x-forwarded-for."},
	{Name: "SECURESTREAM_TRUSTED_PROXIES", Meaning: "x-forwarded-for: CIDRs of the proxies in front of the API, comma-separated; the rightmost address outside them is the client."},
	{Name: "SECURESTREAM_ORIGIN_SECRET_HEADER", Meaning: "cloudfront-viewer-address: the custom origin header CloudFront adds to requests to the API, with SECURESTREAM_ORIGIN_SECRET as its value."},
	{Name: "SECURESTREAM_ORIGIN_SECRET", Meaning: "cloudfront-viewer-address: the origin header's secret value (at least 16 bytes), KMS-encrypted like the key ring but with \"Purpose\": \"origin-secret\", in base64."},
	{Name: "SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS", Meaning: "cloudfront-viewer-address: CIDRs the request's source address must also be in (CloudFront's origin-facing ranges), comma-separated; in addition to the origin secret, never instead of it, since every CloudFront customer's distributions send from these ranges."},
	{Name: "SECURESTREAM_CORS_ORIGINS", Meaning: "Browser origins allowed to call the issuer, comma-separated, or *."},
	{Name: "SECURESTREAM_TOKEN_HEADER", Default: issuance.DefaultChannels().Header, Meaning: "Header name in the ready-to-use forms (as the edge function is configured)."},
	{Name: "SECURESTREAM_TOKEN_QUERY", Default: issuance.DefaultChannels().Query, Meaning: "Query parameter name in the ready-to-use forms."},
	{Name: "SECURESTREAM_TOKEN_COOKIE", Default: issuance.DefaultChannels().Cookie, Meaning: "Cookie name in the ready-to-use forms."},
	{Name: "SECURESTREAM_COOKIE_SAMESITE", Default: issuance.SameSiteModes[0], OneOf: issuance.SameSiteModes,
		Meaning: "SameSite of the ready-to-use cookie: lax (sent to the media host from pages on its own site), strict, or none (also from pages on other sites, for a player embedded elsewhere; the cookie is always Secure)."},
	{Name: "SECURESTREAM_TOKEN_PATH_PREFIX", Default: issuance.DefaultChannels().PathPrefix, Meaning: "Path prefix in the ready-to-use URL."},
	{Name: "SECURESTREAM_SEED_COMPAT", Default: "false", Meaning: "Also return stream_key and stream_policy as the original issuer did (needs a seed key in the ring), unless the seed policy would cover more than the key; then seed_omitted says why."},
	{Name: "SECURESTREAM_SESSION_IDS", Default: "true", Meaning: "Give every key a random session id, for logs and revocation."},
}

// variable returns the entry of Variables for name; reading a variable the
// table does not list is a bug.
func variable(name string) Variable {
	for _, v := range Variables {
		if v.Name == name {
			return v
		}
	}
	panic("issuer: " + name + " is not in Variables")
}

// channelVariables name the variable of each channel.
var channelVariables = map[issuance.Channel]string{
	issuance.ChannelHeader:     "SECURESTREAM_TOKEN_HEADER",
	issuance.ChannelQuery:      "SECURESTREAM_TOKEN_QUERY",
	issuance.ChannelCookie:     "SECURESTREAM_TOKEN_COOKIE",
	issuance.ChannelPathPrefix: "SECURESTREAM_TOKEN_PATH_PREFIX",
}

// LoadConfig reads the configuration. An invalid value is an error that
// names the variable, so that a cold start fails with a clear message.
func LoadConfig(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		FunctionName:           getenv("AWS_LAMBDA_FUNCTION_NAME"),
		KeyringCiphertext:      r.required("SECURESTREAM_KEYRING"),
		KMSKeyID:               r.kmsKeyID("SECURESTREAM_KMS_KEY_ID"),
		ActivationDelay:        r.duration("SECURESTREAM_ACTIVATION_DELAY"),
		Auth:                   AuthMode(r.oneOf("SECURESTREAM_AUTH")),
		JWTIssuer:              r.text("SECURESTREAM_JWT_ISSUER"),
		JWTAudience:            r.text("SECURESTREAM_JWT_AUDIENCE"),
		JWTHS256Ciphertext:     r.text("SECURESTREAM_JWT_HS256_KEY"),
		JWTJWKS:                r.text("SECURESTREAM_JWT_JWKS"),
		JWTLeeway:              r.duration("SECURESTREAM_JWT_LEEWAY"),
		JWTClientIDs:           r.list("SECURESTREAM_JWT_CLIENT_IDS"),
		PathsClaim:             r.text("SECURESTREAM_JWT_PATHS_CLAIM"),
		AuthorizerPathsClaim:   r.text("SECURESTREAM_AUTHORIZER_PATHS_CLAIM"),
		AllowedSchemes:         r.list("SECURESTREAM_ALLOWED_SCHEMES"),
		AllowedHosts:           r.list("SECURESTREAM_ALLOWED_HOSTS"),
		AllowedPrefixes:        r.list("SECURESTREAM_ALLOWED_PATH_PREFIXES"),
		PatternMode:            r.oneOf("SECURESTREAM_PATH_PATTERN"),
		DefaultTTL:             r.duration("SECURESTREAM_DEFAULT_TTL"),
		MaxTTL:                 r.duration("SECURESTREAM_MAX_TTL"),
		BindUserAgent:          r.boolean("SECURESTREAM_BIND_USER_AGENT"),
		BindHost:               r.boolean("SECURESTREAM_BIND_HOST"),
		ClientIPSource:         r.oneOf("SECURESTREAM_CLIENT_IP_SOURCE"),
		OriginSecretHeader:     r.headerName("SECURESTREAM_ORIGIN_SECRET_HEADER"),
		OriginSecretCiphertext: strings.TrimSpace(r.text("SECURESTREAM_ORIGIN_SECRET")),
		CORSOrigins:            r.list("SECURESTREAM_CORS_ORIGINS"),
		Channels: issuance.Channels{
			Header:     r.name("SECURESTREAM_TOKEN_HEADER"),
			Query:      r.name("SECURESTREAM_TOKEN_QUERY"),
			Cookie:     r.name("SECURESTREAM_TOKEN_COOKIE"),
			PathPrefix: r.name("SECURESTREAM_TOKEN_PATH_PREFIX"),
		},
		CookieSameSite: r.oneOf("SECURESTREAM_COOKIE_SAMESITE"),
		SeedCompat:     r.boolean("SECURESTREAM_SEED_COMPAT"),
		SessionIDs:     r.boolean("SECURESTREAM_SESSION_IDS"),
	}
	c.IPBinding, _ = streamkey.ParseIPBinding(r.oneOf("SECURESTREAM_IP_BINDING"))
	c.TrustedProxies = r.cidrs("SECURESTREAM_TRUSTED_PROXIES")
	c.CloudFrontCIDRs = r.cidrs("SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS")
	if r.err != nil {
		return nil, r.err
	}
	var err error
	if c.Channels, err = c.Channels.Normalize(); err != nil {
		var ce *issuance.ChannelError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%s: %w", channelVariables[ce.Channel], err)
		}
		return nil, err
	}
	return c, c.check()
}

func (c *Config) check() error {
	switch {
	case c.FunctionName == "":
		return fmt.Errorf("AWS_LAMBDA_FUNCTION_NAME is not set; it names the KMS encryption context of the key ring")
	case len(c.AllowedHosts) == 0:
		return fmt.Errorf("SECURESTREAM_ALLOWED_HOSTS is required: list the hosts playback URLs may name")
	case c.DefaultTTL > c.MaxTTL:
		return fmt.Errorf("SECURESTREAM_DEFAULT_TTL (%s) is longer than SECURESTREAM_MAX_TTL (%s)", c.DefaultTTL, c.MaxTTL)
	case c.Auth == AuthJWT && c.JWTHS256Ciphertext == "" && c.JWTJWKS == "":
		return fmt.Errorf("SECURESTREAM_AUTH=jwt needs SECURESTREAM_JWT_HS256_KEY or SECURESTREAM_JWT_JWKS")
	case c.Auth == AuthJWT && c.JWTAudience == "":
		return fmt.Errorf("SECURESTREAM_AUTH=jwt needs SECURESTREAM_JWT_AUDIENCE (this issuer's client id or API identifier at the identity provider), " +
			"so that tokens the identity provider issued for other applications are refused")
	case c.Auth == AuthJWT && c.JWTJWKS != "" && c.JWTIssuer == "":
		return fmt.Errorf("SECURESTREAM_JWT_JWKS needs SECURESTREAM_JWT_ISSUER (the identity provider's issuer, exactly as its tokens' iss claim says): " +
			"the JWKS's keys sign the tokens of every tenant and application of the identity provider, and only iss says a token is from yours")
	case c.ClientIPSource == IPFromForwardedFor && len(c.TrustedProxies) == 0:
		return fmt.Errorf("SECURESTREAM_CLIENT_IP_SOURCE=x-forwarded-for needs SECURESTREAM_TRUSTED_PROXIES: X-Forwarded-For is only as trustworthy as the proxies that append to it")
	case (c.OriginSecretHeader == "") != (c.OriginSecretCiphertext == ""):
		return fmt.Errorf("SECURESTREAM_ORIGIN_SECRET_HEADER and SECURESTREAM_ORIGIN_SECRET go together: set both (the header CloudFront adds and its encrypted value) or neither")
	case c.ClientIPSource == IPFromViewerAddress && c.OriginSecretHeader == "":
		return fmt.Errorf("SECURESTREAM_CLIENT_IP_SOURCE=cloudfront-viewer-address needs SECURESTREAM_ORIGIN_SECRET_HEADER with SECURESTREAM_ORIGIN_SECRET " +
			"(a custom origin header with a secret value that your distribution adds to requests to the API): anyone can send CloudFront-Viewer-Address " +
			"to the API directly, and SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS alone proves nothing, since every CloudFront customer's distributions send from those ranges; " +
			"the CIDRs may stay, in addition to the secret. Or set SECURESTREAM_CLIENT_IP_SOURCE=request")
	}
	if c.Auth == AuthJWT && c.JWTJWKS != "" {
		// Parsed again by New; checked here so that a JWKS the issuer
		// cannot use fails at plan, not at every cold start.
		if _, err := jwtverify.ParseJWKS([]byte(c.JWTJWKS)); err != nil {
			return fmt.Errorf("SECURESTREAM_JWT_JWKS: %w", err)
		}
	}
	for _, s := range c.AllowedSchemes {
		if s != "https" && s != "http" {
			return fmt.Errorf("SECURESTREAM_ALLOWED_SCHEMES: %q is not http or https", s)
		}
	}
	for _, p := range c.AllowedPrefixes {
		if !issuance.ValidPrefix(p) {
			return fmt.Errorf("SECURESTREAM_ALLOWED_PATH_PREFIXES: %q must be a path starting with / with no dot segments, \"//\" or '*'", p)
		}
	}
	for _, h := range c.AllowedHosts {
		if strings.ContainsAny(h, "/:@ ") {
			return fmt.Errorf("SECURESTREAM_ALLOWED_HOSTS: %q must be a host name (no scheme, port or path)", h)
		}
	}
	return nil
}

// reader collects the first configuration error.
type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...))
	}
}

// text reads a variable as it is, or its default.
func (r *reader) text(name string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return variable(name).value()
}

// value reads a variable without surrounding spaces, or its default.
func (r *reader) value(name string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return variable(name).value()
}

func (r *reader) required(name string) string {
	v := r.value(name)
	if v == "" {
		r.fail(name, "is required")
	}
	return v
}

// duration reads a duration in the variable's range.
func (r *reader) duration(name string) time.Duration {
	spec := variable(name)
	minimum, maximum := spec.Min, spec.Max
	v := r.value(name)
	outOfRange := func() time.Duration {
		r.fail(name, "%q is out of range: it must be between %s and %s (bare numbers are seconds)", v, minimum, maximum)
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		// Bare seconds, as the original issuer took them. Checked before
		// the multiplication, which would otherwise wrap around.
		n, err2 := strconv.ParseInt(v, 10, 64)
		if err2 != nil {
			if errors.Is(err2, strconv.ErrRange) {
				return outOfRange()
			}
			r.fail(name, "%q is not a duration (such as 90s, 15m or 24h) in the range %s to %s", v, minimum, maximum)
			return 0
		}
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return outOfRange()
		}
		d = time.Duration(n) * time.Second
	}
	if d < minimum || d > maximum {
		return outOfRange()
	}
	return d
}

// oneOf reads a variable that takes one of the values its entry lists.
func (r *reader) oneOf(name string) string {
	allowed := variable(name).OneOf
	v := r.value(name)
	if slices.Contains(allowed, v) {
		return v
	}
	if v == "" {
		r.fail(name, "is required: one of %s", strings.Join(allowed, ", "))
	} else {
		r.fail(name, "%q must be one of %s", v, strings.Join(allowed, ", "))
	}
	return ""
}

func (r *reader) boolean(name string) bool {
	v := r.value(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q must be true or false", v)
	}
	return b
}

func (r *reader) list(name string) []string {
	var out []string
	for _, s := range strings.Split(r.value(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) cidrs(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range r.list(name) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.fail(name, "%q is not a CIDR prefix such as 10.0.0.0/8", s)
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

// headerName reads an optional HTTP header name, in lower case.
func (r *reader) headerName(name string) string {
	v := r.value(name)
	if v == "" {
		return ""
	}
	h, err := issuance.ChannelHeader.Normalize(v)
	if err != nil {
		r.fail(name, "%v", err)
	}
	return h
}

// kmsKeyID reads an optional KMS key id for kms:Decrypt's KeyId: a key
// ARN (best: it names one key in one account and region), a key id, an
// alias name or an alias ARN.
func (r *reader) kmsKeyID(name string) string {
	v := r.value(name)
	if v == "" {
		return v
	}
	ok := len(v) <= 2048
	for _, c := range v {
		ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(":/-_", c))
	}
	if !ok {
		r.fail(name, "%q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), key id or alias", v)
	}
	return v
}

// name reads a channel name, checked with the others by
// issuance.Channels.Normalize.
func (r *reader) name(name string) string {
	return r.value(name)
}
