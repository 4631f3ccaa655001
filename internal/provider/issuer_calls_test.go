package provider

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// issuerBehindProxy is a configuration of one issuer whose provider talks
// to moto through a fault proxy; the ring is made beforehand through the
// SDK, so that the proxy sees the issuer's calls alone. extra is added to
// the issuer's arguments, and so is what is passed to cfg.
func issuerBehindProxy(t *testing.T, e *accEnv, apiType string, extra ...string) (cfg func(more ...string) string, p *faultproxy.Proxy, fn string) {
	t.Helper()
	_, keyARN := e.userKey(t, "ring of an issuer behind a proxy")
	fn = name("issuer")
	ct := e.sealedRing(t, keyARN, fn)
	p = localtest.StartFaultProxy(t, e.endpoint)
	pkgPath, _ := testPackage(t, "echo one")
	return func(more ...string) string {
		return fmt.Sprintf(`provider "securestream" {
  region     = "us-east-1"
  endpoint   = %q
  access_key = "testing"
  secret_key = "testing"
}

resource "securestream_issuer" "i" {
  function_name     = %q
  key_ring = {
    ciphertext    = %q
    kms_key_id    = %q
    function_name = %[2]q
  }
  package_path      = %[5]q
  api_type          = %[6]q
  settings = {
    auth          = "none"
    allowed_hosts = ["media.example.com"]
  }
%[7]s}
`, p.URL, fn, ct, keyARN, pkgPath, apiType, strings.Join(append(append([]string(nil), extra...), more...), ""))
	}, p, fn
}

// The AWS calls of the issuer's life, counted by the proxy: a no-op plan
// makes no write call, and create and destroy make no write call twice
// that they need once. (BENCHMARKS.md has the figures of this test.)
func TestAccIssuer_apiCalls(t *testing.T) {
	t.Parallel() // its own moto and proxy: nothing shared
	e := newAccEnv(t)
	if e.endpoint == "" {
		t.Fatal("this test counts calls through a proxy in front of moto: unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	cfg, p, _ := issuerBehindProxy(t, e, "http")
	report := func(phase string, want func(op string, n int) error) {
		counts := p.Counts()
		delete(counts, "*")
		var writes, reads []string
		for _, op := range slices.Sorted(maps.Keys(counts)) {
			if faultproxy.IsWrite(op) {
				writes = append(writes, fmt.Sprintf("%s %d", op, counts[op]))
			} else {
				reads = append(reads, fmt.Sprintf("%s %d", op, counts[op]))
			}
			if err := want(op, counts[op]); err != nil {
				t.Errorf("%s: %v", phase, err)
			}
		}
		t.Logf("%s: %d calls; writes: %s; reads: %s", phase, p.Counts()["*"], strings.Join(writes, ", "), strings.Join(reads, ", "))
	}
	once := func(op string, n int) error {
		// Three routes (GET, POST, OPTIONS) need three CreateRoute calls,
		// and one grant per sealed purpose one CreateGrant (RevokeGrant) each.
		perPurpose := (op == "kms:CreateGrant" || op == "kms:RevokeGrant") && n == len(keyring.Purposes)
		if faultproxy.IsWrite(op) && n > 1 && !(op == "apigatewayv2:CreateRoute" && n == 3) && !perPurpose {
			return fmt.Errorf("%s was called %d times", op, n)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(st *terraform.State) error {
			report("destroy (a refresh and the destroy)", once)
			return e.checkIssuerDestroyed(st)
		},
		Steps: []resource.TestStep{
			{
				PreConfig: p.Reset,
				Config:    cfg(),
				Check: func(*terraform.State) error {
					report("create (a plan and the apply)", once)
					return nil
				},
			},
			{PreConfig: p.Reset, Config: cfg(), PlanOnly: true},
			{
				// The last step: only the destroy follows it.
				PreConfig: func() {
					report("no-op plan (a refresh and a plan)", func(op string, n int) error {
						if faultproxy.IsWrite(op) {
							return fmt.Errorf("a no-op plan wrote: %s (%d)", op, n)
						}
						return nil
					})
				},
				Config:   cfg(),
				PlanOnly: true,
			},
		},
	})
}

// A create that fails at any of its steps leaves nothing orphaned: what
// was made is in the state (tainted), the next apply finishes the job,
// and the destroy leaves no object (CheckDestroy lists them).
func TestAccIssuer_failureAtEachStep(t *testing.T) {
	// Each case has its own moto, proxy and names: they run in parallel
	// with each other and with the package's other tests.
	t.Parallel()
	common := []string{"iam:CreateRole", "iam:TagRole", "iam:PutRolePolicy", "logs:CreateLogGroup", "logs:PutRetentionPolicy", "kms:CreateGrant", "lambda:CreateFunction"}
	for apiType, ops := range map[string][]string{
		"http":         {"apigatewayv2:CreateApi", "apigatewayv2:CreateIntegration", "apigatewayv2:CreateRoute", "apigatewayv2:CreateStage", "lambda:AddPermission"},
		"function_url": {"lambda:CreateFunctionUrlConfig", "lambda:AddPermission"},
		// With a Cognito authorizer and an API key (restFailureConfig).
		"rest": {"apigateway:CreateRestApi", "apigateway:CreateAuthorizer", "apigateway:PutMethod", "apigateway:PutIntegration",
			"apigateway:CreateDeployment", "apigateway:CreateApiKey", "apigateway:CreateUsagePlan", "apigateway:CreateUsagePlanKey",
			"lambda:AddPermission"},
	} {
		for _, op := range append(append([]string(nil), common...), ops...) {
			if apiType != "http" && slices.Contains(common, op) {
				continue // the steps before the API are the same for every api_type
			}
			t.Run(apiType+"/"+op, func(t *testing.T) {
				t.Parallel() // before failAt starts its moto, so that waiting cases hold none
				failAt(t, apiType, op)
			})
		}
	}
}

// failAt creates an issuer whose call op fails once, with an error the
// SDK does not retry (a throttle or a 503 is retried, and the apply goes
// through), then applies again: it converges, and the destroy leaves no
// object (CheckDestroy lists them).
func failAt(t *testing.T, apiType, op string) {
	e := newAccEnv(t)
	if e.endpoint == "" {
		t.Fatal("this test injects faults through a proxy in front of moto: unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	var extra []string
	if apiType == apiTypeREST {
		extra = append(extra, restFailureConfig)
	}
	cfg, p, _ := issuerBehindProxy(t, e, apiType, extra...)
	code := "AccessDeniedException"
	if strings.HasPrefix(op, "iam:") {
		code = "AccessDenied"
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { p.Fail(op, 1, code) },
				Config:      cfg(),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(op[strings.Index(op, ":")+1:])),
			},
			{Config: cfg()}, // converges
		},
	})
}

// restFailureConfig gives the REST API of the failure tests every step:
// a Cognito authorizer and an API key with its usage plan.
const restFailureConfig = `  rest_authorization          = "COGNITO_USER_POOLS"
  rest_cognito_user_pool_arns = ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc123456"]
  rest_api_key_required       = true
`
