package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Issue 20, item 2: every problem with the issuer's settings is reported
// at once, each on its setting (or the top-level write-only argument) and
// named as the configuration names it, never as an environment variable.
func TestIssuerSettingsErrorsAll(t *testing.T) {
	base := func(kv ...any) map[string]tftypes.Value {
		m := map[string]tftypes.Value{"auth": tfString("none"), "allowed_hosts": tfStrings("media.example.com")}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(tftypes.Value)
		}
		return m
	}
	type want struct {
		at   path.Path
		text string
	}
	settings := func(k string) path.Path { return path.Root("settings").AtName(k) }
	for _, tc := range []struct {
		name          string
		settings, top map[string]tftypes.Value
		want          []want
	}{
		{"two durations out of range", base("jwt_leeway", tfString("-1s"), "max_ttl", tfString("25h")), nil,
			[]want{{settings("jwt_leeway"), `settings.jwt_leeway: "-1s" is out of range`}, {settings("max_ttl"), `settings.max_ttl: "25h" is out of range`}}},
		{"a bare number", base("activation_delay", tfString("600")), nil,
			[]want{{settings("activation_delay"), `settings.activation_delay: "600" has no unit`}}},
		{"jwt without a key or an audience", base("auth", tfString("jwt")), nil,
			[]want{{path.Root("jwt_hs256_key_wo"), `settings.auth = "jwt" needs jwt_hs256_key_wo or settings.jwt_jwks`},
				{settings("jwt_audience"), `settings.auth = "jwt" needs settings.jwt_audience`}}},
		{"an origin secret without its header", base(), map[string]tftypes.Value{"origin_secret_wo": tfString("origin-secret-0123456789abcdef")},
			[]want{{settings("origin_secret_header"), `settings.origin_secret_header and origin_secret_wo go together`}}},
		{"an origin header without its secret", base("origin_secret_header", tfString("x-origin-secret")), nil,
			[]want{{path.Root("origin_secret_wo"), `settings.origin_secret_header and origin_secret_wo go together`}}},
		{"default longer than max, and a bad scheme", base("default_ttl", tfString("2h"), "max_ttl", tfString("1h"), "allowed_schemes", tfStrings("ftp")), nil,
			[]want{{settings("default_ttl"), `settings.default_ttl (2h) is longer than settings.max_ttl (1h)`},
				{settings("allowed_schemes"), `settings.allowed_schemes: "ftp" is not http or https`}}},
		// CTA-5007 (issue 24): a CAT has no User-Agent claim; the issuer
		// refuses to drop the default binding silently, and so does the plan.
		{"cat binding the User-Agent by default", base("token_format", tfString("cat")), nil,
			[]want{{settings("token_format"), `settings.token_format = "cat" cannot bind the User-Agent, which settings.bind_user_agent = true (its default) asks for`}}},
		{"cat binding the User-Agent", base("token_format", tfString("cat"), "bind_user_agent", tftypes.NewValue(tftypes.Bool, true)), nil,
			[]want{{settings("token_format"), `has no User-Agent claim, so the binding would be silently lost; set settings.bind_user_agent = false, or keep settings.token_format = "ss1"`}}},
		{"cat without the binding, CAT's channel names", base("token_format", tfString("cat"), "bind_user_agent", tftypes.NewValue(tftypes.Bool, false),
			"cat_header", tfString("Common-Access-Token"), "cat_query", tfString("cat")), nil, nil},
		{"a CAT header name the edge cannot use", base("cat_header", tfString("cta_common_access_token")), nil,
			[]want{{settings("cat_header"), `settings.cat_header`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			NewIssuerResource().(resource.ResourceWithValidateConfig).ValidateConfig(context.Background(),
				resource.ValidateConfigRequest{Config: issuerConfigOf(t, tc.settings, tc.top)}, &resp)
			got := summaries(resp.Diagnostics)
			t.Log(got)
			if strings.Contains(got, "SECURESTREAM_") {
				t.Errorf("a diagnostic names an environment variable:\n%s", got)
			}
			if n := resp.Diagnostics.ErrorsCount(); n != len(tc.want) {
				t.Errorf("%d errors, want %d:\n%s", n, len(tc.want), got)
			}
			for _, w := range tc.want {
				if !hasErrorAt(resp.Diagnostics, w.at, w.text) {
					t.Errorf("no error at %s saying %q:\n%s", w.at, w.text, got)
				}
			}
		})
	}
}

func hasErrorAt(diags diag.Diagnostics, at path.Path, text string) bool {
	for _, d := range diags.Errors() {
		if wp, ok := d.(diag.DiagnosticWithPath); ok && wp.Path().Equal(at) && strings.Contains(d.Detail(), text) {
			return true
		}
	}
	return false
}

// Issue 20, item 2: one duration grammar. A bare number is refused by
// every duration argument, with the same words; Go durations with a unit
// are taken everywhere.
func TestDurationGrammarEverywhere(t *testing.T) {
	for name, v := range map[string]textValidator{"activation_delay": durationValidator, "max_lifetime": lifetimeValidator,
		"ttl": ttlValidator, "leeway": leewayValidator, "cors_max_age": corsMaxAgeValidator} {
		err := v.check("90")
		if err == nil || !strings.Contains(err.Error(), `has no unit`) {
			t.Errorf("%s: \"90\": %v, want a refusal saying it has no unit", name, err)
		}
		if err := v.check("90s"); err != nil && name != "max_lifetime" {
			t.Errorf("%s: \"90s\": %v", name, err)
		}
	}
	if err := lifetimeValidator.check("90m"); err != nil {
		t.Errorf("max_lifetime: \"90m\": %v", err)
	}
}
