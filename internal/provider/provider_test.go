package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

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
