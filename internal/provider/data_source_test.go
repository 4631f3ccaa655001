package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// The data sources that read a deployment from AWS (securestream_issuer and
// securestream_secret), against one issuer applied with its secret.

// pairs checks that each attribute of the data source at ds equals the
// resource's at res.
func pairs(ds, res string, attrs ...string) resource.TestCheckFunc {
	var checks []resource.TestCheckFunc
	for _, a := range attrs {
		checks = append(checks, resource.TestCheckResourceAttrPair(ds, a, res, a))
	}
	return resource.ComposeAggregateTestCheckFunc(checks...)
}

// dsIssuerSettings are the fewest settings an issuer takes.
const dsIssuerSettings = minimalSettings

// resourcesOnly runs a CheckDestroy on the state's resources alone: the
// destroy checks read every kms_key_arn in the state as a key to check,
// and a data source's is the resource's key, not one the user brought.
func resourcesOnly(check func(*terraform.State) error) func(*terraform.State) error {
	return func(s *terraform.State) error {
		root := s.RootModule()
		kept := map[string]*terraform.ResourceState{}
		for addr, rs := range root.Resources {
			if !strings.HasPrefix(addr, "data.") {
				kept[addr] = rs
			}
		}
		return check(&terraform.State{Modules: []*terraform.ModuleState{{Path: root.Path, Resources: kept}}})
	}
}

func TestAccDataSourceIssuerAndSecret(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	// The issuer; the ring it runs with; the ring's key alone (by the
	// resource's id).
	read := `
data "securestream_issuer" "d" {
  function_name = securestream_issuer.i.function_name
}

data "securestream_secret" "ring" {
  function_name = securestream_issuer.i.function_name
}

data "securestream_secret" "key" {
  kms_key_id = securestream_secret.s.kms_key_arn
}
`
	outputs := []string{"function_arn", "architecture", "role_arn", "kms_key_arn", "api_type", "invoke_url", "api_id"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resourcesOnly(e.checkIssuerDestroyed),
		Steps: []resource.TestStep{
			{
				Config: issuerConfig(e, fn, pkgPath, dsIssuerSettings) + read,
				Check: resource.ComposeAggregateTestCheckFunc(
					pairs("data.securestream_issuer.d", "securestream_issuer.i", outputs...),
					resource.TestCheckResourceAttr("data.securestream_issuer.d", "api_type", "http"),
					resource.TestCheckResourceAttrSet("data.securestream_issuer.d", "invoke_url"),
					resource.TestCheckResourceAttrSet("data.securestream_issuer.d", "kms_key_arn"),
					pairs("data.securestream_secret.ring", "securestream_secret.s",
						"id", "kms_key_arn", "alias", "keys.#", "keys.0.kid", "keys.0.created", "keys.0.seed", "newest_key_id"),
					resource.TestCheckResourceAttr("data.securestream_secret.ring", "key_state", "Enabled"),
					resource.TestCheckResourceAttr("data.securestream_secret.ring", "keys.#", "1"),
					resource.TestCheckNoResourceAttr("data.securestream_secret.ring", "ciphertext"),
					pairs("data.securestream_secret.ring", "securestream_secret.s", "key_ring.ciphertext", "key_ring.kms_key_id", "key_ring.function_name"),
					resource.TestCheckNoResourceAttr("data.securestream_secret.key", "key_ring.ciphertext"),
					pairs("data.securestream_secret.key", "securestream_secret.s", "id", "kms_key_arn", "alias"),
					resource.TestCheckResourceAttr("data.securestream_secret.key", "key_state", "Enabled"),
					resource.TestCheckNoResourceAttr("data.securestream_secret.key", "keys.#"),
					resource.TestCheckNoResourceAttr("data.securestream_secret.key", "newest_key_id"),
					// No key of the ring in any state file, in any spelling.
					e.checkRing("securestream_secret.s", 1),
				),
			},
			{
				// A function URL: found before any API, with no api_id.
				Config: issuerConfig(e, fn, pkgPath, dsIssuerSettings+"  api_type = \"function_url\"\n") + read,
				Check: resource.ComposeAggregateTestCheckFunc(
					pairs("data.securestream_issuer.d", "securestream_issuer.i", outputs...),
					resource.TestCheckResourceAttr("data.securestream_issuer.d", "api_type", "function_url"),
					resource.TestCheckNoResourceAttr("data.securestream_issuer.d", "api_id"),
					e.checkRing("securestream_secret.s", 1),
				),
			},
		},
	})
}

