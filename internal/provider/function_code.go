package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// The edge function's code, rendered from the key ring and the settings,
// shared by the securestream_function resource and the
// securestream_function_code data source. The code holds the ring's
// secrets: the resource never stores it, only its hash.

// codeFactsModel are what the function resource and the function code
// data source say of the rendered code alike: its hash, its size and the
// ids of the keys it holds.
type codeFactsModel struct {
	CodeSHA256 types.String `tfsdk:"code_sha256"`
	CodeSize   types.Int64  `tfsdk:"code_size"`
	KeyIDs     types.List   `tfsdk:"key_ids"`
}

// functionCodeModel are the arguments the code is rendered from.
type functionCodeModel struct {
	ringArgs
	channelArgs
	// TokenFormat is the format the code checks (issuance.Formats); null
	// is ss1.
	TokenFormat         types.String `tfsdk:"token_format"`
	SeedCompat          types.Bool   `tfsdk:"seed_compat"`
	MaxLifetime         types.String `tfsdk:"max_lifetime"`
	Leeway              types.String `tfsdk:"leeway"`
	ExemptPaths         types.List   `tfsdk:"exempt_paths"`
	ReportOnly          types.Bool   `tfsdk:"report_only"`
	PreflightNeedsToken types.Bool   `tfsdk:"preflight_needs_token"`
	CORSOrigins         types.List   `tfsdk:"cors_origins"`
	CORSMaxAge          types.String `tfsdk:"cors_max_age"`
	DebugReasons        types.Bool   `tfsdk:"debug_reasons"`
	// RevocationList is the ARN of the KeyValueStore of revoked sessions
	// the function reads (securestream_revocation_list's, or
	// aws_cloudfront_key_value_store's); null: no revocation check.
	RevocationList       types.String `tfsdk:"revocation_list"`
	RevocationFailClosed types.Bool   `tfsdk:"revocation_fail_closed"`
}

