package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// issuerConfigOf is a securestream_issuer configuration with the given
// settings and top-level arguments, everything else null.
func issuerConfigOf(t *testing.T, settings, top map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	var sr resource.SchemaResponse
	NewIssuerResource().Schema(context.Background(), resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	all := map[string]tftypes.Value{"settings": withNulls(typ.AttributeTypes["settings"].(tftypes.Object), settings)}
	for k, v := range top {
		all[k] = v
	}
	return tfsdk.Config{Schema: sr.Schema, Raw: withNulls(typ, all)}
}

func tfStrings(s ...string) tftypes.Value {
	vals := make([]tftypes.Value, len(s))
	for i, v := range s {
		vals[i] = tfString(v)
	}
	return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, vals)
}

// Issue 18 (L3, H4): the issuer's new rules fail at plan, on settings,
// with the issuer's message naming the variables and the fix; the
// settings that follow them pass.
func TestIssuerSettingsReview18(t *testing.T) {
	base := func() map[string]tftypes.Value {
		return map[string]tftypes.Value{"auth": tfString("none"), "allowed_hosts": tfStrings("media.example.com")}
	}
	with := func(m map[string]tftypes.Value, kv ...any) map[string]tftypes.Value {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(tftypes.Value)
		}
		return m
	}
	secret := map[string]tftypes.Value{"origin_secret_wo": tfString("origin-secret-0123456789abcdef")}
	const jwks = `{"keys":[{"kty":"EC","kid":"e1","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}`
	jwt := func() map[string]tftypes.Value {
		return with(base(), "auth", tfString("jwt"), "jwt_audience", tfString("securestream"), "jwt_jwks", tfString(jwks))
	}
	for _, tc := range []struct {
		name          string
		settings, top map[string]tftypes.Value
		want          string // "" for no error
	}{
		{"viewer address with the CIDRs alone", with(base(), "client_ip_source", tfString("cloudfront-viewer-address"),
			"cloudfront_source_cidrs", tfStrings("130.176.0.0/16")), nil, "settings.origin_secret_header"},
		{"viewer address with the secret", with(base(), "client_ip_source", tfString("cloudfront-viewer-address"),
			"origin_secret_header", tfString("x-origin-secret")), secret, ""},
		{"viewer address with the secret and the CIDRs", with(base(), "client_ip_source", tfString("cloudfront-viewer-address"),
			"origin_secret_header", tfString("x-origin-secret"), "cloudfront_source_cidrs", tfStrings("130.176.0.0/16")), secret, ""},
		{"a JWKS without an issuer", jwt(), nil, "settings.jwt_issuer"},
		{"a JWKS with an issuer", with(jwt(), "jwt_issuer", tfString("https://idp.example")), nil, ""},
		{"a JWKS whose only key is for another alg", with(jwt(), "jwt_issuer", tfString("https://idp.example"),
			"jwt_jwks", tfString(strings.Replace(jwks, `"kty":"EC"`, `"kty":"EC","alg":"ES384"`, 1))), nil, "settings.jwt_jwks"},
		{"cookie_samesite none", with(base(), "cookie_samesite", tfString("none")), nil, ""},
		{"cookie_samesite bogus", with(base(), "cookie_samesite", tfString("None; Domain=evil.example")), nil, "lax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			NewIssuerResource().(resource.ResourceWithValidateConfig).ValidateConfig(context.Background(),
				resource.ValidateConfigRequest{Config: issuerConfigOf(t, tc.settings, tc.top)}, &resp)
			got := summaries(resp.Diagnostics)
			switch {
			case tc.want == "" && resp.Diagnostics.HasError():
				t.Errorf("refused: %s", got)
			case tc.want != "" && (!resp.Diagnostics.HasError() || !strings.Contains(got, tc.want) || !strings.Contains(got, "@settings")):
				t.Errorf("got %q, want an error on settings saying %q", got, tc.want)
			}
		})
	}
}

// H3: the test key's cookie takes SameSite from cookie_samesite, as the
// issuer's from SECURESTREAM_COOKIE_SAMESITE: Lax by default.
func TestStreamKeyCookieSameSite(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for value, want := range map[string]string{"": "SameSite=Lax", "strict": "SameSite=Strict", "none": "SameSite=None"} {
		m := &streamKeyModel{PlaybackURL: types.StringValue("https://video.example.com/a/index.m3u8"), ClientIP: types.StringValue("192.0.2.1")}
		if value != "" {
			m.CookieSameSite = types.StringValue(value)
		}
		args, ae := resolveStreamKey(m, now)
		if ae != nil {
			t.Fatalf("refused: %+v", ae)
		}
		k, ae := mintStreamKey(testRing(t, false), args, strings.NewReader(strings.Repeat("r", 64)))
		if ae != nil {
			t.Fatalf("not minted: %+v", ae)
		}
		if d := m.setKey(args, k); d.HasError() {
			t.Fatal(d)
		}
		if c := m.Cookie.ValueString(); !strings.HasSuffix(c, "; Secure; HttpOnly; "+want) {
			t.Errorf("cookie_samesite %q: cookie %q, want %s", value, c, want)
		}
	}
}
