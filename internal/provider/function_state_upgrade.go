package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// UpgradeState moves a version 0 state (the ring as the three arguments
// ciphertext, kms_key_id and function_name) to version 1 (the ring as one
// object, key_ring). The association list and the timeouts object have
// the same JSON shape as the blocks they were.
func (r *functionResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {StateUpgrader: func(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
			upgradeRawState(req, resp, "securestream_function", map[string]string{
				"ciphertext": "ciphertext", "kms_key_id": "kms_key_id", "function_name": "function_name"}, nil)
		}},
	}
}

// upgradeRawState moves the top-level attributes of a raw JSON state into
// key_ring: moved maps each of key_ring's attributes to the old attribute
// it comes from, and kept names old attributes that stay where they are
// as well (copied, not moved). A state whose old attributes are all null
// gets a null key_ring.
func upgradeRawState(req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse, typ string, moved map[string]string, kept map[string]bool) {
	if req.RawState == nil || req.RawState.JSON == nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", typ+": the state of schema version 0 has no JSON to upgrade. "+
			"Remove the resource from the state (terraform state rm) and import it again.")
		return
	}
	var state map[string]any
	if err := json.Unmarshal(req.RawState.JSON, &state); err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", typ+": the state of schema version 0 is not a JSON object ("+err.Error()+"). "+
			"Remove the resource from the state (terraform state rm) and import it again.")
		return
	}
	ring := map[string]any{}
	found := false
	for to, from := range moved {
		ring[to] = state[from]
		if state[from] != nil {
			found = true
		}
		if !kept[from] {
			delete(state, from)
		}
	}
	if found {
		state["key_ring"] = ring
	} else {
		state["key_ring"] = nil
	}
	b, err := json.Marshal(state)
	if err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", typ+": "+err.Error())
		return
	}
	resp.DynamicValue = &tfprotov6.DynamicValue{JSON: b}
}
