package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// providerConfig is a provider configuration with the given values (by
// setting name, dotted for a block's) and every other setting null.
func providerConfig(t *testing.T, values map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	var sr provider.SchemaResponse
	New("test", "none")().Schema(context.Background(), provider.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	blocks := map[string]map[string]tftypes.Value{}
	top := map[string]tftypes.Value{}
	for k, v := range values {
		if block, name, ok := strings.Cut(k, "."); ok {
			if blocks[block] == nil {
				blocks[block] = map[string]tftypes.Value{}
			}
			blocks[block][name] = v
		} else {
			top[k] = v
		}
	}
	for block, vals := range blocks {
		top[block] = withNulls(typ.AttributeTypes[block].(tftypes.Object), vals)
	}
	return tfsdk.Config{Schema: sr.Schema, Raw: withNulls(typ, top)}
}

func withNulls(typ tftypes.Object, vals map[string]tftypes.Value) tftypes.Value {
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		all[name] = tftypes.NewValue(at, nil)
	}
	maps.Copy(all, vals)
	return tftypes.NewValue(typ, all)
}

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func summaries(diags diag.Diagnostics) string {
	var out []string
	for _, d := range diags {
		at := ""
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			at = wp.Path().String()
		}
		out = append(out, fmt.Sprintf("%s @%s: %s", d.Summary(), at, d.Detail()))
	}
	return strings.Join(out, "\n")
}

// What can be checked without calling AWS is reported by ValidateConfig,
// on the argument at fault.
func TestProviderValidateConfig(t *testing.T) {
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	tags := func(m map[string]string) tftypes.Value {
		vals := map[string]tftypes.Value{}
		for k, v := range m {
			vals[k] = tfString(v)
		}
		return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, vals)
	}
	for name, tc := range map[string]struct {
		values map[string]tftypes.Value
		want   string // "summary @path", or "" for no diagnostic
	}{
		"fine": {map[string]tftypes.Value{"region": tfString("eu-west-1"), "endpoint": tfString("http://localhost:4566"),
			"access_key": tfString("a"), "secret_key": tfString("s"), "assume_role.role_arn": tfString("arn:aws:iam::123456789012:role/deployer"),
			"default_tags.tags": tags(map[string]string{"team": "video"})}, ""},
		"unknown values wait":   {map[string]tftypes.Value{"region": unknown, "endpoint": unknown, "access_key": unknown}, ""},
		"access key alone":      {map[string]tftypes.Value{"access_key": tfString("a")}, "Incomplete AWS credentials @secret_key"},
		"secret key alone":      {map[string]tftypes.Value{"secret_key": tfString("s")}, "Incomplete AWS credentials @access_key"},
		"endpoint no scheme":    {map[string]tftypes.Value{"endpoint": tfString("localhost:4566")}, "Invalid endpoint URL @endpoint"},
		"endpoints.kms no host": {map[string]tftypes.Value{"endpoints.kms": tfString("https://")}, "Invalid endpoint URL @endpoints.kms"},
		"region":                {map[string]tftypes.Value{"region": tfString("Frankfurt")}, "Invalid AWS region @region"},
		"role ARN":              {map[string]tftypes.Value{"assume_role.role_arn": tfString("deployer")}, "Invalid IAM role ARN @assume_role.role_arn"},
		"role ARN missing":      {map[string]tftypes.Value{"assume_role.session_name": tfString("tf")}, "Missing IAM role ARN @assume_role.role_arn"},
		"reserved tag key": {map[string]tftypes.Value{"default_tags.tags": tags(map[string]string{"aws:owner": "me"})},
			`Invalid default tag @default_tags.tags["aws:owner"]`},
	} {
		t.Run(name, func(t *testing.T) {
			var resp provider.ValidateConfigResponse
			p := New("test", "none")().(provider.ProviderWithValidateConfig)
			p.ValidateConfig(context.Background(), provider.ValidateConfigRequest{Config: providerConfig(t, tc.values)}, &resp)
			got := summaries(resp.Diagnostics)
			if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) || len(resp.Diagnostics) > 1 {
				t.Errorf("got\n%s\nwant %q", got, tc.want)
			}
		})
	}
}

// configure runs the provider's Configure with the given settings.
func configure(t *testing.T, values map[string]tftypes.Value) (*providerData, diag.Diagnostics) {
	t.Helper()
	var resp provider.ConfigureResponse
	New("test", "none")().Configure(context.Background(), provider.ConfigureRequest{Config: providerConfig(t, values)}, &resp)
	pd, _ := resp.ResourceData.(*providerData)
	return pd, resp.Diagnostics
}

