package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// The data source and the ephemeral resource securestream_stream_key share
// their arguments, their results and the minting, which is the issuer's
// own (issuance.MintKey): a test key is exactly what the issuer would hand
// out. Minting goes in three steps: the arguments are resolved and checked
// (resolveStreamKey, which needs no AWS call), the key is minted with the
// ring (mintStreamKey), and the results are written into the model
// (streamKeyModel.setKey).

type streamKeyModel struct {
	ringArgs
	channelArgs
	ActivationDelay types.String      `tfsdk:"activation_delay"`
	KeyID           types.String      `tfsdk:"key_id"`
	PlaybackURL     types.String      `tfsdk:"playback_url"`
	ClientIP        types.String      `tfsdk:"client_ip"`
	UserAgent       types.String      `tfsdk:"user_agent"`
	TTL             types.String      `tfsdk:"ttl"`
	ExpiresAt       timetypes.RFC3339 `tfsdk:"expires_at"`
	NotBefore       timetypes.RFC3339 `tfsdk:"not_before"`
	IPBinding       types.String      `tfsdk:"ip_binding"`
	BindUserAgent   types.Bool        `tfsdk:"bind_user_agent"`
	BindHost        types.Bool        `tfsdk:"bind_host"`
	SessionID       types.String      `tfsdk:"session_id"`
	PathPattern     types.String      `tfsdk:"path_pattern"`
	PathPrefix      types.String      `tfsdk:"path_prefix"`
	Format          types.String      `tfsdk:"format"`
	CookieSameSite  types.String      `tfsdk:"cookie_samesite"`

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

// Formats of a test key: the issuer's (issuance.Formats), and the
// original deployment's.
const (
	formatSS1  = issuance.FormatSS1
	formatCAT  = issuance.FormatCAT
	formatSeed = "seed"
)

// maxTestKeyLifetime bounds a test key's lifetime.
const maxTestKeyLifetime = 7 * 24 * time.Hour

func streamKeyAttrs() map[string]attrSpec {
	in := func(desc string, v ...validator.String) attrSpec {
		return attrSpec{kind: kindString, desc: desc, str: v}
	}
	out := func(kind attrKind, desc string) attrSpec {
		return attrSpec{kind: kind, computed: true, sensitive: kind != kindInt64, desc: desc}
	}
	return map[string]attrSpec{
		"key_ring": {kind: kindRing, desc: keyRingDesc("Decrypted through KMS (`kms:Decrypt`) for the minting; the plaintext is never stored.")},
		"activation_delay": in("How old a key must be before it signs, as the issuer is configured: `securestream_secret.<name>.activation_delay`. "+
			fmt.Sprintf("Default `%s`.", durationtext.Short(keyring.DefaultActivationDelay)),
			durationValidator),
		"key_id": in("Sign with this key of the ring instead of the one the issuer would pick (to test a rotation)."),
		"playback_url": {kind: kindString, required: true,
			desc: "The manifest URL the key is for (`https://` or `http://`, no port, no user name, no dot segments; a non-ASCII host in " +
				"punycode). A query is kept; a fragment, which is never sent, is dropped."},
		"client_ip": in("The client's address. Required unless `ip_binding` is `off`; `curl` then works from that address only."),
		"user_agent": in("The client's User-Agent, bound when `bind_user_agent` is true (`curl` sends it with `-A`). No control characters.",
			userAgentValidator),
		"ttl": in(fmt.Sprintf("Lifetime from `not_before`, a Go duration in whole seconds from `1s` to `%s` (7 days), such as `15m`. Default `%s`. "+
			"Conflicts with `expires_at`. The edge function refuses keys that live longer than its maximum lifetime (%s by default).",
			durationtext.Short(maxTestKeyLifetime), durationtext.Short(defaultTestKeyLifetime), durationtext.Hours(keyring.DefaultMaxTokenLifetime)),
			ttlValidator, stringvalidator.ConflictsWith(path.MatchRoot("expires_at"))),
		"expires_at": {kind: kindTime, desc: "Expiry as an RFC 3339 time, instead of `ttl`; with `not_before` (required with it), which makes the " +
			"token the same at every read. A time already past mints an expired key, with a warning.",
			str: []validator.String{stringvalidator.AlsoRequires(path.MatchRoot("not_before"))}},
		"not_before": {kind: kindTime, desc: "When the key starts working, RFC 3339, after 1970. Default: now, when Terraform reads it. `ss1` and `cat` only."},
		"ip_binding": in("How the key binds `client_ip`: `off`, `exact` or `subnet` (IPv4 /24, IPv6 /64; the issuer's default). Default `subnet`.",
			stringvalidator.OneOf("off", "exact", "subnet")),
		"bind_user_agent": {kind: kindBool, desc: "Whether the key binds `user_agent` (the issuer's default). Default true; with " +
			"`format = \"cat\"` false, and true is refused: a Common Access Token has no User-Agent claim."},
		"bind_host": {kind: kindBool, desc: "Whether the key binds the playback URL's host (the issuer's default). Default true."},
		"session_id": in("A session id to sign into the key (1 to 64 of `A-Z a-z 0-9 . _ ~ -`). The issuer signs a random one; "+
			"unset, the test key has none, which makes it the same at every read.", stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`), "must be 1 to 64 of A-Z a-z 0-9 . _ ~ -")),
		"path_pattern": in("What the key covers, as the issuer's `SECURESTREAM_PATH_PATTERN`: `directory` (the manifest's directory and below; default), "+
			"`exact` (the URL's path only) or `prefix` (everything under `path_prefix`).", stringvalidator.OneOf(issuance.PatternModes...)),
		"path_prefix": in("With `path_pattern = \"prefix\"`: the prefix the key covers, starting and ending with `/`; the playback URL must be under it.",
			pathPrefixValidator),
		"format": in("`ss1` (the current format; default), `cat` (a CTA-5007 Common Access Token, as the issuer mints with "+
			"`settings.token_format = \"cat\"` and a `securestream_function` with `token_format = \"cat\"` checks: it covers what the "+
			"`ss1` key would, binds no User-Agent and has no path-prefix form), or `seed` (the original blog post's `stream_key` and "+
			"`stream_policy` headers, signed with the ring's seed key, which `secret_wo` adds).", stringvalidator.OneOf(formatSS1, formatCAT, formatSeed)),
		"token_header": in(fmt.Sprintf("Header name the edge function reads, for `headers` and `curl`. Default `%s`; with `format = \"cat\"` `%s`.",
			issuance.DefaultChannels().Header, issuance.DefaultCATChannels().Header), channelValidator{ch: issuance.ChannelHeader}),
		"token_query": in(fmt.Sprintf("Query parameter name, for `query_string`. Default `%s`; with `format = \"cat\"` `%s`.",
			issuance.DefaultChannels().Query, issuance.DefaultCATChannels().Query), channelValidator{ch: issuance.ChannelQuery}),
		"token_cookie": in(fmt.Sprintf("Cookie name, for `cookie`. Default `%s`; with `format = \"cat\"` `%s`.",
			issuance.DefaultChannels().Cookie, issuance.DefaultCATChannels().Cookie), channelValidator{ch: issuance.ChannelCookie}),
		"token_path_prefix": in(fmt.Sprintf("Path prefix segment, for `url`. Default `%s`. Not with `format = \"cat\"`: a CAT has no path-prefix channel.",
			issuance.DefaultChannels().PathPrefix), channelValidator{ch: issuance.ChannelPathPrefix}),
		"cookie_samesite": in("SameSite of `cookie`, as the issuer's `SECURESTREAM_COOKIE_SAMESITE`: `lax` (default), `strict`, or `none` "+
			"(for a player embedded on another site than the media host's).", stringvalidator.OneOf(issuance.SameSiteModes...)),

		"token":          out(kindString, "The stream key (`ss1`) or the Common Access Token (`cat`), base64url; null with `format = \"seed\"`."),
		"signing_key_id": {kind: kindString, computed: true, desc: "Id of the ring key that signed it."},
		"pattern":        {kind: kindString, computed: true, desc: "The path pattern the key covers (`ss1`, `cat`), or the seed policy's URL."},
		"expires":        {kind: kindInt64, computed: true, desc: "Expiry, in Unix seconds."},
		"headers": out(kindMap, "The request headers the key needs: the token header (or, for `seed`, `stream_key` and `stream_policy`) and, "+
			"when the key binds it, `user-agent`."),
		"query_string": out(kindString, "`<token_query>=<token>`, to append to a URL (`ss1`, `cat`). Only that URL carries it: a player "+
			"resolving a manifest's relative URIs drops the query, so for a stream use `url` (the path prefix; `ss1`), the cookie or the header."),
		"url": out(kindString, "The playback URL with the token as a path prefix: `https://host/<token_path_prefix>/<token>/path?query` (`ss1`); "+
			"for `cat`, which has no path-prefix form, the playback URL with `<token_query>=<token>` after its own query (only that "+
			"request carries it: for the rest of a stream use `cookie` or `headers`); for `seed`, the playback URL. Each as a request "+
			"sends it: scheme and host in lower case, path and query escaped, no fragment; `curl` fetches the playback URL, without "+
			"the token in it."),
		"cookie":        out(kindString, "A `Set-Cookie` value carrying the key (`ss1`, `cat`)."),
		"stream_key":    out(kindString, "The seed-format `stream_key` header (`format = \"seed\"`)."),
		"stream_policy": out(kindString, "The seed-format `stream_policy` header (`format = \"seed\"`)."),
		"curl": out(kindString, "A `curl` command line (POSIX shell quoting) that fetches the playback URL, as `url` writes it, with the key "+
			"in a header (and the bound User-Agent)."),
	}
}

// minter mints test keys with the clients and the clock of pd, which
// the data source and the ephemeral resource are configured with; tests
// replace the randomness.
type minter struct{ rand io.Reader }

func newMinter() minter { return minter{rand: rand.Reader} }

// defaultStreamKeyTimeout bounds the kms:Decrypt of a read (data source)
// or an open (ephemeral resource) unless timeouts says otherwise.
const defaultStreamKeyTimeout = 2 * time.Minute

// streamKeyTimeoutDesc describes the one timeout of each.
var streamKeyTimeoutDesc = fmt.Sprintf("How long the `kms:Decrypt` of the key ring may take, retries included: a Go duration such as `30s` or `5m`. Default `%s`.",
	durationtext.Short(defaultStreamKeyTimeout))

// streamKeyTimeout is the timeouts argument of one of the two: timeout as
// parsed (or its diagnostics), at its path for the error that names it.
type streamKeyTimeout struct {
	timeout time.Duration
	diags   diag.Diagnostics
	at      path.Path
}

// mintFor is the Read of the data source and the Open of the ephemeral
// resource: it reads config into m, their model, which embeds base; mints
// the key into base within the timeout that timeout reads from m; and
// writes m with set.
func (mt minter) mintFor(ctx context.Context, pd *providerData, config tfsdk.Config, m any, base *streamKeyModel,
	timeout func() streamKeyTimeout, set func(context.Context, any) diag.Diagnostics) diag.Diagnostics {
	diags := config.Get(ctx, m)
	if diags.HasError() {
		return diags
	}
	if diags.Append(mt.mint(ctx, pd, base, timeout())...); !diags.HasError() {
		diags.Append(set(ctx, m)...)
	}
	return diags
}

// mint fills in m's results; t bounds the KMS call.
func (mt minter) mint(ctx context.Context, pd *providerData, m *streamKeyModel, t streamKeyTimeout) diag.Diagnostics {
	diags := t.diags
	if diags.HasError() || notConfigured(pd.clients, &diags) {
		return diags
	}
	args, ae := resolveStreamKey(m, pd.now())
	if ae != nil {
		return ae.diags()
	}
	// The ring, decrypted in memory only.
	kctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	doc, d := m.decrypt(kctx, pd.clients)
	if d.HasError() && errors.Is(kctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		diags.AddAttributeError(t.at, "kms:Decrypt timed out", fmt.Sprintf("kms:Decrypt of the key ring did not answer within %s (%s). "+
			"Check that the provider reaches KMS (its endpoint, network and retries), or raise %s.", t.timeout, t.at, t.at))
		return diags
	}
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	ring, err := doc.Ring()
	if err != nil {
		diags.AddAttributeError(keyRingPath, "The key ring is invalid", err.Error()+"\n\nPass the key_ring of a securestream_secret.")
		return diags
	}
	k, ae := mintStreamKey(ring, args, mt.rand)
	if ae != nil {
		return ae.diags()
	}
	diags.Append(m.setKey(args, k)...)
	for _, w := range args.warnings {
		diags.AddAttributeWarning(path.Root(w.attr), w.summary, w.detail)
	}
	return diags
}

// defaultTestKeyLifetime is a test key's lifetime without ttl or
// expires_at.
const defaultTestKeyLifetime = time.Hour

// streamKeyArgs is what the arguments of a test key ask for, resolved and
// checked.
type streamKeyArgs struct {
	format   string
	playback issuance.Playback
	policy   issuance.Policy
	subject  issuance.Subject
	// warnings are about arguments that mint a key the edge refuses: one
	// that lives longer than its default maximum, or has expired.
	warnings []argError
}

// argError is an argument that cannot be used, or a warning about one:
// attr names it ("" for an error of the whole configuration).
type argError struct{ attr, summary, detail string }

func (e *argError) diags() diag.Diagnostics {
	var d diag.Diagnostics
	if e.attr == "" {
		d.AddError(e.summary, e.detail)
	} else {
		d.AddAttributeError(path.Root(e.attr), e.summary, e.detail)
	}
	return d
}

// resolveStreamKey reads the arguments of m, with their defaults, and
// checks them as far as that can be done without the key ring; now is
// the default not_before.
func resolveStreamKey(m *streamKeyModel, now time.Time) (*streamKeyArgs, *argError) {
	a := &streamKeyArgs{format: str(m.Format, formatSS1)}

	// Times: not_before defaults to now; the lifetime comes from
	// expires_at or ttl.
	nbf := now.UTC().Truncate(time.Second)
	if known(m.NotBefore) {
		if a.format == formatSeed {
			return nil, &argError{"not_before", "not_before is for ss1 keys", "The seed format has no start time; remove not_before or use format = \"ss1\"."}
		}
		nbf, _ = m.NotBefore.ValueRFC3339Time() // checked by the type
		if nbf.Unix() <= 0 {
			return nil, &argError{"not_before", "not_before is before 1970",
				fmt.Sprintf("The token format counts time from 1970-01-01T00:00:00Z; not_before %s is not after it.", nbf.Format(time.RFC3339))}
		}
	}
	ttl := defaultTestKeyLifetime
	if v := str(m.TTL, ""); v != "" {
		ttl, _ = time.ParseDuration(v) // checked by the validator
	}
	lifetimeAttr := "ttl"
	if known(m.ExpiresAt) {
		lifetimeAttr = "expires_at"
		exp, _ := m.ExpiresAt.ValueRFC3339Time()
		if ttl = exp.Sub(nbf); ttl <= 0 {
			return nil, &argError{"expires_at", "expires_at is not after the start",
				fmt.Sprintf("expires_at %s must be after not_before (%s).", exp.Format(time.RFC3339), nbf.Format(time.RFC3339))}
		}
		if ttl > maxTestKeyLifetime {
			return nil, &argError{"expires_at", "lifetime too long",
				fmt.Sprintf("A test key may live at most 7 days (%s) from not_before; expires_at is %s after it.", durationtext.Short(maxTestKeyLifetime), durationtext.Short(ttl))}
		}
	}
	if ttl > keyring.DefaultMaxTokenLifetime {
		limit := durationtext.Hours(keyring.DefaultMaxTokenLifetime)
		a.warnings = append(a.warnings, argError{lifetimeAttr, "The key lives longer than " + limit,
			"The edge function refuses keys whose lifetime exceeds its maximum lifetime, " + limit + " unless configured otherwise."})
	}
	// The signed expiry is in whole seconds.
	if exp := nbf.Add(ttl).Truncate(time.Second); !exp.After(now) {
		attr := "expires_at"
		if !known(m.ExpiresAt) {
			attr = "not_before" // with ttl, a past not_before
		}
		a.warnings = append(a.warnings, argError{attr, "The key has expired",
			fmt.Sprintf("The key expires at %s, by the time of this read (%s): the edge function refuses it. For a key that stays the same "+
				"and works, derive not_before and expires_at from the secret's rotated_at (timeadd) with a lifetime that covers your tests; "+
				"for a fresh key at every run, use the ephemeral resource securestream_stream_key.",
				exp.UTC().Format(time.RFC3339), now.UTC().Truncate(time.Second).Format(time.RFC3339))})
	}
	delay := keyring.DefaultActivationDelay
	if v := str(m.ActivationDelay, ""); v != "" {
		delay, _ = time.ParseDuration(v) // checked by the validator
	}

	// The playback URL, checked by the issuer's own rules.
	mode := str(m.PathPattern, issuance.PatternDirectory)
	prefix := str(m.PathPrefix, "/")
	if mode != issuance.PatternPrefix && !m.PathPrefix.IsNull() {
		return nil, &argError{"path_prefix", "path_prefix needs path_pattern = \"prefix\"", "Set path_pattern = \"prefix\" or remove path_prefix."}
	}
	pb, rf := issuance.CheckPlaybackURL(m.PlaybackURL.ValueString(), issuance.URLRules{Schemes: []string{"https", "http"}, Prefixes: []string{prefix}})
	if rf != nil {
		detail := rf.Message + "."
		if rf.Reason == issuance.ReasonPathNotAllowed {
			detail = fmt.Sprintf("The playback URL's path must be under path_prefix %q.", prefix)
		}
		return nil, &argError{"playback_url", "invalid playback URL", detail + punycodeHint(m.PlaybackURL.ValueString())}
	}
	a.playback = pb

	// The client.
	binding, _ := streamkey.ParseIPBinding(str(m.IPBinding, "subnet"))
	clientIP := str(m.ClientIP, "")
	if clientIP != "" {
		// As the issuer does: the address in its canonical spelling, which
		// the seed format signs as it is and the edge compares with.
		canonical, err := streamkey.CanonicalIP(clientIP)
		if err != nil {
			// err names the address and what is wrong with it.
			return nil, &argError{"client_ip", "invalid client IP",
				fmt.Sprintf("%v. Set client_ip to the address the test requests come from, such as 198.51.100.7 or 2001:db8::7.", err)}
		}
		clientIP = canonical
	}
	if clientIP == "" && (a.format == formatSeed || binding != streamkey.IPOff) {
		return nil, &argError{"client_ip", "client_ip is required",
			"The key binds the client's address: set client_ip to the address the test requests come from, or set ip_binding = \"off\" (ss1 only)."}
	}
	ua := str(m.UserAgent, "")
	bindUA := boolOr(m.BindUserAgent, a.format != formatCAT)
	switch a.format {
	case formatSeed:
		bindUA = true // the seed format always signs the User-Agent
	case formatCAT:
		if bindUA {
			return nil, catBindsUserAgent
		}
	}

	// The channels of the ready-to-use forms.
	if ae := m.catPathPrefix(a.format, "format"); ae != nil {
		return nil, ae
	}
	ch, err := m.channels(a.format).Normalize()
	if err != nil {
		return nil, channelArgError(err)
	}

	a.policy = issuance.Policy{PatternMode: mode, IPBinding: binding, BindUserAgent: bindUA, BindHost: boolOr(m.BindHost, true),
		ActivationDelay: delay, Channels: ch, CookieSameSite: str(m.CookieSameSite, "")}
	if a.format == formatCAT {
		a.policy.Format = issuance.FormatCAT
	}
	a.subject = issuance.Subject{ClientIP: clientIP, SeedClientIP: clientIP, UserAgent: ua, NotBefore: nbf, TTL: ttl,
		SessionID: str(m.SessionID, ""), KeyID: str(m.KeyID, "")}
	return a, nil
}

// catBindsUserAgent is the error of bind_user_agent = true with format =
// "cat", refused as the issuer refuses SECURESTREAM_BIND_USER_AGENT=true
// with cat: a binding asked for and not signed would be lost silently.
var catBindsUserAgent = &argError{"bind_user_agent", "A Common Access Token cannot bind the User-Agent",
	"bind_user_agent = true with format = \"cat\": a CAT has no User-Agent claim, so the key would not bind it. Remove " +
		"bind_user_agent (false is the default with cat), or use format = \"ss1\"."}

// validateStreamKeyFormat refuses what format = "cat" cannot mint
// (bind_user_agent = true, token_path_prefix) when the configuration is
// validated, so that the plan fails even while key_ring is not known yet
// (resolveStreamKey, at the minting, says the same).
func validateStreamKeyFormat(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var format types.String
	var bindUA types.Bool
	var ch channelArgs
	var diags diag.Diagnostics
	for p, v := range map[string]any{"format": &format, "bind_user_agent": &bindUA, "token_path_prefix": &ch.TokenPathPrefix} {
		diags.Append(config.GetAttribute(ctx, path.Root(p), v)...)
	}
	if diags.HasError() || format.ValueString() != formatCAT {
		return diags
	}
	if ae := ch.catPathPrefix(formatCAT, "format"); ae != nil {
		diags.Append(ae.diags()...)
	}
	if bindUA.ValueBool() {
		diags.Append(catBindsUserAgent.diags()...)
	}
	return diags
}

// channelAttrs are the arguments that name the channels.
var channelAttrs = map[issuance.Channel]string{
	issuance.ChannelHeader:     "token_header",
	issuance.ChannelQuery:      "token_query",
	issuance.ChannelCookie:     "token_cookie",
	issuance.ChannelPathPrefix: "token_path_prefix",
}

func channelArgError(err error) *argError {
	var ce *issuance.ChannelError
	if errors.As(err, &ce) {
		return &argError{channelAttrs[ce.Channel], "Invalid value", err.Error() + "."}
	}
	return &argError{"", "Invalid token channels", err.Error() + "."}
}

// mintedKey is a minted test key, ready to be written into the model.
type mintedKey struct {
	// token, query and cookie are "" for a seed-format key, streamKey and
	// streamPolicy for an ss1 or cat key.
	token, query, cookie    string
	streamKey, streamPolicy string
	// pathPrefix carries the token in url ("/t/<token>"; "" for seed);
	// url, when set, is url itself (a CAT's, with the token in the query).
	pathPrefix, url       string
	signingKeyID, pattern string
	expires               int64
	// headers are the request headers the key needs; curlHeaders those of
	// them curl sends with -H (the User-Agent goes with -A).
	headers     map[string]string
	curlHeaders []string
}

// mintStreamKey mints the key args ask for with ring. Every argument but
// the playback URL was checked before (resolveStreamKey) or is checked
// here against the ring, so a refusal of the minting itself is the URL's
// (its host, or a path the token format cannot carry).
func mintStreamKey(ring *streamkey.Ring, args *streamKeyArgs, rnd io.Reader) (*mintedKey, *argError) {
	var ids []string
	seedID, signers := "", 0
	for _, k := range ring.Keys() {
		ids = append(ids, k.ID)
		if k.Seed {
			seedID = k.ID
		} else {
			signers++
		}
	}
	sort.Strings(ids)
	if kid := args.subject.KeyID; kid != "" {
		switch {
		case !slices.Contains(ids, kid):
			return nil, &argError{"key_id", "no such key", fmt.Sprintf("The ring has no key %q; it has %s.", kid, strings.Join(ids, ", "))}
		case kid == seedID && args.format != formatSeed:
			return nil, &argError{"key_id", "The seed key signs seed-format keys only",
				fmt.Sprintf("Key %q is the original deployment's secret: set format = \"seed\", or sign with another key of the ring (%s).", kid, strings.Join(ids, ", "))}
		}
	}
	var k *mintedKey
	if args.format == formatSeed {
		if seedID == "" {
			return nil, &argError{"format", "The ring has no seed key",
				"Seed-format keys are signed with the original deployment's secret: set secret_wo and secret_wo_version on the securestream_secret."}
		}
		sk, err := issuance.MintSeed(ring, args.playback, args.subject)
		if err != nil {
			return nil, &argError{"playback_url", "No seed-format key for this URL", err.Error() + "."}
		}
		k = &mintedKey{streamKey: sk.StreamKey, streamPolicy: sk.StreamPolicy,
			signingKeyID: seedID, pattern: sk.Path, expires: sk.Expires,
			headers:     map[string]string{"stream_key": sk.StreamKey, "stream_policy": sk.StreamPolicy},
			curlHeaders: []string{"stream_key", "stream_policy"}}
	} else {
		if signers == 0 {
			return nil, &argError{"key_ring", "The ring has no " + args.format + " signing key",
				"The ring holds only the original deployment's seed key: set format = \"seed\", or pass the key_ring of a securestream_secret that has a current key."}
		}
		ik, err := issuance.MintKey(ring, args.policy, args.playback, args.subject, rnd)
		if err != nil {
			return nil, &argError{"playback_url", "No key can be signed for this URL", err.Error() + "."}
		}
		ch := args.policy.Channels
		k = &mintedKey{token: ik.Token, query: ik.Forms.Query, cookie: ik.Forms.Cookie, signingKeyID: ik.KeyID, pattern: ik.Pattern,
			expires: ik.Expires.Unix()}
		if args.format == formatCAT {
			k.url = ik.Forms.URL
		} else {
			k.pathPrefix = "/" + ch.PathPrefix + "/" + ik.Token
		}
		k.headers, k.curlHeaders = map[string]string{ch.Header: ik.Token}, []string{ch.Header}
	}
	if ua := args.subject.UserAgent; args.policy.BindUserAgent && ua != "" {
		k.headers["user-agent"] = ua
	}
	return k, nil
}

// setKey writes the minted key k into m's results.
func (m *streamKeyModel) setKey(args *streamKeyArgs, k *mintedKey) diag.Diagnostics {
	m.Token, m.QueryString, m.Cookie = optional(k.token), optional(k.query), optional(k.cookie)
	m.StreamKey, m.StreamPolicy = optional(k.streamKey), optional(k.streamPolicy)
	// url and curl name the same URL, built once from the checked one.
	if k.url != "" {
		m.URL = types.StringValue(k.url)
	} else {
		m.URL = types.StringValue(args.playback.URL(k.pathPrefix))
	}
	m.SigningKeyID, m.Pattern, m.Expires = types.StringValue(k.signingKeyID), types.StringValue(k.pattern), types.Int64Value(k.expires)
	hv := map[string]attr.Value{}
	for name, v := range k.headers {
		hv[name] = types.StringValue(v)
	}
	var diags diag.Diagnostics
	m.Headers, diags = types.MapValue(types.StringType, hv)

	// --globoff: the path may hold '[' and ']', which curl would expand.
	cmd := []string{"curl", "--fail", "--silent", "--show-error", "--globoff"}
	for _, h := range k.curlHeaders {
		cmd = append(cmd, "-H", shellQuote(h+": "+k.headers[h]))
	}
	if ua := args.subject.UserAgent; ua != "" || args.policy.BindUserAgent { // -A '' sends no User-Agent, as a key bound to none needs
		cmd = append(cmd, "-A", shellQuote(ua))
	}
	m.Curl = types.StringValue(strings.Join(append(cmd, shellQuote(args.playback.URL(""))), " "))
	return diags
}

// punycodeHint tells how to write the non-ASCII host of raw, if it has
// one: the token format binds hosts in ASCII.
func punycodeHint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil || ascii == host || !strings.ContainsFunc(host, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return ""
	}
	return fmt.Sprintf(" Write the host in punycode: %s.", ascii)
}

// known reports whether an optional argument is set.
func known(v timetypes.RFC3339) bool { return !v.IsNull() && !v.IsUnknown() }

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
