package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

const testStoreARN = "arn:aws:cloudfront::123456789012:key-value-store/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

func revocationListSchema(t *testing.T) schema.Schema {
	t.Helper()
	var resp resource.SchemaResponse
	NewRevocationListResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	return resp.Schema
}

// validString runs a string attribute's validators on v.
func validString(validators []validator.String, v string) error {
	for _, vd := range validators {
		var resp validator.StringResponse
		vd.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(v)}, &resp)
		if resp.Diagnostics.HasError() {
			return errors.New(resp.Diagnostics[0].Detail())
		}
	}
	return nil
}

// The revocation list is registered; a new name replaces the store (CloudFront
// cannot rename one); the name and the comment are checked as CloudFront
// checks them; the computed attributes keep their state across updates.
func TestRevocationListSchema(t *testing.T) {
	found := false
	for _, rt := range registeredSchemas(t) {
		found = found || (rt.kind == "resource" && rt.name == "securestream_revocation_list")
	}
	if !found {
		t.Fatal("securestream_revocation_list is not registered in provider.go")
	}
	s := revocationListSchema(t)
	n, ok := s.Attributes["name"].(schema.StringAttribute)
	if !ok || !n.Required || len(n.PlanModifiers) != 1 || !strings.Contains(n.PlanModifiers[0].Description(context.Background()), "destroy and recreate") {
		t.Errorf("name: %+v; want required, replaced on change", s.Attributes["name"])
	}
	for v, want := range map[string]bool{"revoked": true, "video_revoked-2": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "video.revoked": false, "video revoked": false} {
		if err := validString(n.Validators, v); (err == nil) != want {
			t.Errorf("name %q: %v; want valid = %v", v, err, want)
		}
	}
	c := s.Attributes["comment"].(schema.StringAttribute)
	if validString(c.Validators, strings.Repeat("c", 128)) != nil || validString(c.Validators, strings.Repeat("c", 129)) == nil {
		t.Error("comment: want at most 128 characters")
	}
	for _, a := range []string{"id", "arn", "status"} {
		at, ok := s.Attributes[a].(schema.StringAttribute)
		if !ok || !at.Computed || at.Optional || len(at.PlanModifiers) != 1 {
			t.Errorf("%s: %+v; want computed, kept from the state (UseStateForUnknown)", a, s.Attributes[a])
		}
	}
	if _, ok := s.Attributes["timeouts"]; !ok {
		t.Error("no timeouts attribute")
	}
}

// revocation_list takes a KeyValueStore's ARN, and nothing else that
// names a store or a function.
func TestRevocationListARNValidator(t *testing.T) {
	spec := functionCodeAttrs()["revocation_list"]
	for v, want := range map[string]bool{
		testStoreARN: true,
		"arn:aws:cloudfront::123456789012:key-value-store/0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0": true,
		"revoked":                              false, // the name
		"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0": false, // the id
		"arn:aws:cloudfront::123456789012:function/video-edge":                                 false,
		"arn:aws:cloudfront::12345678901:key-value-store/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0": false,
		testStoreARN + "x": false,
	} {
		if err := validString(spec.str, v); (err == nil) != want {
			t.Errorf("revocation_list %q: %v; want valid = %v", v, err, want)
		}
	}
	if spec.kind != kindString || spec.required || spec.computed {
		t.Errorf("revocation_list: %+v; want an optional string", spec)
	}
	if fc := functionCodeAttrs()["revocation_fail_closed"]; fc.kind != kindBool || fc.required || fc.computed {
		t.Errorf("revocation_fail_closed: %+v; want an optional bool", fc)
	}
}

