package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// UpgradeState moves a version 0 state (the ring as secret_ciphertext and
// kms_key_arn, for function_name) to version 1: key_ring{ciphertext,
// kms_key_id, function_name}, through the raw JSON (upgradeRawState, as
// securestream_function's). function_name stays the issuer's, and
// kms_key_arn stays too, now computed: the ARN key_ring.kms_key_id
// resolves to (it was one already). The timeouts object has the same JSON
// shape as the block it was.
func (r *issuerResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {StateUpgrader: func(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
			upgradeRawState(req, resp, "securestream_issuer", map[string]string{
				"ciphertext": "secret_ciphertext", "kms_key_id": "kms_key_arn", "function_name": "function_name"},
				map[string]bool{"function_name": true, "kms_key_arn": true})
			nullRingWithoutCiphertext(resp)
		}},
	}
}

// nullRingWithoutCiphertext makes key_ring null when its ciphertext and
// key are (an import of a function without the ring read none): the
// issuer's function_name, always set, alone is no ring (keyRingValue).
func nullRingWithoutCiphertext(resp *resource.UpgradeStateResponse) {
	if resp.Diagnostics.HasError() || resp.DynamicValue == nil {
		return
	}
	var state map[string]any
	if err := json.Unmarshal(resp.DynamicValue.JSON, &state); err != nil {
		return // upgradeRawState wrote it: a JSON object
	}
	ring, _ := state["key_ring"].(map[string]any)
	if ring == nil || ring["ciphertext"] != nil || ring["kms_key_id"] != nil {
		return
	}
	state["key_ring"] = nil
	b, err := json.Marshal(state)
	if err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", "securestream_issuer: "+err.Error())
		return
	}
	resp.DynamicValue = &tfprotov6.DynamicValue{JSON: b}
}
