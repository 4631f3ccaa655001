package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// Issue 20, item 3, through Terraform: a header name with '_' and a
// repeated association are each refused at plan with the error that names
// the argument and the fix.
func TestAccFunction_clearErrors(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	dup := `
  association {
    distribution_id = "E1EXAMPLE"
  }
  association {
    distribution_id = "E1EXAMPLE"
    replace_existing = true
  }`
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: []resource.TestStep{
		{Config: functionConfig(e, fn, issuer, "1", `token_header = "X_Stream"`, ""), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Invalid header name.*token_header\s+=\s+"X_Stream".*Use\s+"x-stream"`)},
		{Config: functionConfig(e, fn, issuer, "1", "", dup), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Duplicate association.*blocks\s+\[0\]\s+and\s+\[1\]\s+both\s+attach.*distribution\s+E1EXAMPLE`)},
	}})
}