// The renderer's configuration: no store, no check (the code of before);
// a store, the check, failing open by default and closed when asked;
// revocation_fail_closed without a store is an error on it.
func TestEdgeConfigRevocation(t *testing.T) {
	k, err := newRingKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc := &keyring.Document{Keys: []keyring.Key{k}}
	for _, c := range []struct {
		name       string
		store      types.String
		failClosed types.Bool
		want       *edgefunc.Revocation
		wantErr    string
	}{
		{"no store", types.StringNull(), types.BoolNull(), nil, ""},
		{"no store, fail open said", types.StringNull(), types.BoolValue(false), nil, ""},
		{"store", types.StringValue(testStoreARN), types.BoolNull(), &edgefunc.Revocation{}, ""},
		{"store, fail closed", types.StringValue(testStoreARN), types.BoolValue(true), &edgefunc.Revocation{FailClosed: true}, ""},
		{"fail closed without a store", types.StringNull(), types.BoolValue(true), nil, "revocation_fail_closed needs revocation_list"},
	} {
		m := functionCodeModel{RevocationList: c.store, RevocationFailClosed: c.failClosed,
			ExemptPaths: types.ListNull(types.StringType), CORSOrigins: types.ListNull(types.StringType)}
		cfg, diags := m.edgeConfig(context.Background(), doc)
		switch {
		case c.wantErr != "":
			if !diags.HasError() || diags[0].Summary() != c.wantErr || !diags[0].(interface{ Path() path.Path }).Path().Equal(path.Root("revocation_fail_closed")) {
				t.Errorf("%s: %v; want the error %q on revocation_fail_closed", c.name, diags, c.wantErr)
			}
		case diags.HasError():
			t.Errorf("%s: %v", c.name, diags)
		case (cfg.Revocation == nil) != (c.want == nil) || (c.want != nil && *cfg.Revocation != *c.want):
			t.Errorf("%s: Revocation %+v; want %+v", c.name, cfg.Revocation, c.want)
		}
	}
	// The rendered code differs with the check, and stays what it was
	// without it.
	m := functionCodeModel{RevocationList: types.StringNull(), ExemptPaths: types.ListNull(types.StringType), CORSOrigins: types.ListNull(types.StringType)}
	plain, _ := m.edgeConfig(context.Background(), doc)
	m.RevocationList = types.StringValue(testStoreARN)
	checked, _ := m.edgeConfig(context.Background(), doc)
	a, err1 := edgefunc.Render(plain)
	b, err2 := edgefunc.Render(checked)
	if err1 != nil || err2 != nil || string(a) == string(b) || !strings.Contains(string(b), "kvs") || strings.Contains(string(a), "kvs") {
		t.Errorf("rendered with and without the store: %v %v; want the kvs check only with it", err1, err2)
	}
}

// The function's configuration carries the store, and reads back as
// revocation_list; without one there is no association (an update
// without it removes the association).
func TestFunctionConfigStore(t *testing.T) {
	with := cfFunctionConfig(types.StringValue("c"), types.StringValue(testStoreARN))
	if with.Runtime != cftypes.FunctionRuntimeCloudfrontJs20 || aws.ToInt32(with.KeyValueStoreAssociations.Quantity) != 1 ||
		!storeOf(with).Equal(types.StringValue(testStoreARN)) {
		t.Errorf("with a store: %+v", with)
	}
	without := cfFunctionConfig(types.StringValue("c"), types.StringNull())
	if without.KeyValueStoreAssociations != nil || !storeOf(without).IsNull() || !storeOf(nil).IsNull() {
		t.Errorf("without a store: %+v", without)
	}
}

// An update that changes the store changes the function's status (it is
// no longer the published configuration): keepsStatus says no.
func TestKeepsStatusStoreChange(t *testing.T) {
	state := functionModel{Name: types.StringValue("f"), Publish: types.BoolValue(true), Comment: types.StringValue("c"),
		Associations: types.ListNull(associationType), Status: types.StringValue("DEPLOYED")}
	state.CodeSHA256, state.LiveCodeSHA256 = types.StringValue("h"), types.StringValue("h")
	state.RevocationList = types.StringNull()
	plan := state
	if !keepsStatus(plan, state) {
		t.Fatal("the same function: keepsStatus false")
	}
	plan.RevocationList = types.StringValue(testStoreARN)
	if keepsStatus(plan, state) {
		t.Error("a new revocation_list: keepsStatus true")
	}
}

// The refusal of a destroy names the resource, the call, every function
// and the fix.
func TestStoreInUseDiagnostic(t *testing.T) {
	for _, users := range [][]string{{"video-edge"}, {"edge-a", "edge-b"}} {
		d := storeInUse("revoked", testStoreARN, users, nil)
		got := d.Summary() + "\n" + d.Detail()
		for _, want := range append([]string{"securestream_revocation_list revoked", testStoreARN, "cloudfront:DeleteKeyValueStore",
			"KeyValueStoreAssociations", "Remove revocation_list from the securestream_function", "then destroy again", "create_before_destroy"}, users...) {
			if !strings.Contains(got, want) {
				t.Errorf("users %v: the diagnostic lacks %q:\n%s", users, want, got)
			}
		}
	}
	d := storeInUse("revoked", testStoreARN, []string{"video-edge"}, &cftypes.CannotDeleteEntityWhileInUse{Message: aws.String("in use")})
	if !strings.Contains(d.Detail(), "CloudFront answered") || !strings.Contains(d.Detail(), "CannotDeleteEntityWhileInUse") {
		t.Errorf("CloudFront's answer is not in the detail: %s", d.Detail())
	}
	if !associates(cfFunctionConfig(types.StringValue("c"), types.StringValue(testStoreARN)), testStoreARN) ||
		associates(cfFunctionConfig(types.StringValue("c"), types.StringNull()), testStoreARN) {
		t.Error("associates: wrong answer")
	}
}
