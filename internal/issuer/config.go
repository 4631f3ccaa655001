package issuer

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

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

// Path pattern modes.
const (
	PatternDirectory = "directory" // the manifest's directory plus '*' (as the original)
	PatternExact     = "exact"     // the playback URL's path only
	PatternPrefix    = "prefix"    // the allowed prefix it falls under, plus '*'
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
	// OriginSecretHeader (lower case) and OriginSecretCiphertext, and
	// CloudFrontCIDRs, prove that a request came through CloudFront, so
	// that its CloudFront-Viewer-Address header can be believed.
	OriginSecretHeader     string
	OriginSecretCiphertext string
	CloudFrontCIDRs        []netip.Prefix

	CORSOrigins []string

	Header, Query, Cookie, PathPrefix string

	SeedCompat bool
	SessionIDs bool
}

// Variable documents one environment variable.
type Variable struct {
	Name, Default, Meaning string
}

// Variables lists the configuration, for the documentation and for
// checking that the table and the code agree.
var Variables = []Variable{
	{"SECURESTREAM_KEYRING", "(required)", "The key ring, KMS-encrypted with the encryption context {\"LambdaFunctionName\": function name}, in base64."},
	{"SECURESTREAM_KMS_KEY_ID", "", "The ARN of the KMS key the key ring is encrypted under; when set, every kms:Decrypt the issuer makes (key ring, HS256 key, origin secret) passes it as KeyId, so a ciphertext under any other key is refused."},
	{"SECURESTREAM_ACTIVATION_DELAY", "10m", "How old a key must be before the issuer signs with it, so that every edge location has it first (0s to 168h)."},
	{"SECURESTREAM_AUTH", "(required)", "Who may ask: none, authorizer (API Gateway's authorizer already ran) or jwt."},
	{"SECURESTREAM_JWT_ISSUER", "", "jwt: the required iss."},
	{"SECURESTREAM_JWT_AUDIENCE", "(required with jwt)", "jwt: the required aud, so that tokens the identity provider issued for other applications are refused."},
	{"SECURESTREAM_JWT_CLIENT_IDS", "", "jwt: client ids accepted, comma-separated; when set, the token's azp (or, without azp, its client_id) must be one of them."},
	{"SECURESTREAM_JWT_HS256_KEY", "", "jwt: an HS256 key, KMS-encrypted like the key ring, in base64."},
	{"SECURESTREAM_JWT_JWKS", "", "jwt: a JWKS document with the RS256 or ES256 keys."},
	{"SECURESTREAM_JWT_LEEWAY", "60s", "jwt: clock skew allowed on exp and nbf (0s to 10m)."},
	{"SECURESTREAM_JWT_PATHS_CLAIM", "", "jwt: a claim listing the path prefixes the caller may play."},
	{"SECURESTREAM_AUTHORIZER_PATHS_CLAIM", "", "authorizer: an authorizer context key or claim listing the path prefixes the caller may play."},
	{"SECURESTREAM_ALLOWED_SCHEMES", "https", "Schemes a playback URL may use, comma-separated."},
	{"SECURESTREAM_ALLOWED_HOSTS", "(required)", "Hosts a playback URL may name, comma-separated; *.example.com matches any subdomain."},
	{"SECURESTREAM_ALLOWED_PATH_PREFIXES", "/", "Path prefixes a playback URL must fall under, comma-separated; a prefix covers a directory (/vod/free covers /vod/free and /vod/free/..., not /vod/free.m3u8)."},
	{"SECURESTREAM_PATH_PATTERN", "directory", "What the key covers: directory (the manifest's directory and below), exact (the URL's path) or prefix (the narrower of the allowed prefix and the caller's entitled prefix); a pattern wider than the allowed prefix or the entitlement is refused."},
	{"SECURESTREAM_DEFAULT_TTL", "1h", "Lifetime of a key when the caller asks for none (1s to SECURESTREAM_MAX_TTL)."},
	{"SECURESTREAM_MAX_TTL", "24h", "Longest lifetime a caller may ask for; longer requests are clamped (1s to 24h, the edge function's maximum lifetime)."},
	{"SECURESTREAM_IP_BINDING", "subnet", "How keys bind the client address: off, exact, or subnet (IPv4 /24, IPv6 /64)."},
	{"SECURESTREAM_BIND_USER_AGENT", "true", "Whether keys bind the User-Agent."},
	{"SECURESTREAM_BIND_HOST", "true", "Whether keys bind the playback URL's host."},
	{"SECURESTREAM_CLIENT_IP_SOURCE", "request", "Where the client address comes from: request (the request context), cloudfront-viewer-address (only for requests that prove they came through CloudFront), or x-forwarded-for."},
	{"SECURESTREAM_TRUSTED_PROXIES", "", "x-forwarded-for: CIDRs of the proxies in front of the API, comma-separated; the rightmost address outside them is the client."},
	{"SECURESTREAM_ORIGIN_SECRET_HEADER", "", "cloudfront-viewer-address: the custom origin header CloudFront adds to requests to the API, with SECURESTREAM_ORIGIN_SECRET as its value."},
	{"SECURESTREAM_ORIGIN_SECRET", "", "cloudfront-viewer-address: the origin header's secret value (at least 16 bytes), KMS-encrypted like the key ring, in base64."},
	{"SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS", "", "cloudfront-viewer-address: CIDRs the request's source address must be in (CloudFront's origin-facing ranges), comma-separated."},
	{"SECURESTREAM_CORS_ORIGINS", "", "Browser origins allowed to call the issuer, comma-separated, or *."},
	{"SECURESTREAM_TOKEN_HEADER", "x-stream-token", "Header name in the ready-to-use forms (as the edge function is configured)."},
	{"SECURESTREAM_TOKEN_QUERY", "stream_token", "Query parameter name in the ready-to-use forms."},
	{"SECURESTREAM_TOKEN_COOKIE", "stream_token", "Cookie name in the ready-to-use forms."},
	{"SECURESTREAM_TOKEN_PATH_PREFIX", "t", "Path prefix in the ready-to-use URL."},
	{"SECURESTREAM_SEED_COMPAT", "false", "Also return stream_key and stream_policy as the original issuer did (needs a seed key in the ring), unless the seed policy would cover more than the key; then seed_omitted says why."},
	{"SECURESTREAM_SESSION_IDS", "true", "Give every key a random session id, for logs and revocation."},
}

