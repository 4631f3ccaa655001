package provider

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// ringUpgrade is the state upgrade of a ring consumer from version 0 (the
// ring as separate top-level attributes) to version 1 (the ring as one
// object, key_ring), through the raw JSON: version 0's schema is not
// declared again, and its blocks (associations, timeouts) have the same
// JSON shape as the attributes they became.
type ringUpgrade struct {
	typ string
	// moved maps each of key_ring's attributes to the old attribute it
	// comes from.
	moved map[string]string
	// kept names old attributes that stay where they are as well (copied,
	// not moved).
	kept map[string]bool
	// ringOf names the key_ring attributes that make a ring: key_ring is
	// null when they all are (all of them when empty).
	ringOf []string
}

// upgraders is the resource's UpgradeState.
func (u ringUpgrade) upgraders() map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{0: {StateUpgrader: u.upgrade}}
}

func (u ringUpgrade) upgrade(_ context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	if req.RawState == nil || req.RawState.JSON == nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", u.typ+": the state of schema version 0 has no JSON to upgrade. "+
			"Remove the resource from the state (terraform state rm) and import it again.")
		return
	}
	var state map[string]any
	if err := json.Unmarshal(req.RawState.JSON, &state); err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", u.typ+": the state of schema version 0 is not a JSON object ("+err.Error()+"). "+
			"Remove the resource from the state (terraform state rm) and import it again.")
		return
	}
	ring := map[string]any{}
	for to, from := range u.moved {
		ring[to] = state[from]
		if !u.kept[from] {
			delete(state, from)
		}
	}
	state["key_ring"] = nil
	for to, v := range ring {
		if v != nil && (len(u.ringOf) == 0 || slices.Contains(u.ringOf, to)) {
			state["key_ring"] = ring
		}
	}
	b, err := json.Marshal(state)
	if err != nil {
		resp.Diagnostics.AddError("Cannot upgrade the state", u.typ+": "+err.Error())
		return
	}
	resp.DynamicValue = &tfprotov6.DynamicValue{JSON: b}
}