// default_tags reach the resources, whose own tags win.
func TestProviderDefaultTags(t *testing.T) {
	pd, diags := configure(t, map[string]tftypes.Value{"region": tfString("us-east-1"), "access_key": tfString("a"), "secret_key": tfString("s"),
		"endpoint": tfString("http://127.0.0.1:1"), "skip_credentials_validation": tftypes.NewValue(tftypes.Bool, true),
		"default_tags.tags": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String},
			map[string]tftypes.Value{"team": tfString("video"), "env": tfString("prod")})})
	if diags.HasError() {
		t.Fatal(summaries(diags))
	}
	got := pd.tagsWith(map[string]string{"env": "staging", "securestream:function": "issuer"})
	want := map[string]string{"team": "video", "env": "staging", "securestream:function": "issuer"}
	if !maps.Equal(got, want) {
		t.Errorf("tags %v; want %v", got, want)
	}
	if pd, _ = configure(t, map[string]tftypes.Value{"region": tfString("us-east-1"), "access_key": tfString("a"), "secret_key": tfString("s"),
		"skip_credentials_validation": tftypes.NewValue(tftypes.Bool, true)}); len(pd.tagsWith(nil)) != 0 {
		t.Errorf("no default_tags: %v", pd.tagsWith(nil))
	}
}

// Configure's errors are titled by what is wrong, on the argument at fault.
func TestProviderConfigureErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte("[profile known]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	keys := map[string]tftypes.Value{"access_key": tfString("a"), "secret_key": tfString("s"), "endpoint": tfString("http://127.0.0.1:1")}
	with := func(extra map[string]tftypes.Value) map[string]tftypes.Value {
		m := maps.Clone(keys)
		maps.Copy(m, extra)
		return m
	}
	for name, tc := range map[string]struct {
		values  map[string]tftypes.Value
		summary string
		at      path.Path
	}{
		"unknown profile": {with(map[string]tftypes.Value{"profile": tfString("nobody")}), "Unknown AWS profile", path.Root("profile")},
		"no region":       {keys, "No AWS region", path.Root("region")},
		"unreachable":     {with(map[string]tftypes.Value{"region": tfString("us-east-1")}), "Cannot reach AWS", path.Root("endpoint")},
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := configure(t, tc.values)
			if len(diags) != 1 || diags[0].Summary() != tc.summary {
				t.Fatalf("got\n%s\nwant %q", summaries(diags), tc.summary)
			}
			if wp, ok := diags[0].(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(tc.at) {
				t.Errorf("not on %s: %s", tc.at, summaries(diags))
			}
		})
	}
}

// The settings ValidateConfig checks fail terraform plan before any AWS
// call, and a profile nobody has fails it at configure time.
func TestAccProviderSettingErrors(t *testing.T) {
	requireTerraform(t)
	secret := `
resource "securestream_secret" "s" {
  function_name = "never-created"
}
`
	step := func(settings, want string) resource.TestStep {
		return resource.TestStep{
			Config:      fmt.Sprintf("provider \"securestream\" {\n  region = \"us-east-1\"\n%s\n}\n", settings) + secret,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(`  endpoint = "localhost:4566"`, `(?s)Invalid endpoint URL.*does not start with http:// or https://`),
			step(`  access_key = "AKIAEXAMPLE"`, `(?s)Incomplete AWS credentials.*secret_key`),
			step("  assume_role {\n    role_arn = \"video-deployer\"\n  }", `(?s)Invalid IAM role ARN.*arn:aws:iam::`),
			step(`  profile = "no-such-profile-anywhere"
  shared_config_files = ["/nonexistent/config"]
  shared_credentials_files = ["/nonexistent/credentials"]`, `(?s)Unknown AWS profile.*no-such-profile-anywhere`),
		},
	})
}

// skip_credentials_validation alone makes configure call nothing: with
// STS pointed nowhere, the secret is still created (securestream_secret
// then keeps AWS's default key policy, with a warning).
func TestAccProviderSkipCredentialsValidation(t *testing.T) {
	testAccSecretBeside(t, func(emulator, dead string) string {
		return testProvider(emulator, "skip_credentials_validation = true", fmt.Sprintf("endpoints {\n    sts = %q\n  }", dead))
	})
}

// An endpoint that accepts connections and never answers fails the
// resource's first call (the skip flags are on, so configure calls
// nothing) within the documented bound, with the default retries, naming
// the call and the endpoint.
func TestAccProviderSilentEndpoint(t *testing.T) {
	requireTerraform(t)
	silent := localtest.Silent(t)
	var start time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Not before: ParallelTest waits for the package's serial tests.
			PreConfig: func() { start = time.Now() },
			Config: testProvider(silent, "skip_credentials_validation = true", "skip_requesting_account_id = true") + `
resource "securestream_secret" "s" {
  function_name = "never-created"
  kms_key_id    = "alias/never-created"
}
`,
			ExpectError: regexp.MustCompile(`(?s)kms:DescribeKey failed.*kms:DescribeKey got no answer from ` + regexp.QuoteMeta(silent) +
				`.*3 attempts.*Check that the endpoint is right`),
		}},
	})
	// A hang guard, not a speed check: without the provider's timeouts the
	// call would wait for ever. The error above already says the attempts
	// and their waits; the time they take is the bound (about 50 s), so ten
	// times it allows for a loaded machine (issue 19: no wall-clock bounds).
	if d, bound := time.Since(start), awsclients.Bound(awsclients.DefaultTimeouts, 2); d > 10*bound {
		t.Errorf("the apply failed after %v: it hung (the bound of the call is %v)", d, bound)
	}
}
