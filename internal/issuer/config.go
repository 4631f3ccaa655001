package issuer

import (
	"fmt"
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
	ActivationDelay   time.Duration

	Auth                 AuthMode
	JWTIssuer            string
	JWTAudience          string
	JWTHS256Ciphertext   string
	JWTJWKS              string
	JWTLeeway            time.Duration
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
	{"SECURESTREAM_ACTIVATION_DELAY", "10m", "How old a key must be before the issuer signs with it, so that every edge location has it first."},
	{"SECURESTREAM_AUTH", "(required)", "Who may ask: none, authorizer (API Gateway's authorizer already ran) or jwt."},
	{"SECURESTREAM_JWT_ISSUER", "", "jwt: the required iss."},
	{"SECURESTREAM_JWT_AUDIENCE", "", "jwt: the required aud."},
	{"SECURESTREAM_JWT_HS256_KEY", "", "jwt: an HS256 key, KMS-encrypted like the key ring, in base64."},
	{"SECURESTREAM_JWT_JWKS", "", "jwt: a JWKS document with the RS256 or ES256 keys."},
	{"SECURESTREAM_JWT_LEEWAY", "60s", "jwt: clock skew allowed on exp and nbf."},
	{"SECURESTREAM_JWT_PATHS_CLAIM", "", "jwt: a claim listing the path prefixes the caller may play."},
	{"SECURESTREAM_AUTHORIZER_PATHS_CLAIM", "", "authorizer: an authorizer context key or claim listing the path prefixes the caller may play."},
	{"SECURESTREAM_ALLOWED_SCHEMES", "https", "Schemes a playback URL may use, comma-separated."},
	{"SECURESTREAM_ALLOWED_HOSTS", "(required)", "Hosts a playback URL may name, comma-separated; *.example.com matches any subdomain."},
	{"SECURESTREAM_ALLOWED_PATH_PREFIXES", "/", "Path prefixes a playback URL must fall under, comma-separated."},
	{"SECURESTREAM_PATH_PATTERN", "directory", "What the key covers: directory (the manifest's directory and below), exact (the URL's path) or prefix (the allowed prefix)."},
	{"SECURESTREAM_DEFAULT_TTL", "1h", "Lifetime of a key when the caller asks for none."},
	{"SECURESTREAM_MAX_TTL", "24h", "Longest lifetime a caller may ask for; longer requests are clamped. Keep it within the edge function's maximum lifetime."},
	{"SECURESTREAM_IP_BINDING", "subnet", "How keys bind the client address: off, exact, or subnet (IPv4 /24, IPv6 /64)."},
	{"SECURESTREAM_BIND_USER_AGENT", "true", "Whether keys bind the User-Agent."},
	{"SECURESTREAM_BIND_HOST", "true", "Whether keys bind the playback URL's host."},
	{"SECURESTREAM_CLIENT_IP_SOURCE", "request", "Where the client address comes from: request (the request context), cloudfront-viewer-address, or x-forwarded-for."},
	{"SECURESTREAM_TRUSTED_PROXIES", "", "x-forwarded-for: CIDRs of the proxies in front of the API, comma-separated; the rightmost address outside them is the client."},
	{"SECURESTREAM_CORS_ORIGINS", "", "Browser origins allowed to call the issuer, comma-separated, or *."},
	{"SECURESTREAM_TOKEN_HEADER", "x-stream-token", "Header name in the ready-to-use forms (as the edge function is configured)."},
	{"SECURESTREAM_TOKEN_QUERY", "stream_token", "Query parameter name in the ready-to-use forms."},
	{"SECURESTREAM_TOKEN_COOKIE", "stream_token", "Cookie name in the ready-to-use forms."},
	{"SECURESTREAM_TOKEN_PATH_PREFIX", "t", "Path prefix in the ready-to-use URL."},
	{"SECURESTREAM_SEED_COMPAT", "false", "Also return stream_key and stream_policy as the original issuer did (needs a seed key in the ring)."},
	{"SECURESTREAM_SESSION_IDS", "true", "Give every key a random session id, for logs and revocation."},
}

