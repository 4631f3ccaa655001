package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

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
const dsIssuerSettings = "  settings = {\n    auth          = \"none\"\n    allowed_hosts = [\"media.example.com\"]\n  }\n"

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

func TestAccDataSourceIssuer(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	read := `
data "securestream_issuer" "d" {
  function_name = securestream_issuer.i.function_name
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

func TestAccDataSourceIssuer_missing(t *testing.T) {
	e := newAccEnv(t)
	fn := name("nothere")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      e.provider() + fmt.Sprintf("\ndata \"securestream_issuer\" \"d\" {\n  function_name = %q\n}\n", fn),
			ExpectError: regexp.MustCompile(`(?s)No issuer function ` + fn + `.*no Lambda function\s+named\s+` + fn + `.*Check function_name\s+and\s+region`),
		}},
	})
}
