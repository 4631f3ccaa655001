package provider

import (
	"errors"
	"strings"
	"testing"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// A kms:Decrypt of the ring that fails says what to do by KMS's answer:
// enable the key, cancel its deletion, plan a new secret, pass the right
// ciphertext, or grant kms:Decrypt; each diagnostic names the call.
func TestDecryptRingDiagnostics(t *testing.T) {
	const key = "1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"disabled", &kmstypes.DisabledException{Message: strPtr("arn:aws:kms:us-east-1:111122223333:key/" + key + " is disabled.")},
			[]string{"is disabled", "aws kms enable-key --key-id " + key, "edge function keeps the keys it has"}},
		{"pending deletion", &kmstypes.KMSInvalidStateException{Message: strPtr("... is pending deletion.")},
			[]string{"aws kms cancel-key-deletion --key-id " + key, "aws kms enable-key --key-id " + key}},
		{"deleted", &kmstypes.NotFoundException{Message: strPtr("Key ... does not exist")},
			[]string{"does not exist", "terraform apply -refresh-only", "new keys"}},
		{"edited", &kmstypes.InvalidCiphertextException{}, []string{"changed outside Terraform", `function_name "f"`}},
		{"another key", &kmstypes.IncorrectKeyException{}, []string{"changed outside Terraform"}},
		{"denied", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}, []string{"need kms:Decrypt on " + key}},
		{"other", errors.New("connection reset"), []string{"Check that function_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decryptDiag(&keyring.CallError{Call: "kms:Decrypt", Function: "f", KeyID: key, Err: tc.err}, "f", key)
			if !strings.Contains(d.Summary(), "kms:Decrypt") {
				t.Errorf("the summary does not name the call: %s", d.Summary())
			}
			for _, w := range tc.want {
				if !strings.Contains(d.Detail(), w) {
					t.Errorf("the detail lacks %q:\n%s", w, d.Detail())
				}
			}
		})
	}
}
