package provider

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// The data source and the ephemeral resource securestream_stream_key share
// their arguments, their results and the minting, which is the issuer's
// own (issuer.MintKey): a test key is exactly what the issuer would hand out.

type streamKeyModel struct {
	Ciphertext      types.String `tfsdk:"ciphertext"`
	KMSKeyID        types.String `tfsdk:"kms_key_id"`
	FunctionName    types.String `tfsdk:"function_name"`
	ActivationDelay types.String `tfsdk:"activation_delay"`
	KeyID           types.String `tfsdk:"key_id"`
	PlaybackURL     types.String `tfsdk:"playback_url"`
	ClientIP        types.String `tfsdk:"client_ip"`
	UserAgent       types.String `tfsdk:"user_agent"`
	TTLSeconds      types.Int64  `tfsdk:"ttl_seconds"`
	ExpiresAt       types.String `tfsdk:"expires_at"`
	NotBefore       types.String `tfsdk:"not_before"`
	IPBinding       types.String `tfsdk:"ip_binding"`
	BindUserAgent   types.Bool   `tfsdk:"bind_user_agent"`
	BindHost        types.Bool   `tfsdk:"bind_host"`
	SessionID       types.String `tfsdk:"session_id"`
	PathPattern     types.String `tfsdk:"path_pattern"`
	PathPrefix      types.String `tfsdk:"path_prefix"`
	Format          types.String `tfsdk:"format"`
	TokenHeader     types.String `tfsdk:"token_header"`
	TokenQuery      types.String `tfsdk:"token_query"`
	TokenCookie     types.String `tfsdk:"token_cookie"`
	TokenPathPrefix types.String `tfsdk:"token_path_prefix"`

	Token        types.String `tfsdk:"token"`
	SigningKeyID types.String `tfsdk:"signing_key_id"`
	Pattern      types.String `tfsdk:"pattern"`
	Expires      types.Int64  `tfsdk:"expires"`
	Headers      types.Map    `tfsdk:"headers"`
	QueryString  types.String `tfsdk:"query_string"`
	URL          types.String `tfsdk:"url"`
	Cookie       types.String `tfsdk:"cookie"`
	StreamKey    types.String `tfsdk:"stream_key"`
	StreamPolicy types.String `tfsdk:"stream_policy"`
	Curl         types.String `tfsdk:"curl"`
}

// Formats of a test key.
const (
	formatSS1  = "ss1"
	formatSeed = "seed"
)

// attrSpec describes one attribute once for both schema packages.
type attrSpec struct {
	kind      string // string, int64, bool, map
	required  bool
	computed  bool
	sensitive bool
	desc      string
	str       []validator.String
	i64       []validator.Int64
}

var (
	headerNameRE = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	paramNameRE  = regexp.MustCompile(`^[A-Za-z0-9_.~-]{1,64}$`)
)

