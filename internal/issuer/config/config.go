// Package config is the issuer's environment contract: the variables it
// reads (Variables, each with its kind, default and whether it is
// required) and Load, which reads and checks them. The issuer reads it when
// it starts; the provider builds securestream_issuer's settings from the
// same table and runs Load at plan, without linking the issuer's handler.
package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/jwks"
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
	// TokenFormat is issuance.FormatSS1 or FormatCAT; CATChannels name
	// the channels of a CAT's forms (no path prefix).
	TokenFormat string
	CATChannels issuance.Channels

	SeedCompat bool
	SessionIDs bool

	// RevocationKVSARN is the store of revocations ("" for none);
	// RevocationFailClosed refuses to continue a session whose revocation
	// cannot be read. EdgeLeeway is the edge function's leeway: with
	// MaxTTL, how long a revocation must last.
	RevocationKVSARN     string
	RevocationFailClosed bool
	EdgeLeeway           time.Duration
	// AdminScope ("" for none) and AdminIAM say who may use the admin
	// routes: a JWT with that scope, or an IAM identity.
	AdminScope string
	AdminIAM   bool
}

// catChannelVariables name the variable of each channel of a CAT.
var catChannelVariables = map[issuance.Channel]string{
	issuance.ChannelHeader: "SECURESTREAM_CAT_HEADER",
	issuance.ChannelQuery:  "SECURESTREAM_CAT_QUERY",
	issuance.ChannelCookie: "SECURESTREAM_CAT_COOKIE",
}

// channelVariables name the variable of each channel.
var channelVariables = map[issuance.Channel]string{
	issuance.ChannelHeader:     "SECURESTREAM_TOKEN_HEADER",
	issuance.ChannelQuery:      "SECURESTREAM_TOKEN_QUERY",
	issuance.ChannelCookie:     "SECURESTREAM_TOKEN_COOKIE",
	issuance.ChannelPathPrefix: "SECURESTREAM_TOKEN_PATH_PREFIX",
}

// Load reads the configuration, as the issuer does when it starts. Every
// problem is reported at once: the error is an Errors, each an *Error
// naming its variable, and reads as one line. Durations are read in the
// provider's grammar (durationtext.Parse), and also as bare seconds, which
// provider versions before it let through into the environment.
func Load(getenv func(string) string) (*Config, error) {
	return read(getenv, false)
}

// Validate checks an environment as Load reads it, but in the grammar
// the provider takes today: a duration without a unit is refused. It is
// the provider's check of securestream_issuer's settings at plan.
func Validate(getenv func(string) string) error {
	_, err := read(getenv, true)
	return err
}

func read(getenv func(string) string, strict bool) (*Config, error) {
	r := reader{getenv: getenv, strict: strict}
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
			Header:     r.channel(issuance.ChannelHeader),
			Query:      r.channel(issuance.ChannelQuery),
			Cookie:     r.channel(issuance.ChannelCookie),
			PathPrefix: r.channel(issuance.ChannelPathPrefix),
		},
		CookieSameSite: r.oneOf("SECURESTREAM_COOKIE_SAMESITE"),
		TokenFormat:    r.oneOf("SECURESTREAM_TOKEN_FORMAT"),
		CATChannels: issuance.Channels{
			Header: r.channelIn(catChannelVariables, issuance.ChannelHeader),
			Query:  r.channelIn(catChannelVariables, issuance.ChannelQuery),
			Cookie: r.channelIn(catChannelVariables, issuance.ChannelCookie),
		},
		SeedCompat: r.boolean("SECURESTREAM_SEED_COMPAT"),
		SessionIDs: r.boolean("SECURESTREAM_SESSION_IDS"),

		RevocationKVSARN:     r.kvsARN("SECURESTREAM_REVOCATION_KVS_ARN"),
		RevocationFailClosed: r.boolean("SECURESTREAM_REVOCATION_FAIL_CLOSED"),
		EdgeLeeway:           r.duration("SECURESTREAM_EDGE_LEEWAY"),
		AdminScope:           strings.TrimSpace(r.text("SECURESTREAM_ADMIN_SCOPE")),
		AdminIAM:             r.boolean("SECURESTREAM_ADMIN_IAM"),
	}
	c.IPBinding, _ = streamkey.ParseIPBinding(r.oneOf("SECURESTREAM_IP_BINDING"))
	c.TrustedProxies = r.cidrs("SECURESTREAM_TRUSTED_PROXIES")
	c.CloudFrontCIDRs = r.cidrs("SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS")
	c.check(&r)
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return c, nil
}

