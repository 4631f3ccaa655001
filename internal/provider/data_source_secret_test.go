package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccDataSourceSecret(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	// The ring the issuer runs with, and the key alone (by the resource's id).
	read := `
data "securestream_secret" "ring" {
  function_name = securestream_issuer.i.function_name
}

data "securestream_secret" "key" {
  kms_key_id = securestream_secret.s.kms_key_arn
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resourcesOnly(e.checkIssuerDestroyed),
		Steps: []resource.TestStep{{
			Config: issuerConfig(e, fn, pkgPath, dsIssuerSettings) + read,
			Check: resource.ComposeAggregateTestCheckFunc(
				pairs("data.securestream_secret.ring", "securestream_secret.s",
					"id", "kms_key_arn", "alias", "keys.#", "keys.0.kid", "keys.0.created", "keys.0.seed", "newest_key_id"),
				resource.TestCheckResourceAttr("data.securestream_secret.ring", "key_state", "Enabled"),
				resource.TestCheckResourceAttr("data.securestream_secret.ring", "keys.#", "1"),
				resource.TestCheckNoResourceAttr("data.securestream_secret.ring", "ciphertext"),
				pairs("data.securestream_secret.key", "securestream_secret.s", "id", "kms_key_arn", "alias"),
				resource.TestCheckResourceAttr("data.securestream_secret.key", "key_state", "Enabled"),
				resource.TestCheckNoResourceAttr("data.securestream_secret.key", "keys.#"),
				resource.TestCheckNoResourceAttr("data.securestream_secret.key", "newest_key_id"),
				// No key of the ring in any state file, in any spelling.
				e.checkRing("securestream_secret.s", 1),
			),
		}},
	})
}

func TestAccDataSourceSecret_errors(t *testing.T) {
	e := newAccEnv(t)
	fn := name("nothere")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      e.provider() + "\ndata \"securestream_secret\" \"d\" {}\n",
				ExpectError: regexp.MustCompile(`(?s)At least one of these attributes must be configured`),
			},
			{
				Config:      e.provider() + fmt.Sprintf("\ndata \"securestream_secret\" \"d\" {\n  function_name = %q\n}\n", fn),
				ExpectError: regexp.MustCompile(`(?s)No issuer function ` + fn + `.*Check function_name\s+and\s+region`),
			},
		},
	})
}