func TestAccDataSourceIssuerAndSecret_errors(t *testing.T) {
	e := newAccEnv(t)
	fn := name("nothere")
	byName := func(ds string) string {
		return e.provider() + fmt.Sprintf("\ndata %q \"d\" {\n  function_name = %q\n}\n", ds, fn)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      byName("securestream_issuer"),
				ExpectError: regexp.MustCompile(`(?s)No issuer function ` + fn + `.*no Lambda function\s+named\s+` + fn + `.*Check function_name\s+and\s+region`),
			},
			{
				Config:      e.provider() + "\ndata \"securestream_secret\" \"d\" {}\n",
				ExpectError: regexp.MustCompile(`(?s)At least one of these attributes must be configured`),
			},
			{
				Config:      byName("securestream_secret"),
				ExpectError: regexp.MustCompile(`(?s)No issuer function ` + fn + `.*Check function_name\s+and\s+region`),
			},
		},
	})
}

// A Lambda function that no securestream_issuer made (it lacks the issuer
// tag) is refused by both data sources, naming the tag, rather than read
// as an issuer.
func TestAccDataSourceIssuerAndSecret_notAnIssuer(t *testing.T) {
	e := newAccEnv(t)
	fn := name("other")
	if err := e.createIssuerFunctionEnv(t, fn, map[string]string{"SOMETHING": "else"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := e.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: got.Configuration.FunctionArn, TagKeys: []string{issuerTag}}); err != nil {
		t.Fatal(err)
	}
	var steps []resource.TestStep
	for _, ds := range []string{"securestream_issuer", "securestream_secret"} {
		steps = append(steps, resource.TestStep{
			Config:      e.provider() + fmt.Sprintf("\ndata %q \"d\" {\n  function_name = %q\n}\n", ds, fn),
			ExpectError: regexp.MustCompile(`(?s)Not an issuer function: ` + fn + `.*` + regexp.QuoteMeta(issuerTag)),
		})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// The data source securestream_secret exports the deployed ring as
// key_ring, which a consumer takes whole: read from an issuer's function
// deployed some other way, it equals the resource's key_ring, and the
// function code renders from it with the resource's keys.
func TestAccDataSourceSecret_keyRing(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	secret := secretConfig(e, fmt.Sprintf("function_name = %q", fn))
	read := `
data "securestream_secret" "ring" {
  function_name = securestream_secret.s.function_name
}

data "securestream_function_code" "c" {
  key_ring = data.securestream_secret.ring.key_ring
}
`
	var ciphertext, arn string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resourcesOnly(e.checkDestroyed),
		Steps: []resource.TestStep{
			{Config: secret, Check: resource.ComposeTestCheckFunc(
				capture("securestream_secret.s", "ciphertext", &ciphertext), capture("securestream_secret.s", "kms_key_arn", &arn))},
			{
				PreConfig: func() {
					if err := e.createIssuerFunctionEnv(t, fn, map[string]string{envKeyring: ciphertext, envKMSKeyID: arn}); err != nil {
						t.Fatal(err)
					}
				},
				Config: secret + read,
				Check: resource.ComposeAggregateTestCheckFunc(
					pairs("data.securestream_secret.ring", "securestream_secret.s", "key_ring.ciphertext", "key_ring.kms_key_id", "key_ring.function_name"),
					resource.TestCheckResourceAttrPair("data.securestream_function_code.c", "key_ids.0", "securestream_secret.s", "newest_key_id"),
					resource.TestCheckResourceAttrSet("data.securestream_function_code.c", "code_sha256"),
				),
			},
		},
	})
}
