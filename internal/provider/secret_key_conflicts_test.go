package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// The warning of a secret whose key is the user's says how to end it, and
// why its fix (kms_key_id) cannot go with the arguments that manage a
// created key (issue 20 item 8: before, it suggested a replace only, and
// the user who set kms_key_id met a bare "cannot be specified when").
func TestKeepsYourKeySaysWhy(t *testing.T) {
	got := keepsYourKey("1234abcd")
	for _, want := range []string{`kms_key_id = "1234abcd"`, "alias, tags, deletion_window_in_days, enable_key_rotation and decrypt_role_arns",
		"conflict with kms_key_id", "they manage a key this resource creates", functionTag} {
		if !strings.Contains(got, want) {
			t.Errorf("the warning does not say %q:\n%s", want, got)
		}
	}
}

// Each argument that manages a created key, beside kms_key_id, is refused
// with the reason.
func TestAccSecret_conflictsSayWhy(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	var steps []resource.TestStep
	for _, arg := range []string{`alias = "alias/video"`, `tags = { a = "b" }`, "deletion_window_in_days = 7", "enable_key_rotation = false",
		`decrypt_role_arns = ["arn:aws:iam::123456789012:role/issuer"]`} {
		at := strings.Fields(arg)[0]
		steps = append(steps, resource.TestStep{
			Config:   secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = \"1234abcd-12ab-34cd-56ef-1234567890ab\"\n%s", fn, arg)),
			PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)"kms_key_id"\s+cannot\s+be\s+specified\s+when\s+"` + at + `"\s+is\s+specified:\s+` + at +
				`\s+manages\s+the\s+KMS\s+key\s+this\s+resource\s+creates.*key\s+policy\s+are\s+left\s+to\s+you`),
		})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
