package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func issuerRing(function, ringFunction types.String, keyID string) issuerModel {
	return issuerModel{FunctionName: function,
		KeyRing: keyRingValue(types.StringValue("AQID"), types.StringValue(keyID), ringFunction)}
}

// A key_ring encrypted for another function than function_name is refused
// on key_ring.function_name, naming both and what to pass; unknown names
// wait for the plan that knows them.
func TestIssuerRingFunctionMismatch(t *testing.T) {
	m := issuerRing(types.StringValue("video-issuer"), types.StringValue("audio-issuer"), "k")
	diags := ringFunctionMismatch(&m)
	if diags.ErrorsCount() != 1 {
		t.Fatalf("want one error, got %v", diags)
	}
	d := diags.Errors()[0]
	if wp, ok := d.(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(path.Root("key_ring").AtName("function_name")) {
		t.Errorf("the error is not on key_ring.function_name: %v", d)
	}
	for _, want := range []string{`"audio-issuer"`, `"video-issuer"`, "key_ring = securestream_secret.<name>.key_ring",
		"function_name = securestream_secret.<name>.function_name"} {
		if !strings.Contains(d.Detail(), want) {
			t.Errorf("the detail lacks %s: %s", want, d.Detail())
		}
	}
	for _, m := range []issuerModel{
		issuerRing(types.StringValue("video-issuer"), types.StringValue("video-issuer"), "k"),
		issuerRing(types.StringUnknown(), types.StringValue("audio-issuer"), "k"),
		issuerRing(types.StringValue("video-issuer"), types.StringUnknown(), "k"),
		{FunctionName: types.StringValue("video-issuer"), KeyRing: types.ObjectUnknown(keyRingAttrTypes)},
	} {
		if d := ringFunctionMismatch(&m); d.HasError() {
			t.Errorf("%v: %v", m.KeyRing, d)
		}
	}
}

// kms_key_arn is planned without KMS when it can be: the state's while
// key_ring.kms_key_id stays, the id itself when it is a key ARN, unknown
// when the id is (or the provider cannot ask yet).
func TestIssuerPlanKeyARN(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	fn := types.StringValue("f")
	r := &issuerResource{}
	state := issuerRing(fn, fn, "alias/video")
	state.KMSKeyARN = types.StringValue(arn)
	for _, tc := range []struct {
		name     string
		plan     issuerModel
		creating bool
		want     types.String
	}{
		{"the state's alias", issuerRing(fn, fn, "alias/video"), false, types.StringValue(arn)},
		{"a key ARN", issuerRing(fn, fn, arn), true, types.StringValue(arn)},
		{"another alias, no client yet", issuerRing(fn, fn, "alias/other"), false, types.StringUnknown()},
		{"an alias at create, no client yet", issuerRing(fn, fn, "alias/video"), true, types.StringUnknown()},
		{"an unknown ring", issuerModel{FunctionName: fn, KeyRing: types.ObjectUnknown(keyRingAttrTypes)}, false, types.StringUnknown()},
	} {
		plan := tc.plan
		if d := r.planKeyARN(context.Background(), &plan, &state, tc.creating); d.HasError() {
			t.Errorf("%s: %v", tc.name, d)
		}
		if !plan.KMSKeyARN.Equal(tc.want) {
			t.Errorf("%s: kms_key_arn %v; want %v", tc.name, plan.KMSKeyARN, tc.want)
		}
	}
}