func streamKeyAttrs() map[string]attrSpec {
	in := func(desc string, v ...validator.String) attrSpec {
		return attrSpec{kind: "string", desc: desc, str: v}
	}
	out := func(kind, desc string) attrSpec {
		return attrSpec{kind: kind, computed: true, sensitive: kind != "int64", desc: desc}
	}
	return map[string]attrSpec{
		"ciphertext": {kind: "string", required: true, sensitive: true,
			desc: "The key ring: `securestream_secret.<name>.ciphertext`. It is decrypted through KMS (`kms:Decrypt`) for the minting; the plaintext is never stored."},
		"kms_key_id": in("The KMS key the ring is encrypted under: `securestream_secret.<name>.id`. When set, it is passed to " +
			"`kms:Decrypt`, which then refuses a ring encrypted under any other key. Recommended."),
		"function_name": {kind: "string", required: true,
			desc: "The issuer's function name the ring was encrypted for: `securestream_secret.<name>.function_name`."},
		"activation_delay": in("How old a key must be before it signs, as the issuer is configured: `securestream_secret.<name>.activation_delay`. Default `10m`.",
			durationValidator),
		"key_id": in("Sign with this key of the ring instead of the one the issuer would pick (to test a rotation)."),
		"playback_url": {kind: "string", required: true,
			desc: "The manifest URL the key is for (`https://` or `http://`, no port, no user name, no dot segments)."},
		"client_ip":  in("The client's address. Required unless `ip_binding` is `off`; `curl` then works from that address only."),
		"user_agent": in("The client's User-Agent, bound when `bind_user_agent` is true (`curl` sends it with `-A`)."),
		"ttl_seconds": {kind: "int64", desc: "Lifetime in seconds from `not_before` (1 to 604800). Default 3600. Conflicts with `expires_at`. " +
			"The edge function refuses keys that live longer than its maximum lifetime (24 hours by default).",
			i64: []validator.Int64{int64validator.Between(1, 7*24*3600), int64validator.ConflictsWith(path.MatchRoot("expires_at"))}},
		"expires_at": in("Expiry as an RFC 3339 time, instead of `ttl_seconds`; with `not_before` (required with it), which makes the "+
			"token the same at every read.", rfc3339Validator, stringvalidator.AlsoRequires(path.MatchRoot("not_before"))),
		"not_before": in("When the key starts working, RFC 3339. Default: now, when Terraform reads it. `ss1` only.",
			rfc3339Validator),
		"ip_binding": in("How the key binds `client_ip`: `off`, `exact` or `subnet` (IPv4 /24, IPv6 /64; the issuer's default). Default `subnet`.",
			stringvalidator.OneOf("off", "exact", "subnet")),
		"bind_user_agent": {kind: "bool", desc: "Whether the key binds `user_agent` (the issuer's default). Default true."},
		"bind_host":       {kind: "bool", desc: "Whether the key binds the playback URL's host (the issuer's default). Default true."},
		"session_id": in("A session id to sign into the key (1 to 64 of `A-Z a-z 0-9 . _ ~ -`). The issuer signs a random one; "+
			"unset, the test key has none, which makes it the same at every read.", stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`), "must be 1 to 64 of A-Z a-z 0-9 . _ ~ -")),
		"path_pattern": in("What the key covers, as the issuer's `SECURESTREAM_PATH_PATTERN`: `directory` (the manifest's directory and below; default), "+
			"`exact` (the URL's path only) or `prefix` (everything under `path_prefix`).", stringvalidator.OneOf(issuer.PatternDirectory, issuer.PatternExact, issuer.PatternPrefix)),
		"path_prefix": in("With `path_pattern = \"prefix\"`: the prefix the key covers, starting and ending with `/`; the playback URL must be under it.",
			pathPrefixValidator),
		"format": in("`ss1` (the current format; default) or `seed` (the original blog post's `stream_key` and `stream_policy` headers, "+
			"signed with the ring's seed key, which `secret_wo` adds).", stringvalidator.OneOf(formatSS1, formatSeed)),
		"token_header": in("Header name the edge function reads, for `headers` and `curl`. Default `x-stream-token`.",
			stringvalidator.RegexMatches(headerNameRE, "must be 1 to 64 of a-z 0-9 -")),
		"token_query": in("Query parameter name, for `query_string`. Default `stream_token`.",
			stringvalidator.RegexMatches(paramNameRE, "must be 1 to 64 of A-Z a-z 0-9 _ . ~ -")),
		"token_cookie": in("Cookie name, for `cookie`. Default `stream_token`.",
			stringvalidator.RegexMatches(paramNameRE, "must be 1 to 64 of A-Z a-z 0-9 _ . ~ -")),
		"token_path_prefix": in("Path prefix segment, for `url`. Default `t`.",
			stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_.~-]{1,32}$`), "must be 1 to 32 of A-Z a-z 0-9 _ . ~ -")),

		"token":          out("string", "The stream key (`ss1`); null with `format = \"seed\"`."),
		"signing_key_id": {kind: "string", computed: true, desc: "Id of the ring key that signed it."},
		"pattern":        {kind: "string", computed: true, desc: "The path pattern the key covers (`ss1`), or the seed policy's URL."},
		"expires":        {kind: "int64", computed: true, desc: "Expiry, in Unix seconds."},
		"headers": out("map", "The request headers the key needs: the token header (or, for `seed`, `stream_key` and `stream_policy`) and, "+
			"when the key binds it, `user-agent`."),
		"query_string":  out("string", "`<token_query>=<token>`, to append to a URL (`ss1`)."),
		"url":           out("string", "The playback URL with the token as a path prefix: `https://host/<token_path_prefix>/<token>/path` (`ss1`); for `seed`, the playback URL."),
		"cookie":        out("string", "A `Set-Cookie` value carrying the key (`ss1`)."),
		"stream_key":    out("string", "The seed-format `stream_key` header (`format = \"seed\"`)."),
		"stream_policy": out("string", "The seed-format `stream_policy` header (`format = \"seed\"`)."),
		"curl":          out("string", "A `curl` command line that fetches the playback URL with the key (and the bound User-Agent)."),
	}
}

// minter mints test keys; tests replace the clock and the randomness.
type minter struct {
	clients *awsclients.Clients
	now     func() time.Time
	rand    io.Reader
}

func newMinter() minter { return minter{now: time.Now, rand: rand.Reader} }