// functionCodeAttrs describe the arguments once for both schema packages.
func functionCodeAttrs() map[string]attrSpec {
	def, cat := issuance.DefaultChannels(), issuance.DefaultCATChannels()
	channel := func(ch issuance.Channel, what string) attrSpec {
		return attrSpec{kind: kindString, desc: fmt.Sprintf("%s Default `%s`, with `token_format = \"cat\"` `%s`; `\"\"` switches the channel off.",
			what, channelName(def, ch), channelName(cat, ch)), str: []validator.String{channelValidator{ch: ch, offOK: true}}}
	}
	return map[string]attrSpec{
		// Not sensitive, as the secret's ciphertext: KMS ciphertext opens only
		// through the key policy, and a sensitive argument is written as null
		// by -generate-config-out, which a required one cannot be.
		"key_ring": {kind: kindRing, desc: keyRingDesc("Decrypted through KMS (`kms:Decrypt`) at plan and apply to render the code.")},
		"token_format": {kind: kindString, str: []validator.String{stringvalidator.OneOf(issuance.Formats...)},
			desc: "The token format the code checks: `ss1` (default), or `cat`, a CTA-5007 Common Access Token (HS256 COSE_Mac0 " +
				"signed with the ring's keys, its MAC checked with `cf.cwt`), for players and CDNs that speak CAT. The issuer's " +
				"`settings.token_format` (and a `securestream_stream_key`'s `format`) must say the same. With `cat` the channels " +
				"default to CAT's names (header `" + cat.Header + "`, query parameter `" + cat.Query + "`, cookie `" + cat.Cookie +
				"`) and `token_path_prefix` must be unset or `\"\"`: a CAT has no path-prefix channel. A change re-renders the code " +
				"and updates the function in place."},
		"token_header": channel(issuance.ChannelHeader, "Request header that carries a token (lower case)."),
		"token_query":  channel(issuance.ChannelQuery, "Query parameter that carries a token."),
		"token_cookie": channel(issuance.ChannelCookie, "Cookie that carries a token."),
		"token_path_prefix": {kind: kindString, str: []validator.String{channelValidator{ch: issuance.ChannelPathPrefix, offOK: true}},
			desc: fmt.Sprintf("Path prefix segment: `/<prefix>/<token>/path`, which native HLS players keep on relative URLs. Default `%s`; "+
				"`\"\"` switches the channel off. With `token_format = \"cat\"` it must be unset or `\"\"`: a CAT has no path-prefix channel.", def.PathPrefix)},
		"seed_compat": {kind: kindBool,
			desc: "Also accept the original (blog post) deployment's seed-format keys, signed with the ring's seed key (`secret_wo`). Default false."},
		"max_lifetime": {kind: kindString, str: []validator.String{lifetimeValidator},
			desc: "Refuse keys that live longer than this from now, as the issuer's `max_token_lifetime`: whole seconds from `1m` to `24h`. Default `24h`."},
		"leeway": {kind: kindString, str: []validator.String{leewayValidator},
			desc: "Clock skew tolerated, for an edge whose clock is behind the issuer's: a key is accepted that long before its " +
				"start (`not_before`), and may end that much beyond `max_lifetime` from now. Expiry has none: a key is refused from " +
				"its expiry on. Whole seconds, `0s` to `1h`. Default `30s`."},
		"exempt_paths": {kind: kindList, strList: []validator.String{patternValidator},
			desc: "Path patterns that need no key, such as `/favicon.ico` or `/posters/*` (an exact path, or a prefix ending in `*`)."},
		"report_only": {kind: kindBool,
			desc: "Log refusals and let every request through, to roll the function out without refusing anyone. Default false."},
		"preflight_needs_token": {kind: kindBool,
			desc: "Make CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) need a key too, and go on to the origin " +
				"with it. By default the function answers them itself with a 204 (from `cors_origins` and `cors_max_age`) and never " +
				"forwards them; any other request without a key is refused whatever its method. Default false."},
		"cors_origins": {kind: kindList, strList: []validator.String{originValidator},
			desc: "Browser origins allowed to send the function CORS preflights and to read its 403s, as browsers send them in " +
				"`Origin`: `https://player.example.com` (scheme, host in lower case, a port only when not the default, no path). The " +
				"function echoes an allowed origin, with `Vary: Origin`; a preflight from any other origin gets a 403 without " +
				"`Access-Control-Allow-Origin`, which the browser treats as a refusal. Default: any origin, answered with `*` " +
				"(the key, not CORS, protects the stream). `[\"*\"]` is the default written out."},
		"cors_max_age": {kind: kindString, str: []validator.String{corsMaxAgeValidator},
			desc: fmt.Sprintf("How long a browser may keep the function's answer to a preflight (`Access-Control-Max-Age`): whole "+
				"seconds from `1s` to `%s`. Default `%s`.", durationtext.Short(edgefunc.MaxCORSMaxAge), durationtext.Short(edgefunc.DefaultCORSMaxAge))},
		"revocation_list": {kind: kindString, str: []validator.String{kvsARNValidator},
			desc: "ARN of the revocation list, the CloudFront KeyValueStore of revoked sessions: `securestream_revocation_list.<name>.arn`, " +
				"or the `arn` of an `aws_cloudfront_key_value_store`. The code then checks every key with a session id, after every other " +
				"check has passed, and refuses it (403, reason `revoked`) while the store holds its session. " + revocationListRole +
				" Removing it removes the check (and the association)."},
		"revocation_fail_closed": {kind: kindBool,
			desc: "With `revocation_list`: refuse a key (403, reason `revocation_unavailable`) when the store cannot be read. By default " +
				"(false) such a request passes and the function logs `revocation_unavailable`, so that a store outage does not stop " +
				"every stream. Default false."},
		"debug_reasons": {kind: kindBool,
			desc: "Put the precise refusal reason (ip, ua, bad_mac, ...) in the 403's `x-stream-key-error` header; by default it says only `expired` or `invalid`, which tells a token thief nothing. Default false."},
	}
}

