package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nullSettings are the settings' attribute values, each null: the tests
// set the few they need.
func nullSettings() map[string]attr.Value {
	values := map[string]attr.Value{}
	for name, typ := range settingsAttrTypes() {
		switch typ {
		case types.BoolType:
			values[name] = types.BoolNull()
		case types.StringType:
			values[name] = types.StringNull()
		default:
			values[name] = types.ListNull(types.StringType)
		}
	}
	return values
}

// Settings written to the environment read back as they were: the import
// and the drift check depend on it.
func TestIssuerSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	values := nullSettings()
	values["auth"] = types.StringValue("jwt")
	values["allowed_hosts"] = stringList([]string{"media.example.com", "*.cdn.example.com"})
	values["bind_host"] = types.BoolValue(false)
	values["default_ttl"] = types.StringValue("30m")
	in, diags := types.ObjectValue(settingsAttrTypes(), values)
	if diags.HasError() {
		t.Fatal(diags)
	}
	env, known, diags := settingsEnv(ctx, in)
	if diags.HasError() || !known {
		t.Fatalf("settingsEnv: %v, known %v", diags, known)
	}
	want := map[string]string{"SECURESTREAM_AUTH": "jwt", "SECURESTREAM_ALLOWED_HOSTS": "media.example.com,*.cdn.example.com",
		"SECURESTREAM_BIND_HOST": "false", "SECURESTREAM_DEFAULT_TTL": "30m"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("environment %v, want %v", env, want)
	}
	out, diags := settingsFromEnv(env)
	if diags.HasError() || !out.Equal(in) {
		t.Fatalf("read back %v (%v), want %v", out, diags, in)
	}
	// The secrets and the ring are not settings.
	for _, s := range issuerSettings {
		if s.v.Name == envKeyring || sealedEnv(s.v.Name) {
			t.Fatalf("%s is a setting", s.v.Name)
		}
	}
}
