package provider

import (
	"context"
	"errors"
	"fmt"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// decryptRing opens a securestream_secret's key ring, for the secret, the
// edge function's code and the test stream keys: the plaintext is used in
// memory and never stored. keyID, when known, is passed to kms:Decrypt,
// which then refuses a ciphertext made under any other key (symmetric
// Decrypt would otherwise take any key).
func decryptRing(ctx context.Context, c *awsclients.Clients, ciphertext, function, keyID string) (*keyring.Document, diag.Diagnostics) {
	return decryptRingAt(ctx, c, path.Root("ciphertext"), ciphertext, function, keyID)
}

// decryptRingAt is decryptRing whose errors about the ciphertext point at
// the argument at (key_ring.ciphertext, for the ring's consumers).
func decryptRingAt(ctx context.Context, c *awsclients.Clients, at path.Path, ciphertext, function, keyID string) (*keyring.Document, diag.Diagnostics) {
	var diags diag.Diagnostics
	kc := keyring.KMS{Client: c.KMS}
	doc, err := keyring.Open(ctx, kc, keyID, function, ciphertext)
	var call *keyring.CallError
	switch {
	case errors.Is(err, keyring.ErrCiphertext):
		diags.AddAttributeError(at, "Invalid ciphertext", err.Error()+"\n\nPass the key_ring (or ciphertext) attribute of a securestream_secret.")
	case errors.As(err, &call) && keyring.SealedWithoutPurpose(ctx, kc, keyID, function, ciphertext):
		// Asked only to say so: the legacy form is never used here.
		diags.AddAttributeError(at, ringNoPurpose, legacyRingFix(call, function))
	case errors.As(err, &call):
		diags.Append(decryptDiag(call, function, keyID))
	case err != nil:
		diags.AddError("The decrypted key ring is invalid", err.Error())
	}
	return doc, diags
}

// Summaries of the diagnostics of a ring that cannot be opened: its KMS
// key or the ciphertext, not the configuration, is at fault.
const (
	ringDecryptFailed = "kms:Decrypt of the key ring failed"
	ringNoPurpose     = "The key ring is sealed without a purpose"
)

// ringUnopenable reports whether diags say that the ring cannot be opened
// (and nothing else is wrong).
func ringUnopenable(diags diag.Diagnostics) bool {
	found := false
	for _, d := range diags.Errors() {
		if d.Summary() != ringDecryptFailed && d.Summary() != ringNoPurpose {
			return false
		}
		found = true
	}
	return found
}

// planWarnings turns the errors of a ring that cannot be opened at plan
// into warnings that say what the plan shows instead (note): terraform
// destroy refreshes with a normal plan of the configuration first, which
// the provider cannot tell from another plan, and destroying needs no
// ring. The apply that needs the ring fails with the error.
func planWarnings(diags diag.Diagnostics, note string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Severity() != diag.SeverityError {
			out.Append(d)
			continue
		}
		detail := d.Detail() + "\n\n" + note
		if a, ok := d.(diag.DiagnosticWithPath); ok {
			out.AddAttributeWarning(a.Path(), d.Summary(), detail)
		} else {
			out.AddWarning(d.Summary(), detail)
		}
	}
	return out
}

// legacyRingFix says what to do about a ring sealed by a version before
// the purpose, which only securestream_secret still opens, to re-seal it.
func legacyRingFix(call *keyring.CallError, function string) string {
	return fmt.Sprintf("%v.\n\nThe ring was sealed for function_name %q by a provider version before the encryption context carried "+
		"a Purpose, and is no longer opened as a key ring (a ciphertext sealed for one purpose, such as the issuer's HS256 key, could "+
		"otherwise open as the ring). Apply the securestream_secret whose ciphertext this is (terraform apply, or terraform apply "+
		"-target=securestream_secret.<name>): it re-seals the ring in place, with the same keys, and this then opens it.", call, function)
}

// decryptDiag is the diagnostic of a kms:Decrypt of the ring that failed.
func decryptDiag(call *keyring.CallError, function, keyID string) diag.Diagnostic {
	return diagnostics.AWSCall("kms:Decrypt of the key ring", call.Err, decryptFix(call.Err, function, keyID))
}

// decryptFix says what to do about a kms:Decrypt of the ring that failed,
// by KMS's answer: the key disabled, pending deletion or gone, the
// ciphertext changed, or the permission missing. Nothing is republished
// meanwhile: the edge function keeps the keys it has.
func decryptFix(err error, function, keyID string) string {
	key := keyID
	if key == "" {
		key = "<the ring's KMS key>"
	}
	var api smithy.APIError
	const meanwhile = " Until then nothing is changed: the edge function keeps the keys it has, and issuer containers already running keep serving."
	switch {
	case isA[*kmstypes.DisabledException](err):
		return fmt.Sprintf("The KMS key %s is disabled. Enable it (aws kms enable-key --key-id %s), then apply again.", key, key) + meanwhile
	case isA[*kmstypes.KMSInvalidStateException](err):
		return fmt.Sprintf("The KMS key %s cannot be used in its state (pending deletion, or disabled for import). If it is pending deletion, "+
			"cancel it and enable the key (aws kms cancel-key-deletion --key-id %s; aws kms enable-key --key-id %s), then apply again.", key, key, key) + meanwhile
	case isA[*kmstypes.NotFoundException](err):
		return fmt.Sprintf("The KMS key %s does not exist (deleted, or in another account or region): the ring it sealed cannot be opened "+
			"again. Refresh (terraform apply -refresh-only) so that the secret is planned anew with new keys.", key)
	case isA[*kmstypes.InvalidCiphertextException](err) || isA[*kmstypes.IncorrectKeyException](err):
		return fmt.Sprintf("The ciphertext is not a key ring that %s sealed for function_name %q: it was changed outside Terraform, or "+
			"belongs to another secret or function. Pass the ciphertext attribute of the securestream_secret whose function_name and "+
			"KMS key these are; a state edited by hand must be restored from its backup.", key, function)
	case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
		// KMS also answers AccessDenied when the ciphertext is under
		// another key than the KeyId passed (emulators do; AWS may say
		// IncorrectKeyException), so both causes are named.
		return fmt.Sprintf("Either the provider's credentials need kms:Decrypt on %s (with the encryption context LambdaFunctionName=%s, Purpose=key-ring), "+
			"or the ring was not encrypted under the KMS key %s: an import or kms_key_id must name the key the ring is encrypted under.", key, function, key)
	}
	return fmt.Sprintf("Check that function_name is the one the ring was encrypted for (%q here), that it was encrypted under the KMS key %s, "+
		"that the key is enabled, and that the provider's credentials may use it (kms:Decrypt).", function, key)
}
