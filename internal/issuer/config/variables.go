package config

import (
	"fmt"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Kind is how a variable is written: Load reads it so, and the provider
// gives its setting the matching type.
type Kind int

// The kinds of variable.
const (
	// KindString is text, taken as it is (OneOf may narrow it).
	KindString Kind = iota + 1
	// KindBool is true or false.
	KindBool
	// KindDuration is a duration such as 90s, 15m or 24h
	// (durationtext.Parse), between Min and Max. Load also takes bare
	// seconds, which earlier provider versions wrote; Validate does not.
	KindDuration
	// KindList is comma-separated items.
	KindList
)

var kindNames = map[Kind]string{KindString: "string", KindBool: "bool", KindDuration: "duration", KindList: "list"}

func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Variable documents one environment variable, and is where Load takes its
// kind, default and range from.
type Variable struct {
	Name string
	Kind Kind
	// Required variables have no default: Load refuses an environment
	// without them.
	Required bool
	// RequiredWith names the setting that makes an optional variable
	// required, for the documentation ("jwt": required with
	// SECURESTREAM_AUTH=jwt); Load checks it.
	RequiredWith string
	// Default is the value used when the variable is unset or empty, as it
	// would be written; "" for none.
	Default string
	Meaning string
	// Min and Max bound a duration variable.
	Min, Max time.Duration
	// OneOf lists the values a variable may take, when they are few.
	OneOf []string
}

// DefaultText is the default as the documentation's table shows it:
// the value, "(required)", "(required with jwt)", or "" for none.
func (v Variable) DefaultText() string {
	switch {
	case v.Required:
		return "(required)"
	case v.RequiredWith != "":
		return "(required with " + v.RequiredWith + ")"
	}
	return v.Default
}

// durationVar is a duration variable: "%[1]s" and "%[2]s" in meaning stand
// for its range.
func durationVar(name, def string, minimum, maximum time.Duration, meaning string) Variable {
	return Variable{Name: name, Kind: KindDuration, Default: def, Min: minimum, Max: maximum,
		Meaning: fmt.Sprintf(meaning, durationtext.Short(minimum), durationtext.Short(maximum))}
}

// Variables lists the configuration: the documentation's table and what
// Load reads, with its defaults and ranges.
var Variables = []Variable{
	{Name: "SECURESTREAM_KEYRING", Kind: KindString, Required: true, Meaning: "The key ring, KMS-encrypted with the encryption context {\"LambdaFunctionName\": function name, \"Purpose\": \"key-ring\"}, in base64. A ciphertext without the Purpose (sealed by a provider version before it) is refused."},
	{Name: "SECURESTREAM_KMS_KEY_ID", Kind: KindString, Meaning: "The ARN of the KMS key the key ring is encrypted under; when set, every kms:Decrypt the issuer makes (key ring, HS256 key, origin secret) passes it as KeyId, so a ciphertext under any other key is refused."},
	durationVar("SECURESTREAM_ACTIVATION_DELAY", durationtext.Short(keyring.DefaultActivationDelay), 0, keyring.MaxActivationDelay,
		"How old a key must be before the issuer signs with it, so that every edge location has it first (%[1]s to %[2]s)."),
	{Name: "SECURESTREAM_AUTH", Kind: KindString, Required: true, OneOf: []string{string(AuthNone), string(AuthAuthorizer), string(AuthJWT)},
		Meaning: "Who may ask: none, authorizer (API Gateway's authorizer already ran) or jwt."},
	{Name: "SECURESTREAM_JWT_ISSUER", Kind: KindString, Meaning: "jwt: the required iss; required with SECURESTREAM_JWT_JWKS, whose keys sign for every tenant and application of the identity provider."},
	{Name: "SECURESTREAM_JWT_AUDIENCE", Kind: KindString, RequiredWith: "jwt", Meaning: "jwt: the required aud, so that tokens the identity provider issued for other applications are refused."},
	{Name: "SECURESTREAM_JWT_CLIENT_IDS", Kind: KindList, Meaning: "jwt: client ids accepted, comma-separated; when set, the token's azp (or, without azp, its client_id) must be one of them."},
	{Name: "SECURESTREAM_JWT_HS256_KEY", Kind: KindString, Meaning: "jwt: an HS256 key, KMS-encrypted like the key ring but with \"Purpose\": \"jwt-hs256-key\", in base64."},
	{Name: "SECURESTREAM_JWT_JWKS", Kind: KindString, Meaning: "jwt: a JWKS document with the RS256 or ES256 keys (a key that declares alg is used with that algorithm only); needs SECURESTREAM_JWT_ISSUER."},
	durationVar("SECURESTREAM_JWT_LEEWAY", "60s", 0, 10*time.Minute, "jwt: clock skew allowed on exp and nbf (%[1]s to %[2]s)."),
	{Name: "SECURESTREAM_JWT_PATHS_CLAIM", Kind: KindString, Meaning: "jwt: a claim listing the path prefixes the caller may play."},
	{Name: "SECURESTREAM_AUTHORIZER_PATHS_CLAIM", Kind: KindString, Meaning: "authorizer: an authorizer context key or claim listing the path prefixes the caller may play."},
	{Name: "SECURESTREAM_ALLOWED_SCHEMES", Kind: KindList, Default: "https", Meaning: "Schemes a playback URL may use, comma-separated."},
	{Name: "SECURESTREAM_ALLOWED_HOSTS", Kind: KindList, Required: true, Meaning: "Hosts a playback URL may name, comma-separated; *.example.com matches any subdomain."},
	{Name: "SECURESTREAM_ALLOWED_PATH_PREFIXES", Kind: KindList, Default: "/", Meaning: "Path prefixes a playback URL must fall under, comma-separated; a prefix covers a directory (/vod/free covers /vod/free and /vod/free/..., not /vod/free.m3u8)."},
	{Name: "SECURESTREAM_PATH_PATTERN", Kind: KindString, Default: issuance.PatternModes[0], OneOf: issuance.PatternModes,
		Meaning: "What the key covers: directory (the manifest's directory and below), exact (the URL's path) or prefix (the narrower of the allowed prefix and the caller's entitled prefix); a pattern wider than the allowed prefix or the entitlement is refused."},
	durationVar("SECURESTREAM_DEFAULT_TTL", "1h", time.Second, streamkey.DefaultMaxLifetime,
		"Lifetime of a key when the caller asks for none (%[1]s to SECURESTREAM_MAX_TTL)."),
	durationVar("SECURESTREAM_MAX_TTL", durationtext.Short(keyring.DefaultMaxTokenLifetime), time.Second, streamkey.DefaultMaxLifetime,
		"Longest lifetime a caller may ask for; longer requests are clamped (%[1]s to %[2]s, the edge function's maximum lifetime)."),
	{Name: "SECURESTREAM_IP_BINDING", Kind: KindString, Default: "subnet", OneOf: []string{"off", "exact", "subnet"},
		Meaning: "How keys bind the client address: off, exact, or subnet (IPv4 /24, IPv6 /64)."},
	{Name: "SECURESTREAM_BIND_USER_AGENT", Kind: KindBool, Default: "true", Meaning: "Whether keys bind the User-Agent."},
	{Name: "SECURESTREAM_BIND_HOST", Kind: KindBool, Default: "true", Meaning: "Whether keys bind the playback URL's host."},
	{Name: "SECURESTREAM_CLIENT_IP_SOURCE", Kind: KindString, Default: IPFromRequest, OneOf: []string{IPFromRequest, IPFromViewerAddress, IPFromForwardedFor},
		Meaning: "Where the client address comes from: request (the request context), cloudfront-viewer-address (needs SECURESTREAM_ORIGIN_SECRET_HEADER; believed only from requests that carry the origin secret), or x-forwarded-for."},
	{Name: "SECURESTREAM_TRUSTED_PROXIES", Kind: KindList, Meaning: "x-forwarded-for: CIDRs of the proxies in front of the API, comma-separated; the rightmost address outside them is the client."},
	{Name: "SECURESTREAM_ORIGIN_SECRET_HEADER", Kind: KindString, Meaning: "cloudfront-viewer-address: the custom origin header CloudFront adds to requests to the API, with SECURESTREAM_ORIGIN_SECRET as its value."},
	{Name: "SECURESTREAM_ORIGIN_SECRET", Kind: KindString, Meaning: "cloudfront-viewer-address: the origin header's secret value (at least 16 bytes), KMS-encrypted like the key ring but with \"Purpose\": \"origin-secret\", in base64."},
	{Name: "SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS", Kind: KindList, Meaning: "cloudfront-viewer-address: CIDRs the request's source address must also be in (CloudFront's origin-facing ranges), comma-separated; in addition to the origin secret, never instead of it, since every CloudFront customer's distributions send from these ranges."},
	{Name: "SECURESTREAM_CORS_ORIGINS", Kind: KindList, Meaning: "Browser origins allowed to call the issuer, comma-separated, or *."},
	{Name: "SECURESTREAM_TOKEN_HEADER", Kind: KindString, Default: issuance.DefaultChannels().Header, Meaning: "Header name in the ready-to-use forms (as the edge function is configured)."},
	{Name: "SECURESTREAM_TOKEN_QUERY", Kind: KindString, Default: issuance.DefaultChannels().Query, Meaning: "Query parameter name in the ready-to-use forms. The answer's query form (`<name>=<token>`) reaches only the URL it is added to: a player resolving a manifest's relative URIs drops the query, so its variant playlists and segments (HLS) or init and media segments (DASH) go without the key and are refused, unless the player adds it to every request. A player that cannot needs the answer's url (the path prefix), which relative URIs keep; manifests rewritten at the origin cannot carry it, as the edge takes the key out of each request before the cache and the origin see it."},
	{Name: "SECURESTREAM_TOKEN_COOKIE", Kind: KindString, Default: issuance.DefaultChannels().Cookie, Meaning: "Cookie name in the ready-to-use forms."},
	{Name: "SECURESTREAM_COOKIE_SAMESITE", Kind: KindString, Default: issuance.SameSiteModes[0], OneOf: issuance.SameSiteModes,
		Meaning: "SameSite of the ready-to-use cookie: lax (sent to the media host from pages on its own site), strict, or none (also from pages on other sites, for a player embedded elsewhere; the cookie is always Secure)."},
	{Name: "SECURESTREAM_TOKEN_PATH_PREFIX", Kind: KindString, Default: issuance.DefaultChannels().PathPrefix, Meaning: "Path prefix in the ready-to-use URL."},
	{Name: "SECURESTREAM_TOKEN_FORMAT", Kind: KindString, Default: issuance.Formats[0], OneOf: issuance.Formats,
		Meaning: "The format of the keys the issuer mints, as the edge function checks them: ss1, or cat (a CTA-5007 Common Access Token, HS256, signed with the ring's keys) for players and CDNs that speak CAT. Both cover the same paths, host and client address; cat needs SECURESTREAM_BIND_USER_AGENT=false (CAT has no User-Agent claim) and offers no path-prefix url."},
	{Name: "SECURESTREAM_CAT_HEADER", Kind: KindString, Default: issuance.DefaultCATChannels().Header, Meaning: "cat: header name in the ready-to-use forms (as the edge function is configured)."},
	{Name: "SECURESTREAM_CAT_QUERY", Kind: KindString, Default: issuance.DefaultCATChannels().Query, Meaning: "cat: query parameter name in the ready-to-use forms; the answer's url is the playback URL with it, which a player drops on a manifest's relative URIs (use the cookie or the header for the rest of the stream)."},
	{Name: "SECURESTREAM_CAT_COOKIE", Kind: KindString, Default: issuance.DefaultCATChannels().Cookie, Meaning: "cat: cookie name in the ready-to-use forms."},
	{Name: "SECURESTREAM_SEED_COMPAT", Kind: KindBool, Default: "false", Meaning: "Also return stream_key and stream_policy as the original issuer did (needs a seed key in the ring), unless the seed policy would cover more than the key; then seed_omitted says why."},
	{Name: "SECURESTREAM_SESSION_IDS", Kind: KindBool, Default: "true", Meaning: "Give every key a random session id, for logs and revocation, unless the caller continues a session (`session_id` in the request)."},
	{Name: "SECURESTREAM_REVOCATION_KVS_ARN", Kind: KindString, Meaning: "The ARN of the CloudFront KeyValueStore the edge function reads revocations from (`arn:aws:cloudfront::<account>:key-value-store/<id>`): the admin routes write it, and a request continuing a session (`session_id`) is refused while the session is revoked. Its endpoint is AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE or AWS_ENDPOINT_URL when set, used as it is."},
	{Name: "SECURESTREAM_REVOCATION_FAIL_CLOSED", Kind: KindBool, Default: "false", Meaning: "When the store cannot be read while a request continues a session: false mints anyway and logs revocation_unavailable, true refuses (503 revocation_unavailable); as the edge function's own setting."},
	durationVar("SECURESTREAM_EDGE_LEEWAY", durationtext.Short(streamkey.DefaultLeeway), 0, time.Hour,
		"The edge function's clock-skew leeway, as it is configured (%[1]s to %[2]s): a revocation lasts SECURESTREAM_MAX_TTL plus this, the longest a key of the session can still pass the edge."),
	{Name: "SECURESTREAM_ADMIN_SCOPE", Kind: KindString, Meaning: "jwt or authorizer: the scope (in the token's scope or scp, or the authorizer's scopes) that lets a caller use the admin routes (POST and DELETE .../revocations/{session_id}); the token is checked as the players' are. Needs SECURESTREAM_REVOCATION_KVS_ARN."},
	{Name: "SECURESTREAM_ADMIN_IAM", Kind: KindBool, Default: "false", Meaning: "Whether a request API Gateway authorised with AWS_IAM (an IAM identity in its request context) may use the admin routes; deploy those routes with AWS_IAM authorization. Needs SECURESTREAM_REVOCATION_KVS_ARN."},
}

// Lookup returns the entry of Variables for name; reading a variable the
// table does not list is a bug.
func Lookup(name string) Variable {
	for _, v := range Variables {
		if v.Name == name {
			return v
		}
	}
	panic("issuer/config: " + name + " is not in Variables")
}