// configure is the Configure step of both.
func (mt *minter) configure(data any, diags *diag.Diagnostics) {
	pd, d := fromProvider(data)
	if d != nil {
		diags.Append(d)
		return
	}
	if pd != nil {
		mt.clients, mt.now = pd.clients, pd.now
	}
}

// mintFor reads the arguments from config and mints the key.
func (mt minter) mintFor(ctx context.Context, config tfsdk.Config) (*streamKeyModel, diag.Diagnostics) {
	var m streamKeyModel
	diags := config.Get(ctx, &m)
	if diags.HasError() {
		return nil, diags
	}
	diags.Append(mt.mint(ctx, &m)...)
	return &m, diags
}

func str(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

func boolOr(v types.Bool, def bool) bool {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueBool()
}

// mint fills in m's results.
func (mt minter) mint(ctx context.Context, m *streamKeyModel) diag.Diagnostics {
	var diags diag.Diagnostics
	attrErr := func(attr, summary, detail string) diag.Diagnostics {
		diags.AddAttributeError(path.Root(attr), summary, detail)
		return diags
	}
	if notConfigured(mt.clients, &diags) {
		return diags
	}
	format := str(m.Format, formatSS1)
	now := mt.now().UTC().Truncate(time.Second)

	// Times: not_before defaults to now; the lifetime comes from
	// expires_at or ttl_seconds.
	nbf := now
	if v := str(m.NotBefore, ""); v != "" {
		if format == formatSeed {
			return attrErr("not_before", "not_before is for ss1 keys", "The seed format has no start time; remove not_before or use format = \"ss1\".")
		}
		nbf, _ = time.Parse(time.RFC3339, v) // checked by the validator
	}
	ttl := time.Hour
	if !m.TTLSeconds.IsNull() {
		ttl = time.Duration(m.TTLSeconds.ValueInt64()) * time.Second
	}
	if v := str(m.ExpiresAt, ""); v != "" {
		exp, _ := time.Parse(time.RFC3339, v)
		if ttl = exp.Sub(nbf); ttl <= 0 {
			return attrErr("expires_at", "expires_at is not after the start",
				fmt.Sprintf("expires_at %s must be after not_before (%s).", exp.Format(time.RFC3339), nbf.Format(time.RFC3339)))
		}
		if ttl > 7*24*time.Hour {
			return attrErr("expires_at", "lifetime too long", "A test key may live at most 7 days (604800 s) from not_before.")
		}
	}
	delay := 10 * time.Minute
	if v := str(m.ActivationDelay, ""); v != "" {
		delay, _ = time.ParseDuration(v)
	}

	// The playback URL, checked by the issuer's own rules.
	mode := str(m.PathPattern, issuer.PatternDirectory)
	prefix := str(m.PathPrefix, "/")
	if mode != issuer.PatternPrefix && !m.PathPrefix.IsNull() {
		return attrErr("path_prefix", "path_prefix needs path_pattern = \"prefix\"", "Set path_pattern = \"prefix\" or remove path_prefix.")
	}
	pb, rf := issuer.CheckPlaybackURL(m.PlaybackURL.ValueString(), issuer.URLRules{Schemes: []string{"https", "http"}, Prefixes: []string{prefix}})
	if rf != nil {
		detail := rf.Message + "."
		if rf.Reason == "path_not_allowed" {
			detail = fmt.Sprintf("The playback URL's path must be under path_prefix %q.", prefix)
		}
		return attrErr("playback_url", "invalid playback URL", detail)
	}

	// The client.
	binding, _ := streamkey.ParseIPBinding(str(m.IPBinding, "subnet"))
	clientIP := str(m.ClientIP, "")
	if clientIP != "" {
		// As the issuer does: the address in its canonical spelling, which
		// the seed format signs as it is and the edge compares with.
		canonical, err := streamkey.CanonicalIP(clientIP)
		if err != nil {
			return attrErr("client_ip", "invalid client IP", fmt.Sprintf("%q is not an IPv4 or IPv6 address: %v.", clientIP, err))
		}
		clientIP = canonical
	}
	if clientIP == "" && (format == formatSeed || binding != streamkey.IPOff) {
		return attrErr("client_ip", "client_ip is required",
			"The key binds the client's address: set client_ip to the address the test requests come from, or set ip_binding = \"off\" (ss1 only).")
	}
	ua := str(m.UserAgent, "")
	bindUA := boolOr(m.BindUserAgent, true)
	if format == formatSeed {
		bindUA = true // the seed format always signs the User-Agent
	}
	names := issuer.Names{Header: str(m.TokenHeader, issuer.DefaultNames.Header), Query: str(m.TokenQuery, issuer.DefaultNames.Query),
		Cookie: str(m.TokenCookie, issuer.DefaultNames.Cookie), PathPrefix: str(m.TokenPathPrefix, issuer.DefaultNames.PathPrefix)}

	// The ring, decrypted in memory only.
	doc, d := decryptRing(ctx, mt.clients, m.Ciphertext.ValueString(), m.FunctionName.ValueString(), m.KMSKeyID.ValueString())
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	ring, err := doc.Ring()
	if err != nil {
		diags.AddError("The key ring is invalid", err.Error())
		return diags
	}
	kid := str(m.KeyID, "")
	if kid != "" {
		var ids []string
		found := false
		for _, k := range ring.Keys() {
			ids = append(ids, k.ID)
			found = found || k.ID == kid
		}
		if !found {
			sort.Strings(ids)
			return attrErr("key_id", "no such key", fmt.Sprintf("The ring has no key %q; it has %s.", kid, strings.Join(ids, ", ")))
		}
	}

	headers := map[string]string{}
	var curlHeaders []string
	if format == formatSeed {
		sk, err := ring.MintSeed(streamkey.SeedGrant{PlaybackURL: pb.Raw, ClientIP: clientIP, UserAgent: ua, Expires: nbf.Add(ttl)})
		if err != nil {
			diags.AddAttributeError(path.Root("format"), "The ring has no seed key",
				"Seed-format keys are signed with the original deployment's secret: set secret_wo and secret_wo_version on the securestream_secret.")
			return diags
		}
		seedID := ""
		for _, k := range ring.Keys() {
			if k.Seed {
				seedID = k.ID
			}
		}
		headers["stream_key"], headers["stream_policy"] = sk.StreamKey, sk.StreamPolicy
		curlHeaders = []string{"stream_key", "stream_policy"}
		m.Token, m.QueryString, m.Cookie = types.StringNull(), types.StringNull(), types.StringNull()
		m.URL = types.StringValue(pb.Raw)
		m.StreamKey, m.StreamPolicy = types.StringValue(sk.StreamKey), types.StringValue(sk.StreamPolicy)
		m.SigningKeyID, m.Pattern, m.Expires = types.StringValue(seedID), types.StringValue(sk.Path), types.Int64Value(sk.Expires)
	} else {
		k, err := issuer.MintKey(ring, issuer.Policy{PatternMode: mode, IPBinding: binding, BindUserAgent: bindUA,
			BindHost: boolOr(m.BindHost, true), ActivationDelay: delay, Names: names}, pb,
			issuer.Subject{ClientIP: clientIP, UserAgent: ua, NotBefore: nbf, TTL: ttl, SessionID: str(m.SessionID, ""), KeyID: kid}, mt.rand)
		if err != nil {
			diags.AddError("Cannot mint the key", err.Error()+"\n\nCheck client_ip, user_agent, session_id and the playback URL.")
			return diags
		}
		headers[names.Header] = k.Token
		curlHeaders = []string{names.Header}
		m.Token, m.QueryString, m.Cookie, m.URL = types.StringValue(k.Token), types.StringValue(k.Forms.Query),
			types.StringValue(k.Forms.Cookie), types.StringValue(k.Forms.URL)
		m.StreamKey, m.StreamPolicy = types.StringNull(), types.StringNull()
		m.SigningKeyID, m.Pattern, m.Expires = types.StringValue(k.KeyID), types.StringValue(k.Pattern), types.Int64Value(k.Expires.Unix())
	}
	if bindUA && ua != "" {
		headers["user-agent"] = ua
	}
	hv := map[string]attr.Value{}
	for k, v := range headers {
		hv[k] = types.StringValue(v)
	}
	m.Headers, d = types.MapValue(types.StringType, hv)
	diags.Append(d...)

	cmd := []string{"curl", "--fail", "--silent", "--show-error"}
	for _, h := range curlHeaders {
		cmd = append(cmd, "-H", shellQuote(h+": "+headers[h]))
	}
	if ua != "" || bindUA { // -A '' sends no User-Agent, as a key bound to none needs
		cmd = append(cmd, "-A", shellQuote(ua))
	}
	m.Curl = types.StringValue(strings.Join(append(cmd, shellQuote(pb.Raw)), " "))
	if ttl > 24*time.Hour {
		at := "ttl_seconds"
		if !m.ExpiresAt.IsNull() {
			at = "expires_at"
		}
		diags.AddAttributeWarning(path.Root(at), "The key lives longer than 24 hours",
			"The edge function refuses keys whose lifetime exceeds its maximum lifetime, 24 hours unless configured otherwise.")
	}
	return diags
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
