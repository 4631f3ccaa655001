package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// UpgradeState moves a version 0 state (the ring as the three arguments
// ciphertext, kms_key_id and function_name) to version 1 (the ring as one
// object, key_ring). The association list and the timeouts object have
// the same JSON shape as the blocks they were.
func (r *functionResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return ringUpgrade{typ: "securestream_function",
		moved: map[string]string{"ciphertext": "ciphertext", "kms_key_id": "kms_key_id", "function_name": "function_name"}}.upgraders()
}
