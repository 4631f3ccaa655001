package provider

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// The owner tag proves a role was made by a holder of this ring, for this
// role alone: not for another role of the same name (another RoleId), not
// under another ring, not tampered with, and it fits an IAM tag value.
func TestOwnerTag(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	k1, err := newRingKey(now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := newRingKey(now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := newRingKey(now)
	if err != nil {
		t.Fatal(err)
	}
	ring := &keyring.Document{Keys: []keyring.Key{k1, k2}}
	arn, id := "arn:aws:iam::123456789012:role/securestream/video", "AROAEXAMPLEID0000001"
	v, err := ownerTagValue(ring, arn, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) > 256 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/=+-@") != "" {
		t.Fatalf("%q is not a valid IAM tag value", v)
	}
	if !ownedBy(ring, v, arn, id) {
		t.Fatal("the ring does not recognise its own tag")
	}
	// After a rotation that kept the signing key.
	if !ownedBy(&keyring.Document{Keys: []keyring.Key{k2, other}}, v, arn, id) {
		t.Fatal("a ring that still holds the signing key does not recognise the tag")
	}
	tampered := v[:len(v)-1] + "0"
	if tampered == v {
		tampered = v[:len(v)-1] + "1"
	}
	for what, c := range map[string]struct {
		ring       *keyring.Document
		v, arn, id string
	}{
		"the tag copied onto a new role of the same name": {ring, v, arn, "AROAEXAMPLEID0000002"},
		"another role":                 {ring, v, "arn:aws:iam::123456789012:role/securestream/other", id},
		"another ring":                 {&keyring.Document{Keys: []keyring.Key{other}}, v, arn, id},
		"a tampered MAC":               {ring, tampered, arn, id},
		"another key id":               {ring, strings.Replace(v, k2.ID, k1.ID, 1), arn, id},
		"no tag":                       {ring, "", arn, id},
		"a tag in another format":      {ring, "securestream", arn, id},
		"a role id IAM did not answer": {ring, v, arn, ""},
		"a MAC that is not hex":        {ring, "v1." + k2.ID + ".zz", arn, id},
		"a forged (all-zero) MAC":      {ring, "v1." + k2.ID + "." + strings.Repeat("00", 32), arn, id},
	} {
		if ownedBy(c.ring, c.v, c.arn, c.id) {
			t.Errorf("%s proves ownership", what)
		}
	}
}

// Policies compare as JSON values, URL-encoded as IAM returns them or not.
func TestSamePolicy(t *testing.T) {
	spaced := strings.ReplaceAll(lambdaTrustPolicy, ",", ", ")
	if !samePolicy(url.PathEscape(spaced), lambdaTrustPolicy) || !samePolicy(spaced, lambdaTrustPolicy) {
		t.Fatal("the same trust policy compares as different")
	}
	if samePolicy(url.PathEscape(foreignTrust), lambdaTrustPolicy) || samePolicy("not json", lambdaTrustPolicy) {
		t.Fatal("another trust policy compares as the same")
	}
}

// validateFront's diagnostics for each combination of api_type,
// authorization and settings.auth: the errors L1 and L2 ask for, the
// warning on a public, unthrottled function URL (terraform-plugin-testing
// cannot check warnings), and silence where the caller is checked.
func TestValidateFront(t *testing.T) {
	settings := func(kv ...string) types.Object {
		values := nullSettings()
		for i := 0; i < len(kv); i += 2 {
			values[kv[i]] = types.StringValue(kv[i+1])
		}
		return types.ObjectValueMust(settingsAttrTypes(), values)
	}
	jwt := types.ObjectValueMust(jwtAuthorizerTypes, map[string]attr.Value{"issuer": types.StringValue("https://idp.example.com/"),
		"audiences": stringList([]string{"video"})})
	model := func(apiType, urlAuth string, s types.Object) *issuerModel {
		m := &issuerModel{APIType: types.StringNull(), FunctionURLAuthType: types.StringNull(), ThrottleRateLimit: types.Float64Null(),
			ThrottleBurstLimit: types.Int64Null(), JWTAuthorizer: types.ObjectNull(jwtAuthorizerTypes), Settings: s}
		if apiType != "" {
			m.APIType = types.StringValue(apiType)
		}
		if urlAuth != "" {
			m.FunctionURLAuthType = types.StringValue(urlAuth)
		}
		return m
	}
	none := settings("auth", "none")
	for _, c := range []struct {
		name     string
		m        *issuerModel
		errs     []string // attribute: summary
		warnings []string
	}{
		{"function URL with throttle_rate_limit", func() *issuerModel {
			m := model(apiTypeFunctionURL, "AWS_IAM", none)
			m.ThrottleRateLimit = types.Float64Value(5)
			return m
		}(), []string{"throttle_rate_limit: Throttling needs API Gateway"}, nil},
		{"function URL with throttle_burst_limit", func() *issuerModel {
			m := model(apiTypeFunctionURL, "AWS_IAM", settings("auth", "jwt"))
			m.ThrottleBurstLimit = types.Int64Value(5)
			return m
		}(), []string{"throttle_burst_limit: Throttling needs API Gateway"}, nil},
		{"HTTP API with throttling", func() *issuerModel {
			m := model(apiTypeHTTP, "", none)
			m.ThrottleRateLimit, m.ThrottleBurstLimit = types.Float64Value(5), types.Int64Value(5)
			return m
		}(), nil, nil},
		{"jwt_authorizer with auth none", func() *issuerModel {
			m := model("", "", none)
			m.JWTAuthorizer = jwt
			return m
		}(), []string{"jwt_authorizer: An authorizer in front of an issuer that mints for anyone"}, nil},
		{"jwt_authorizer with auth authorizer", func() *issuerModel {
			m := model(apiTypeHTTP, "", settings("auth", "authorizer"))
			m.JWTAuthorizer = jwt
			return m
		}(), nil, nil},
		{"public function URL (auth type unset)", model(apiTypeFunctionURL, "", none), nil, []string{"api_type: A public, unthrottled stream key issuer"}},
		{"public function URL (NONE)", model(apiTypeFunctionURL, "NONE", none), nil, []string{"api_type: A public, unthrottled stream key issuer"}},
		{"function URL with AWS_IAM", model(apiTypeFunctionURL, "AWS_IAM", none), nil, nil},
		{"function URL with auth jwt", model(apiTypeFunctionURL, "NONE", settings("auth", "jwt")), nil, nil},
		{"function URL behind CloudFront's origin secret", model(apiTypeFunctionURL, "NONE",
			settings("auth", "none", "client_ip_source", "cloudfront-viewer-address", "origin_secret_header", "x-origin-secret")), nil, nil},
		{"HTTP API with auth none", model(apiTypeHTTP, "", none), nil, nil},
		{"api_type unknown", func() *issuerModel {
			m := model("", "", none)
			m.APIType = types.StringUnknown()
			return m
		}(), nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := validateFront(c.m)
			got := func(sev diag.Severity) []string {
				var out []string
				for _, d := range diags {
					if d.Severity() != sev {
						continue
					}
					wp, ok := d.(diag.DiagnosticWithPath)
					if !ok {
						t.Fatalf("%q has no attribute path", d.Summary())
					}
					out = append(out, wp.Path().String()+": "+d.Summary())
					if sev == diag.SeverityWarning && !strings.Contains(d.Detail(), "reserved_concurrency") {
						t.Errorf("the warning does not point at reserved_concurrency: %s", d.Detail())
					}
				}
				return out
			}
			if e, w := got(diag.SeverityError), got(diag.SeverityWarning); strings.Join(e, "|") != strings.Join(c.errs, "|") ||
				strings.Join(w, "|") != strings.Join(c.warnings, "|") {
				t.Errorf("errors %q, warnings %q; want %q, %q", e, w, c.errs, c.warnings)
			}
		})
	}
}