// LoadConfig reads the configuration. An invalid value is an error that
// names the variable, so that a cold start fails with a clear message.
func LoadConfig(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		FunctionName:         getenv("AWS_LAMBDA_FUNCTION_NAME"),
		KeyringCiphertext:    r.required("SECURESTREAM_KEYRING"),
		ActivationDelay:      r.duration("SECURESTREAM_ACTIVATION_DELAY", 10*time.Minute, 0, 7*24*time.Hour),
		Auth:                 AuthMode(r.oneOf("SECURESTREAM_AUTH", "", string(AuthNone), string(AuthAuthorizer), string(AuthJWT))),
		JWTIssuer:            getenv("SECURESTREAM_JWT_ISSUER"),
		JWTAudience:          getenv("SECURESTREAM_JWT_AUDIENCE"),
		JWTHS256Ciphertext:   getenv("SECURESTREAM_JWT_HS256_KEY"),
		JWTJWKS:              getenv("SECURESTREAM_JWT_JWKS"),
		JWTLeeway:            r.duration("SECURESTREAM_JWT_LEEWAY", time.Minute, 0, time.Hour),
		PathsClaim:           getenv("SECURESTREAM_JWT_PATHS_CLAIM"),
		AuthorizerPathsClaim: getenv("SECURESTREAM_AUTHORIZER_PATHS_CLAIM"),
		AllowedSchemes:       r.list("SECURESTREAM_ALLOWED_SCHEMES", "https"),
		AllowedHosts:         r.list("SECURESTREAM_ALLOWED_HOSTS", ""),
		AllowedPrefixes:      r.list("SECURESTREAM_ALLOWED_PATH_PREFIXES", "/"),
		PatternMode:          r.oneOf("SECURESTREAM_PATH_PATTERN", PatternDirectory, PatternDirectory, PatternExact, PatternPrefix),
		DefaultTTL:           r.duration("SECURESTREAM_DEFAULT_TTL", time.Hour, time.Second, 0),
		MaxTTL:               r.duration("SECURESTREAM_MAX_TTL", 24*time.Hour, time.Second, 0),
		BindUserAgent:        r.boolean("SECURESTREAM_BIND_USER_AGENT", true),
		BindHost:             r.boolean("SECURESTREAM_BIND_HOST", true),
		ClientIPSource:       r.oneOf("SECURESTREAM_CLIENT_IP_SOURCE", IPFromRequest, IPFromRequest, IPFromViewerAddress, IPFromForwardedFor),
		CORSOrigins:          r.list("SECURESTREAM_CORS_ORIGINS", ""),
		Header:               r.name("SECURESTREAM_TOKEN_HEADER", "x-stream-token"),
		Query:                r.name("SECURESTREAM_TOKEN_QUERY", "stream_token"),
		Cookie:               r.name("SECURESTREAM_TOKEN_COOKIE", "stream_token"),
		PathPrefix:           r.name("SECURESTREAM_TOKEN_PATH_PREFIX", "t"),
		SeedCompat:           r.boolean("SECURESTREAM_SEED_COMPAT", false),
		SessionIDs:           r.boolean("SECURESTREAM_SESSION_IDS", true),
	}
	binding := r.oneOf("SECURESTREAM_IP_BINDING", "subnet", "off", "exact", "subnet")
	c.IPBinding, _ = streamkey.ParseIPBinding(binding)
	for _, s := range r.list("SECURESTREAM_TRUSTED_PROXIES", "") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.fail("SECURESTREAM_TRUSTED_PROXIES", "%q is not a CIDR prefix such as 10.0.0.0/8", s)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
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
	case c.Auth == AuthJWT && c.JWTIssuer == "" && c.JWTAudience == "":
		return fmt.Errorf("SECURESTREAM_AUTH=jwt needs SECURESTREAM_JWT_ISSUER or SECURESTREAM_JWT_AUDIENCE, so that tokens for other services are refused")
	case c.ClientIPSource == IPFromForwardedFor && len(c.TrustedProxies) == 0:
		return fmt.Errorf("SECURESTREAM_CLIENT_IP_SOURCE=x-forwarded-for needs SECURESTREAM_TRUSTED_PROXIES: X-Forwarded-For is only as trustworthy as the proxies that append to it")
	}
	for _, s := range c.AllowedSchemes {
		if s != "https" && s != "http" {
			return fmt.Errorf("SECURESTREAM_ALLOWED_SCHEMES: %q is not http or https", s)
		}
	}
	for _, p := range c.AllowedPrefixes {
		if !strings.HasPrefix(p, "/") || !streamkey.SafePath(p) {
			return fmt.Errorf("SECURESTREAM_ALLOWED_PATH_PREFIXES: %q must be a path starting with / with no dot segments", p)
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
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, err2 := strconv.Atoi(v); err2 == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
	}
	if err != nil {
		r.fail(name, "%q is not a duration such as 90s, 15m or 24h", v)
		return def
	}
	if d < minimum || (maximum > 0 && d > maximum) {
		r.fail(name, "%s is out of range", d)
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
