package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// testAccProtoV6ProviderFactories runs the provider in-process for
// acceptance tests; configurations need no other provider.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"securestream": providerserver.NewProtocol6WithError(New("test", "none")()),
}

// testClock is a clock a test moves forward, to see what the provider
// does days later.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
	// frozen, when set, is the time the clock always shows (plus offset).
	frozen time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// factoriesWithClock runs the provider with the test's clock.
func factoriesWithClock(c *testClock) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"securestream": providerserver.NewProtocol6WithError(&securestreamProvider{version: "test", commit: "none", now: c.now}),
	}
}

// stateDir holds the working directories of every acceptance test of the
// package, where the state grep reads them. It is set for the whole run
// (TestMain) because tests that set environment variables cannot run in
// parallel.
var stateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "securestream-acc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stateDir = dir
	os.Setenv("TF_ACC_TEMP_DIR", dir)
	os.Setenv("CHECKPOINT_DISABLE", "1")
	// A TF_CLI_CONFIG_FILE that does not exist is no configuration, with a
	// warning that OpenTofu prints on stdout, where terraform-exec reads
	// `tofu version` (and fails every test): an empty file is the same
	// configuration without the warning.
	if cli := os.Getenv("TF_CLI_CONFIG_FILE"); cli != "" {
		if _, err := os.Stat(cli); errors.Is(err, fs.ErrNotExist) {
			empty := filepath.Join(dir, "empty.tfrc")
			if err := os.WriteFile(empty, nil, 0o600); err == nil {
				os.Setenv("TF_CLI_CONFIG_FILE", empty)
			}
		}
	}
	// terraform-plugin-testing reattaches the provider under the namespaces
	// "-" (for Terraform 0.12) and "hashicorp"; OpenTofu refuses the whole
	// TF_REATTACH_PROVIDERS for "registry.terraform.io/-/...". Its
	// configurations name "hashicorp" alone.
	if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
		os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "hashicorp")
	}
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			os.Setenv("TF_ACC_TERRAFORM_PATH", p)
		}
	}
	// OpenTofu resolves a provider without a host on its own registry.
	if bin := os.Getenv("TF_ACC_TERRAFORM_PATH"); bin != "" && os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_PROVIDER_HOST") == "" {
		if host := providerHostFor(bin); host != "" {
			os.Setenv("TF_ACC_PROVIDER_HOST", host)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTerraform skips t unless the acceptance tier is on, then makes
// sure the tests drive a local Terraform binary and fails, naming the fix,
// when there is none. Nothing is downloaded.
func requireTerraform(t *testing.T) {
	t.Helper()
	testenv.Acceptance(t)
	p := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if p == "" {
		t.Fatal("terraform is not installed: install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install) " +
			"and put it on PATH or set TF_ACC_TERRAFORM_PATH")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("TF_ACC_TERRAFORM_PATH=%s does not exist; install Terraform 1.11 or later there, or, for OpenTofu, "+
			"run make tofu, which builds the pinned one into .tools/tofu-<version>/tofu", p)
	}
}

func TestProviderSchemaIsValid(t *testing.T) {
	srv, err := testAccProtoV6ProviderFactories["securestream"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
		}
	}
	if resp.Provider == nil || resp.Provider.Block.Description == "" {
		t.Error("the provider schema has no description")
	}
	meta, err := srv.GetMetadata(context.Background(), &tfprotov6.GetMetadataRequest{})
	if err != nil || len(meta.Diagnostics) > 0 {
		t.Fatalf("GetMetadata: %v %v", err, meta.Diagnostics)
	}
}

// Terraform can load, configure and apply with the provider.
func TestAccProviderServes(t *testing.T) {
	e := newAccEnv(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.provider() + `
output "served" {
  value = "yes"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("served", knownvalue.StringExact("yes")),
			},
		}},
	})
}

// testProvider is a provider block for region us-east-1 with the
// emulators' test keys, the given endpoint and more settings, one a line.
func testProvider(endpoint string, settings ...string) string {
	return fmt.Sprintf("\nprovider \"securestream\" {\n  region     = \"us-east-1\"\n  endpoint   = %q\n  access_key = \"testing\"\n"+
		"  secret_key = \"testing\"\n  %s\n}\n", endpoint, strings.Join(settings, "\n  "))
}

// deadEndpointProvider is a provider block whose endpoint nobody answers
// on, with the given endpoints { } block contents, and no retries.
func deadEndpointProvider(dead, endpoints string) string {
	return testProvider(dead, "max_retries = 0", "endpoints {\n    "+endpoints+"\n  }")
}

// An endpoint nobody answers on is one clear diagnostic at configure
// time, quickly, not a hang.
func TestAccProviderUnreachableEndpoint(t *testing.T) {
	requireTerraform(t)
	dead := fmt.Sprintf("http://127.0.0.1:%d", localtest.FreePort(t))
	var start time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Not before: ParallelTest waits for a parallel slot, which
			// is no part of the configure error.
			PreConfig: func() { start = time.Now() },
			Config: deadEndpointProvider(dead, "") + `
resource "securestream_secret" "s" {
  function_name = "never-created"
}
`,
			ExpectError: regexp.MustCompile(`(?s)Cannot reach AWS.*sts:GetCallerIdentity.*` + regexp.QuoteMeta(dead)),
		}},
	})
	// A hang guard, not a speed test: the step takes about a second, and
	// a refused connection retried or waited out would take minutes.
	if d := time.Since(start); d > 2*time.Minute {
		t.Errorf("the configure error took %v", d)
	}
}

// A provider setting that is known only after apply is an error that says
// so (Terraform 1.11 does not let providers defer), not an unset setting.
func TestAccProviderUnknownSettings(t *testing.T) {
	e := newAccEnv(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "region" {
  input = "us-east-1"
}

provider "securestream" {
  region     = terraform_data.region.output
  endpoint   = %q
  access_key = "testing"
  secret_key = "testing"
}

resource "securestream_secret" "s" {
  function_name = "never-created"
}
`, e.endpoint),
			ExpectError: regexp.MustCompile(`(?s)settings not known yet.*region.*known only after apply`),
		}},
	})
}

// endpoints.<service> wins over endpoint: with endpoint pointing nowhere
// and KMS and STS pointed at the emulator, the secret is created.
func TestAccProviderEndpointPrecedence(t *testing.T) {
	testAccSecretBeside(t, func(emulator, dead string) string {
		return deadEndpointProvider(dead, fmt.Sprintf("kms = %q\n    sts = %q", emulator, emulator))
	})
}

// testAccSecretBeside creates a secret with the provider block that
// provider makes of the emulator's endpoint and one nobody answers on.
func testAccSecretBeside(t *testing.T, provider func(emulator, dead string) string) {
	e := newAccEnv(t)
	if e.endpoint == "" {
		t.Fatal("this test needs an emulator endpoint; unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	dead := fmt.Sprintf("http://127.0.0.1:%d", localtest.FreePort(t))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: provider(e.endpoint, dead) + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name = %q
}
`, name("issuer")),
			Check: e.checkRing("securestream_secret.s", 1),
		}},
	})
}

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