// Error is one problem with the configuration: Name is the variable at
// fault (the one to set or change), and the message names it, and any
// other variable the problem involves, as NAME or NAME=value.
type Error struct {
	Name string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errors are every problem Load found, in the order of Variables, then
// the checks across variables. Its text is one line (a cold start logs
// it); errors.As finds each *Error.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Msg
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// check runs the checks across variables, and those of list items,
// skipping one whose variables are already reported.
func (c *Config) check(r *reader) {
	add := func(name, format string, a ...any) { r.add(name, fmt.Sprintf(format, a...)) }
	ok := func(names ...string) bool {
		for _, n := range names {
			if r.failed[n] {
				return false
			}
		}
		return true
	}
	jwt := c.Auth == AuthJWT
	if c.FunctionName == "" {
		add("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_NAME is not set; it names the KMS encryption context of the key ring")
	}
	if len(c.AllowedHosts) == 0 {
		add("SECURESTREAM_ALLOWED_HOSTS", "SECURESTREAM_ALLOWED_HOSTS is required: list the hosts playback URLs may name")
	}
	if ok("SECURESTREAM_DEFAULT_TTL", "SECURESTREAM_MAX_TTL") && c.DefaultTTL > c.MaxTTL {
		add("SECURESTREAM_DEFAULT_TTL", "SECURESTREAM_DEFAULT_TTL (%s) is longer than SECURESTREAM_MAX_TTL (%s)",
			durationtext.Short(c.DefaultTTL), durationtext.Short(c.MaxTTL))
	}
	if jwt && c.JWTHS256Ciphertext == "" && c.JWTJWKS == "" {
		add("SECURESTREAM_JWT_HS256_KEY", "SECURESTREAM_AUTH=jwt needs SECURESTREAM_JWT_HS256_KEY or SECURESTREAM_JWT_JWKS")
	}
	if jwt && c.JWTAudience == "" {
		add("SECURESTREAM_JWT_AUDIENCE", "SECURESTREAM_AUTH=jwt needs SECURESTREAM_JWT_AUDIENCE (this issuer's client id or API identifier at the identity provider), "+
			"so that tokens the identity provider issued for other applications are refused")
	}
	if jwt && c.JWTJWKS != "" && c.JWTIssuer == "" {
		add("SECURESTREAM_JWT_ISSUER", "SECURESTREAM_JWT_JWKS needs SECURESTREAM_JWT_ISSUER (the identity provider's issuer, exactly as its tokens' iss claim says): "+
			"the JWKS's keys sign the tokens of every tenant and application of the identity provider, and only iss says a token is from yours")
	}
	if c.ClientIPSource == IPFromForwardedFor && len(c.TrustedProxies) == 0 && ok("SECURESTREAM_TRUSTED_PROXIES") {
		add("SECURESTREAM_TRUSTED_PROXIES", "SECURESTREAM_CLIENT_IP_SOURCE=x-forwarded-for needs SECURESTREAM_TRUSTED_PROXIES: X-Forwarded-For is only as trustworthy as the proxies that append to it")
	}
	if ok("SECURESTREAM_ORIGIN_SECRET_HEADER") && (c.OriginSecretHeader == "") != (c.OriginSecretCiphertext == "") {
		missing := "SECURESTREAM_ORIGIN_SECRET"
		if c.OriginSecretHeader == "" {
			missing = "SECURESTREAM_ORIGIN_SECRET_HEADER"
		}
		add(missing, "SECURESTREAM_ORIGIN_SECRET_HEADER and SECURESTREAM_ORIGIN_SECRET go together: set both (the header CloudFront adds and its encrypted value) or neither")
	} else if c.ClientIPSource == IPFromViewerAddress && c.OriginSecretHeader == "" && ok("SECURESTREAM_ORIGIN_SECRET_HEADER") {
		add("SECURESTREAM_ORIGIN_SECRET_HEADER", "SECURESTREAM_CLIENT_IP_SOURCE=cloudfront-viewer-address needs SECURESTREAM_ORIGIN_SECRET_HEADER with SECURESTREAM_ORIGIN_SECRET "+
			"(a custom origin header with a secret value that your distribution adds to requests to the API): anyone can send CloudFront-Viewer-Address "+
			"to the API directly, and SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS alone proves nothing, since every CloudFront customer's distributions send from those ranges; "+
			"the CIDRs may stay, in addition to the secret. Or set SECURESTREAM_CLIENT_IP_SOURCE=request")
	}
	if jwt && c.JWTJWKS != "" {
		// Parsed again by issuer.New; checked here so that a JWKS the
		// issuer cannot use fails at plan, not at every cold start.
		if _, err := jwks.Parse([]byte(c.JWTJWKS)); err != nil {
			add("SECURESTREAM_JWT_JWKS", "SECURESTREAM_JWT_JWKS: %v", err)
		}
	}
	if c.AdminScope != "" && c.Auth == AuthNone {
		add("SECURESTREAM_ADMIN_SCOPE", "SECURESTREAM_ADMIN_SCOPE needs SECURESTREAM_AUTH=jwt or authorizer: the admin's token is checked as the players' are, "+
			"and with none nobody's is (let IAM authorise the admin routes instead: SECURESTREAM_ADMIN_IAM=true)")
	}
	if c.AdminScope != "" && strings.ContainsAny(c.AdminScope, " \t") {
		add("SECURESTREAM_ADMIN_SCOPE", "SECURESTREAM_ADMIN_SCOPE: %q must be one scope, without spaces", c.AdminScope)
	}
	if (c.AdminScope != "" || c.AdminIAM) && c.RevocationKVSARN == "" && ok("SECURESTREAM_REVOCATION_KVS_ARN") {
		name := "SECURESTREAM_ADMIN_SCOPE"
		if c.AdminScope == "" {
			name = "SECURESTREAM_ADMIN_IAM"
		}
		add("SECURESTREAM_REVOCATION_KVS_ARN", "%s enables the admin routes, which write revocations: set SECURESTREAM_REVOCATION_KVS_ARN to the store's ARN", name)
	}
	if c.TokenFormat == issuance.FormatCAT && c.BindUserAgent && ok("SECURESTREAM_BIND_USER_AGENT") {
		add("SECURESTREAM_TOKEN_FORMAT", "SECURESTREAM_TOKEN_FORMAT=cat cannot bind the User-Agent, which SECURESTREAM_BIND_USER_AGENT=true (its default) asks for: "+
			"a Common Access Token has no User-Agent claim, so the binding would be silently lost; set SECURESTREAM_BIND_USER_AGENT=false, or keep SECURESTREAM_TOKEN_FORMAT=ss1")
	}
	for _, s := range c.AllowedSchemes {
		if s != "https" && s != "http" {
			add("SECURESTREAM_ALLOWED_SCHEMES", "SECURESTREAM_ALLOWED_SCHEMES: %q is not http or https", s)
		}
	}
	for _, p := range c.AllowedPrefixes {
		if !issuance.ValidPrefix(p) {
			add("SECURESTREAM_ALLOWED_PATH_PREFIXES", "SECURESTREAM_ALLOWED_PATH_PREFIXES: %q must be a path starting with / with no dot segments, \"//\" or '*'", p)
		}
	}
	for _, h := range c.AllowedHosts {
		if strings.ContainsAny(h, "/:@ ") {
			add("SECURESTREAM_ALLOWED_HOSTS", "SECURESTREAM_ALLOWED_HOSTS: %q must be a host name (no scheme, port or path)", h)
		}
	}
}

// reader collects every configuration error; strict refuses durations
// without a unit.
type reader struct {
	getenv func(string) string
	strict bool
	errs   Errors
	failed map[string]bool
}

// fail reports a problem with the value of the variable name.
func (r *reader) fail(name, format string, a ...any) {
	r.add(name, name+": "+fmt.Sprintf(format, a...))
}

func (r *reader) add(name, msg string) {
	if r.failed == nil {
		r.failed = map[string]bool{}
	}
	r.failed[name] = true
	r.errs = append(r.errs, &Error{Name: name, Msg: msg})
}

// spec is the entry of name, which must be of kind k: reading a variable
// as another kind than the table gives it (and so the provider's setting)
// is a bug, which the tests find, since they read every variable.
func spec(name string, k Kind) Variable {
	v := Lookup(name)
	if v.Kind != k {
		panic(fmt.Sprintf("issuer/config: %s is a %s in Variables, read as a %s", name, v.Kind, k))
	}
	return v
}

// text reads a string variable as it is, or its default.
func (r *reader) text(name string) string {
	def := spec(name, KindString).Default
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

// value reads a variable of kind k without surrounding spaces, or its
// default.
func (r *reader) value(name string, k Kind) string {
	def := spec(name, k).Default
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) required(name string) string {
	v := r.value(name, KindString)
	if v == "" {
		r.fail(name, "is required")
	}
	return v
}

// duration reads a duration in the variable's range, in
// durationtext.Parse's grammar; unless strict, also as bare seconds, which
// the original issuer took and provider versions before the one grammar
// wrote into the environment.
func (r *reader) duration(name string) time.Duration {
	entry := spec(name, KindDuration)
	minimum, maximum := durationtext.Short(entry.Min), durationtext.Short(entry.Max)
	v := r.value(name, KindDuration)
	outOfRange := func() time.Duration {
		r.fail(name, "%q is out of range: it must be between %s and %s", v, minimum, maximum)
		return 0
	}
	d, err := durationtext.Parse(v)
	if err != nil && (r.strict || !durationtext.BareNumber(v)) {
		if durationtext.BareNumber(v) {
			r.fail(name, "%v; it must be between %s and %s", err, minimum, maximum)
		} else {
			r.fail(name, "%q is not a duration (such as 90s, 15m or 24h) in the range %s to %s", v, minimum, maximum)
		}
		return 0
	}
	if err != nil {
		// Bare seconds. Checked before the multiplication, which would
		// otherwise wrap around.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
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
	if d < entry.Min || d > entry.Max {
		return outOfRange()
	}
	return d
}

// oneOf reads a variable that takes one of the values its entry lists.
func (r *reader) oneOf(name string) string {
	allowed := spec(name, KindString).OneOf
	v := r.value(name, KindString)
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
	v := r.value(name, KindBool)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q must be true or false", v)
	}
	return b
}

func (r *reader) list(name string) []string {
	var out []string
	for _, s := range strings.Split(r.value(name, KindList), ",") {
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
	v := r.value(name, KindString)
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
	v := r.value(name, KindString)
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

// kvsARNPattern is a KeyValueStore's ARN; the data plane's endpoint is
// built from its account id, in the aws partition only.
var kvsARNPattern = regexp.MustCompile(`^arn:aws:cloudfront::[0-9]{12}:key-value-store/[0-9A-Za-z-]{1,64}$`)

// kvsARN reads an optional KeyValueStore ARN.
func (r *reader) kvsARN(name string) string {
	v := r.value(name, KindString)
	if v != "" && !kvsARNPattern.MatchString(v) {
		r.fail(name, "%q is not a KeyValueStore ARN (arn:aws:cloudfront::<account>:key-value-store/<id>)", v)
	}
	return v
}

// channel reads the name of a channel, as the channel uses it (a header
// name in lower case).
func (r *reader) channel(ch issuance.Channel) string {
	return r.channelIn(channelVariables, ch)
}

// channelIn reads the name of a channel from its variable in vars.
func (r *reader) channelIn(vars map[issuance.Channel]string, ch issuance.Channel) string {
	name := vars[ch]
	v := r.value(name, KindString)
	n, err := ch.Normalize(v)
	if err != nil {
		r.fail(name, "%v", err)
	}
	return n
}
