package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// UpgradeState moves a version 0 state (the ring as secret_ciphertext and
// kms_key_arn, for function_name) to version 1: key_ring{ciphertext,
// kms_key_id, function_name}, as securestream_function's (ringUpgrade).
// function_name stays the issuer's, and kms_key_arn stays too, now
// computed: the ARN key_ring.kms_key_id resolves to (it was one already).
// key_ring is null when its ciphertext and key are (an import of a
// function without the ring read none): the issuer's function_name,
// always set, alone is no ring (keyRingValue). The timeouts object has the
// same JSON shape as the block it was.
func (r *issuerResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return ringUpgrade{typ: "securestream_issuer",
		moved:  map[string]string{"ciphertext": "secret_ciphertext", "kms_key_id": "kms_key_arn", "function_name": "function_name"},
		kept:   map[string]bool{"function_name": true, "kms_key_arn": true},
		ringOf: []string{"ciphertext", "kms_key_id"}}.upgraders()
}