// renderedCode is the rendered function and what may be stored of it.
type renderedCode struct {
	code   []byte
	sha256 string
	keyIDs []string
}

// known reports whether every argument the code depends on is known.
func (m functionCodeModel) known() bool {
	if !m.ringKnown() {
		return false
	}
	for _, v := range []interface{ IsUnknown() bool }{m.TokenFormat, m.TokenHeader, m.TokenQuery,
		m.TokenCookie, m.TokenPathPrefix, m.SeedCompat, m.MaxLifetime, m.Leeway, m.ExemptPaths, m.ReportOnly, m.PreflightNeedsToken, m.CORSOrigins,
		m.CORSMaxAge, m.DebugReasons, m.RevocationList, m.RevocationFailClosed} {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// render decrypts the ring and renders the code. Its diagnostics name the
// argument at fault.
func (m functionCodeModel) render(ctx context.Context, c *awsclients.Clients) (*renderedCode, diag.Diagnostics) {
	doc, diags := m.decrypt(ctx, c)
	if diags.HasError() {
		return nil, diags
	}
	cfg, d := m.edgeConfig(ctx, doc)
	if diags.Append(d...); diags.HasError() {
		return nil, diags
	}
	code, err := edgefunc.Render(cfg)
	if err != nil {
		at := keyRingPath
		if len(cfg.Exempt) > 0 && strings.Contains(err.Error(), "bytes") {
			at = path.Root("exempt_paths")
		} else if len(cfg.CORSOrigins) > 0 && strings.Contains(err.Error(), "bytes") {
			at = path.Root("cors_origins")
		}
		diags.AddAttributeError(at, "Cannot render the edge function", err.Error())
		return nil, diags
	}
	sum := sha256.Sum256(code)
	rc := &renderedCode{code: code, sha256: hex.EncodeToString(sum[:])}
	for _, k := range cfg.Keys {
		if !k.Seed || cfg.SeedKeyID != "" {
			rc.keyIDs = append(rc.keyIDs, k.ID)
		}
	}
	return rc, diags
}

// edgeConfig is the renderer's configuration for the ring doc.
func (m functionCodeModel) edgeConfig(ctx context.Context, doc *keyring.Document) (edgefunc.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	format := str(m.TokenFormat, "")
	cfg := edgefunc.Config{
		Format:     format,
		Keys:       doc.Keys,
		Channels:   m.channels(format),
		ReportOnly: m.ReportOnly.ValueBool(), PreflightNeedsToken: m.PreflightNeedsToken.ValueBool(), DebugReasons: m.DebugReasons.ValueBool(),
	}
	if ae := m.catPathPrefix(format, "token_format"); ae != nil {
		diags.Append(ae.diags()...)
	} else if _, err := cfg.Channels.Normalize(); errors.Is(err, issuance.ErrNoChannel) {
		diags.Append(everyChannelOff(format))
	}
	if m.SeedCompat.ValueBool() {
		seed, ok := doc.Seed()
		if !ok {
			diags.AddAttributeError(path.Root("seed_compat"), "The ring has no seed key",
				"seed_compat accepts keys signed with the original deployment's secret: give it to the securestream_secret as secret_wo.")
		}
		cfg.SeedKeyID = seed.ID
	}
	if d, err := durationtext.Parse(str(m.MaxLifetime, "")); err == nil {
		cfg.MaxLifetime = d
	}
	if d, err := durationtext.Parse(str(m.Leeway, "")); err == nil {
		cfg.Leeway = d
		if d == 0 {
			cfg.Leeway = edgefunc.NoLeeway
		}
	}
	if !m.ExemptPaths.IsNull() {
		diags.Append(m.ExemptPaths.ElementsAs(ctx, &cfg.Exempt, false)...)
	}
	if !m.CORSOrigins.IsNull() {
		diags.Append(m.CORSOrigins.ElementsAs(ctx, &cfg.CORSOrigins, false)...)
		// Each origin is checked by its validator; the list as a whole
		// ("*" alone, no repeats) here.
		if err := edgefunc.CheckOrigins(cfg.CORSOrigins); err != nil {
			diags.AddAttributeError(path.Root("cors_origins"), "Invalid CORS origins", err.Error()+".")
		}
	}
	if d, err := durationtext.Parse(str(m.CORSMaxAge, "")); err == nil {
		cfg.CORSMaxAge = d
	}
	switch {
	case !m.RevocationList.IsNull():
		cfg.Revocation = &edgefunc.Revocation{FailClosed: m.RevocationFailClosed.ValueBool()}
	case m.RevocationFailClosed.ValueBool():
		diags.AddAttributeError(path.Root("revocation_fail_closed"), "revocation_fail_closed needs revocation_list",
			"revocation_fail_closed says what the function does when its revocation list cannot be read, and there is none: set "+
				"revocation_list (securestream_revocation_list.<name>.arn), or remove revocation_fail_closed.")
	}
	return cfg, diags
}

// revocationListRole says who associates the store with the function.
const revocationListRole = "`securestream_function` associates the store with the function (`KeyValueStoreAssociations`, on " +
	"the `" + edgefunc.Runtime + "` runtime it uses); with `securestream_function_code`, associate it yourself with the same ARN: " +
	"`key_value_store_associations = [<arn>]` on the `aws_cloudfront_function`, or the code cannot read the store."

// kvsARNRE is a CloudFront KeyValueStore's ARN, as CloudFront gives it.
var kvsARNRE = regexp.MustCompile(`^arn:aws:cloudfront::[0-9]{12}:key-value-store/[0-9a-fA-F-]{36}$`)

// kvsARNValidator checks revocation_list: a store's ARN, not its name or id.
var kvsARNValidator = textValidator{describedAs: "the ARN of a CloudFront KeyValueStore, such as " +
	"arn:aws:cloudfront::123456789012:key-value-store/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0 (securestream_revocation_list.<name>.arn)",
	check: func(s string) error {
		if !kvsARNRE.MatchString(s) {
			return errors.New("it is not a KeyValueStore ARN (the name or the id of a store is not enough: give its arn)")
		}
		return nil
	}}

// leewayValidator: whole seconds, 0s to 1h.
var leewayValidator = textValidator{describedAs: "a whole number of seconds from 0s to 1h, such as 30s", check: func(s string) error {
	d, err := durationtext.Parse(s)
	if err == nil && (d < 0 || d > time.Hour || d%time.Second != 0) {
		err = fmt.Errorf("%v is out of range", d)
	}
	return err
}}

// corsMaxAgeValidator: whole seconds, 1s to 2h.
var corsMaxAgeValidator = textValidator{describedAs: describedAs("a whole number of seconds from 1s to " + durationtext.Short(edgefunc.MaxCORSMaxAge) + ", such as 10m"),
	check: func(s string) error {
		d, err := durationtext.Parse(s)
		if err == nil && (d < time.Second || d > edgefunc.MaxCORSMaxAge || d%time.Second != 0) {
			err = fmt.Errorf("%v is out of range", d)
		}
		return err
	}}

// originValidator checks one CORS origin as browsers send it.
var originValidator = textValidator{describedAs: "an origin such as https://player.example.com, or * alone",
	check: func(s string) error { return edgefunc.CheckOrigins([]string{s}) }}

// patternValidator checks a path pattern as the token format reads it.
var patternValidator = pathPatternRule{"an exact path or a prefix ending in *, starting with /, with no dot segments"}

type pathPatternRule struct{ describedAs }

func (v pathPatternRule) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := streamkey.CanonicalPattern(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid path pattern", fmt.Sprintf("%q is not %s: %v.", req.ConfigValue.ValueString(), v.Description(ctx), err))
	}
}

// channelName is the name of the channel ch in chs.
func channelName(chs issuance.Channels, ch issuance.Channel) string {
	switch ch {
	case issuance.ChannelHeader:
		return chs.Header
	case issuance.ChannelQuery:
		return chs.Query
	case issuance.ChannelCookie:
		return chs.Cookie
	}
	return chs.PathPrefix
}
