package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A state written before key_ring (null there) plans key_ring known, from
// the state's ciphertext, kms_key_arn and function_name, so that the
// consumers that take it plan no change after the upgrade; a change that
// re-seals the ring (a new function_name) plans it unknown. (Without the
// framework's private state, which a unit test cannot make, ModifyPlan
// takes the ring for one to re-seal: the known case calls planKeyRing.)
func TestSecretPlansKeyRingFromAnOldState(t *testing.T) {
	ctx := context.Background()
	r := &secretResource{resourceBase: resourceBase{providerData{now: time.Now}}}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	const arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyType := typ.AttributeTypes["keys"].(tftypes.List).ElementType.(tftypes.Object)
	key := tftypes.NewValue(keyType, map[string]tftypes.Value{"kid": tfString("k1"), "created": tfString("2026-01-01T00:00:00Z"),
		"seed": tftypes.NewValue(tftypes.Bool, false)})
	state := func(fn string) tftypes.Value {
		return withNulls(typ, map[string]tftypes.Value{
			"id": tfString("1234abcd-12ab-34cd-56ef-1234567890ab"), "function_name": tfString(fn), "kms_key_arn": tfString(arn),
			"manages_kms_key": tftypes.NewValue(tftypes.Bool, true), "activation_delay": tfString("10m"), "max_token_lifetime": tfString("24h"),
			"ciphertext": tfString("AQIDAHh0ZXN0"), "keys": tftypes.NewValue(typ.AttributeTypes["keys"], []tftypes.Value{key}),
			"newest_key_id": tfString("k1"), "rotated_at": tfString("2026-01-01T00:00:00Z"),
		})
	}
	config := func(fn string) tftypes.Value {
		return withNulls(typ, map[string]tftypes.Value{"function_name": tfString(fn), "activation_delay": tfString("10m"),
			"max_token_lifetime": tfString("24h")})
	}
	plan := func(fn string) resource.ModifyPlanResponse {
		old := state("issuer-fn")
		proposed := state(fn)
		req := resource.ModifyPlanRequest{
			Config: tfsdk.Config{Schema: sr.Schema, Raw: config(fn)},
			State:  tfsdk.State{Schema: sr.Schema, Raw: old},
			Plan:   tfsdk.Plan{Schema: sr.Schema, Raw: proposed},
		}
		resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sr.Schema, Raw: proposed}}
		r.ModifyPlan(ctx, req, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatalf("ModifyPlan: %s", summaries(resp.Diagnostics))
		}
		return resp
	}
	// The plan of an unchanged secret whose state has no key_ring yet.
	resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sr.Schema, Raw: state("issuer-fn")}}
	resp.Diagnostics.Append(planKeyRing(ctx, &resp)...)
	var ring types.Object
	resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("key_ring"), &ring)...)
	want := keyRingValue(types.StringValue("AQIDAHh0ZXN0"), types.StringValue(arn), types.StringValue("issuer-fn"))
	if !ring.Equal(want) {
		t.Errorf("planned key_ring %v; want %v", ring, want)
	}
	// Through ModifyPlan: the proposed key_ring (null) is planned.
	resp = plan("renamed-fn")
	resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("key_ring"), &ring)...)
	if !ring.IsUnknown() {
		t.Errorf("a re-sealed ring: planned key_ring %v; want unknown", ring)
	}
}