// LoadConfig reads the configuration. An invalid value is an error that
// names the variable, so that a cold start fails with a clear message.
func LoadConfig(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		FunctionName:           getenv("AWS_LAMBDA_FUNCTION_NAME"),
		KeyringCiphertext:      r.required("SECURESTREAM_KEYRING"),
		KMSKeyID:               r.kmsKeyID("SECURESTREAM_KMS_KEY_ID"),
		ActivationDelay:        r.duration("SECURESTREAM_ACTIVATION_DELAY", 10*time.Minute, 0, 7*24*time.Hour),
		Auth:                   AuthMode(r.oneOf("SECURESTREAM_AUTH", "", string(AuthNone), string(AuthAuthorizer), string(AuthJWT))),
		JWTIssuer:              getenv("SECURESTREAM_JWT_ISSUER"),
		JWTAudience:            getenv("SECURESTREAM_JWT_AUDIENCE"),
		JWTHS256Ciphertext:     getenv("SECURESTREAM_JWT_HS256_KEY"),
		JWTJWKS:                getenv("SECURESTREAM_JWT_JWKS"),
		JWTLeeway:              r.duration("SECURESTREAM_JWT_LEEWAY", time.Minute, 0, 10*time.Minute),
		JWTClientIDs:           r.list("SECURESTREAM_JWT_CLIENT_IDS", ""),
		PathsClaim:             getenv("SECURESTREAM_JWT_PATHS_CLAIM"),
		AuthorizerPathsClaim:   getenv("SECURESTREAM_AUTHORIZER_PATHS_CLAIM"),
		AllowedSchemes:         r.list("SECURESTREAM_ALLOWED_SCHEMES", "https"),
		AllowedHosts:           r.list("SECURESTREAM_ALLOWED_HOSTS", ""),
		AllowedPrefixes:        r.list("SECURESTREAM_ALLOWED_PATH_PREFIXES", "/"),
		PatternMode:            r.oneOf("SECURESTREAM_PATH_PATTERN", PatternDirectory, PatternDirectory, PatternExact, PatternPrefix),
		DefaultTTL:             r.duration("SECURESTREAM_DEFAULT_TTL", time.Hour, time.Second, streamkey.DefaultMaxLifetime),
		MaxTTL:                 r.duration("SECURESTREAM_MAX_TTL", 24*time.Hour, time.Second, streamkey.DefaultMaxLifetime),
		BindUserAgent:          r.boolean("SECURESTREAM_BIND_USER_AGENT", true),
		BindHost:               r.boolean("SECURESTREAM_BIND_HOST", true),
		ClientIPSource:         r.oneOf("SECURESTREAM_CLIENT_IP_SOURCE", IPFromRequest, IPFromRequest, IPFromViewerAddress, IPFromForwardedFor),
		OriginSecretHeader:     strings.ToLower(r.headerName("SECURESTREAM_ORIGIN_SECRET_HEADER")),
		OriginSecretCiphertext: strings.TrimSpace(getenv("SECURESTREAM_ORIGIN_SECRET")),
		CORSOrigins:            r.list("SECURESTREAM_CORS_ORIGINS", ""),
		Header:                 r.name("SECURESTREAM_TOKEN_HEADER", "x-stream-token"),
		Query:                  r.name("SECURESTREAM_TOKEN_QUERY", "stream_token"),
		Cookie:                 r.name("SECURESTREAM_TOKEN_COOKIE", "stream_token"),
		PathPrefix:             r.name("SECURESTREAM_TOKEN_PATH_PREFIX", "t"),
		SeedCompat:             r.boolean("SECURESTREAM_SEED_COMPAT", false),
		SessionIDs:             r.boolean("SECURESTREAM_SESSION_IDS", true),
	}
	binding := r.oneOf("SECURESTREAM_IP_BINDING", "subnet", "off", "exact", "subnet")
	c.IPBinding, _ = streamkey.ParseIPBinding(binding)
	c.TrustedProxies = r.cidrs("SECURESTREAM_TRUSTED_PROXIES")
	c.CloudFrontCIDRs = r.cidrs("SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS")
	if r.err != nil {
		return nil, r.err
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
	case c.ClientIPSource == IPFromForwardedFor && len(c.TrustedProxies) == 0:
		return fmt.Errorf("SECURESTREAM_CLIENT_IP_SOURCE=x-forwarded-for needs SECURESTREAM_TRUSTED_PROXIES: X-Forwarded-For is only as trustworthy as the proxies that append to it")
	case (c.OriginSecretHeader == "") != (c.OriginSecretCiphertext == ""):
		return fmt.Errorf("SECURESTREAM_ORIGIN_SECRET_HEADER and SECURESTREAM_ORIGIN_SECRET go together: set both (the header CloudFront adds and its encrypted value) or neither")
	case c.ClientIPSource == IPFromViewerAddress && c.OriginSecretHeader == "" && len(c.CloudFrontCIDRs) == 0:
		return fmt.Errorf("SECURESTREAM_CLIENT_IP_SOURCE=cloudfront-viewer-address needs SECURESTREAM_ORIGIN_SECRET_HEADER with SECURESTREAM_ORIGIN_SECRET, " +
			"or SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS: anyone can send CloudFront-Viewer-Address to the API directly, so the issuer believes it only from requests that prove they came through CloudFront")
	}
	for _, s := range c.AllowedSchemes {
		if s != "https" && s != "http" {
			return fmt.Errorf("SECURESTREAM_ALLOWED_SCHEMES: %q is not http or https", s)
		}
	}
	for _, p := range c.AllowedPrefixes {
		if _, ok := parseLimit(p); !ok {
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

func (r *reader) required(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		r.fail(name, "is required")
	}
	return v
}

func (r *reader) duration(name string, def, minimum, maximum time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	outOfRange := func() time.Duration {
		r.fail(name, "%q is out of range: it must be between %s and %s (bare numbers are seconds)", v, minimum, maximum)
		return def
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
			return def
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

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		v = def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	if v == "" {
		r.fail(name, "is required: one of %s", strings.Join(allowed, ", "))
	} else {
		r.fail(name, "%q must be one of %s", v, strings.Join(allowed, ", "))
	}
	return def
}

func (r *reader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q must be true or false", v)
	}
	return b
}

func (r *reader) list(name, def string) []string {
	v := r.getenv(name)
	if strings.TrimSpace(v) == "" {
		v = def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) cidrs(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range r.list(name, "") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.fail(name, "%q is not a CIDR prefix such as 10.0.0.0/8", s)
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

// headerName reads an optional HTTP header name.
func (r *reader) headerName(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if len(v) > 64 {
		r.fail(name, "%q is longer than 64 characters", v)
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			r.fail(name, "%q must be a header name: letters, digits and -", v)
			break
		}
	}
	return v
}

// kmsKeyID reads an optional KMS key id for kms:Decrypt's KeyId: a key
// ARN (best: it names one key in one account and region), a key id, an
// alias name or an alias ARN.
func (r *reader) kmsKeyID(name string) string {
	v := strings.TrimSpace(r.getenv(name))
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

func (r *reader) name(name, def string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.~", c)) {
			r.fail(name, "%q may only contain letters, digits and - _ . ~", v)
			break
		}
	}
	return v
}
