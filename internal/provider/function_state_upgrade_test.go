package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// upgradeState feeds a state JSON of version through the provider
// server's UpgradeResourceState, and decodes the result against the
// resource's current schema.
func upgradeState(t *testing.T, r resource.Resource, typ string, version int64, json string) map[string]tftypes.Value {
	t.Helper()
	ctx := context.Background()
	srv := providerserver.NewProtocol6(New("test", "none")())()
	// The server answers only after GetProviderSchema, as Terraform calls it.
	if _, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
		TypeName: typ, Version: version, RawState: &tfprotov6.RawState{JSON: []byte(json)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("UpgradeResourceState: %s: %s", d.Summary, d.Detail)
	}
	if resp.UpgradedState == nil {
		t.Fatal("UpgradeResourceState gave no state")
	}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	v, err := resp.UpgradedState.Unmarshal(sr.Schema.Type().TerraformType(ctx))
	if err != nil {
		t.Fatalf("the upgraded state does not decode against the current schema: %v", err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	return attrs
}

// stringAt is the string at the path of names in v ("" when null).
func stringAt(t *testing.T, v tftypes.Value, names ...string) string {
	t.Helper()
	for _, n := range names {
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			t.Fatalf("%v: %v", names, err)
		}
		v = m[n]
	}
	var s *string
	if err := v.As(&s); err != nil {
		t.Fatalf("%v: %v", names, err)
	}
	if s == nil {
		return ""
	}
	return *s
}

// A state of version 0 (the ring as ciphertext, kms_key_id and
// function_name; association and timeouts written as blocks) upgrades to
// version 1: the ring moves into key_ring, the rest stays.
func TestUpgradeFunctionStateV0(t *testing.T) {
	const v0 = `{
  "id": "edge", "name": "edge", "comment": "securestream edge function", "publish": true, "wait_for_deployment": false,
  "ciphertext": "AQIDAHh0ZXN0", "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  "function_name": "issuer-fn",
  "token_header": null, "token_query": null, "token_cookie": null, "token_path_prefix": null,
  "seed_compat": null, "max_lifetime": null, "leeway": null, "exempt_paths": null, "report_only": null,
  "preflight_needs_token": null, "cors_origins": ["https://player.example.com"], "cors_max_age": null, "debug_reasons": null,
  "association": [{"distribution_id": "E1EXAMPLE", "path_pattern": "/live/*", "event_type": "viewer-request", "replace_existing": false}],
  "arn": "arn:aws:cloudfront::123456789012:function/edge", "etag": "E1", "live_etag": "E2", "status": "DEPLOYED",
  "code_sha256": "00", "live_code_sha256": "00", "code_size": 1000, "key_ids": ["k1"], "deployment_status": null,
  "timeouts": {"create": "10m", "read": null, "update": null, "delete": null}
}`
	attrs := upgradeState(t, NewFunctionResource(), "securestream_function", 0, v0)
	for name, want := range map[string]string{
		"ciphertext":    "AQIDAHh0ZXN0",
		"kms_key_id":    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"function_name": "issuer-fn",
	} {
		if got := stringAt(t, attrs["key_ring"], name); got != want {
			t.Errorf("key_ring.%s = %q; want %q", name, got, want)
		}
		if _, ok := attrs[name]; ok {
			t.Errorf("%s is still a top-level attribute", name)
		}
	}
	var assocs []tftypes.Value
	if err := attrs["association"].As(&assocs); err != nil || len(assocs) != 1 {
		t.Fatalf("association: %v, %v", assocs, err)
	}
	if got := stringAt(t, assocs[0], "path_pattern"); got != "/live/*" {
		t.Errorf("association[0].path_pattern = %q", got)
	}
	if got := stringAt(t, attrs["timeouts"], "create"); got != "10m" {
		t.Errorf("timeouts.create = %q", got)
	}
	if got := stringAt(t, attrs["name"]); got != "edge" {
		t.Errorf("name = %q", got)
	}
}

// A version 0 state without timeouts and associations (null) upgrades
// too; an unreadable one is refused with the way out.
func TestUpgradeFunctionStateV0Nulls(t *testing.T) {
	attrs := upgradeState(t, NewFunctionResource(), "securestream_function", 0,
		`{"id":"edge","name":"edge","ciphertext":"AQID","kms_key_id":"k","function_name":"f","association":null,"timeouts":null}`)
	if !attrs["association"].IsNull() || !attrs["timeouts"].IsNull() {
		t.Errorf("association %v, timeouts %v; want null", attrs["association"], attrs["timeouts"])
	}
	if got := stringAt(t, attrs["key_ring"], "ciphertext"); got != "AQID" {
		t.Errorf("key_ring.ciphertext = %q", got)
	}
	var resp resource.UpgradeStateResponse
	ringUpgrade{typ: "securestream_function", moved: map[string]string{"ciphertext": "ciphertext"}}.upgrade(context.Background(),
		resource.UpgradeStateRequest{RawState: &tfprotov6.RawState{JSON: []byte(`[1]`)}}, &resp)
	if !resp.Diagnostics.HasError() || resp.DynamicValue != nil {
		t.Errorf("a state that is no JSON object: %v", resp.Diagnostics)
	}
}
