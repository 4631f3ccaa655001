package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
)

// The two sides of the issuer's environment contract agree: every variable
// of config.Variables is a setting (or one the resource sets itself) of the
// type its kind says, required as the table says, documented with its
// meaning and default; every setting is a variable of the table.
func TestIssuerSettingsMatchConfigVariables(t *testing.T) {
	attrs := settingsSchema().Attributes
	own := map[string]bool{envKeyring: true, envKMSKeyID: true}
	for _, s := range sealedSettings {
		own[s.env] = true
	}
	seen := map[string]bool{}
	for _, v := range config.Variables {
		name := strings.ToLower(strings.TrimPrefix(v.Name, envPrefix))
		a, ok := attrs[name]
		if own[v.Name] {
			if ok {
				t.Errorf("%s is set by the resource, and is also the setting %s", v.Name, name)
			}
			if v.Kind != config.KindString {
				t.Errorf("%s is set by the resource as a string but is a %s", v.Name, v.Kind)
			}
			delete(own, v.Name)
			continue
		}
		if !ok {
			t.Errorf("%s has no setting %s", v.Name, name)
			continue
		}
		seen[name] = true
		switch v.Kind {
		case config.KindList:
			if l, ok := a.(schema.ListAttribute); !ok || l.ElementType != types.StringType {
				t.Errorf("%s is a list, its setting a %T", v.Name, a)
			}
		case config.KindBool:
			if _, ok := a.(schema.BoolAttribute); !ok {
				t.Errorf("%s is a bool, its setting a %T", v.Name, a)
			}
		case config.KindString, config.KindDuration:
			if _, ok := a.(schema.StringAttribute); !ok {
				t.Errorf("%s is a %s, its setting a %T", v.Name, v.Kind, a)
			}
		default:
			t.Errorf("%s has a kind the provider does not know: %s", v.Name, v.Kind)
		}
		if a.IsRequired() != v.Required || a.IsOptional() == v.Required {
			t.Errorf("%s: required %v in the table, setting %s required %v optional %v", v.Name, v.Required, name, a.IsRequired(), a.IsOptional())
		}
		doc := a.GetMarkdownDescription()
		if !strings.HasPrefix(doc, v.Meaning+" (`"+v.Name+"`") {
			t.Errorf("%s: the setting's description does not start with its meaning and name: %s", v.Name, doc)
		}
		if hasDefault := strings.Contains(doc, "; default `"+v.Default+"`"); hasDefault != (v.Default != "") {
			t.Errorf("%s: default %q, description %s", v.Name, v.Default, doc)
		}
		if len(v.OneOf) > 0 {
			checkOneOf(t, v, a)
		}
	}
	for name := range attrs {
		if !seen[name] {
			t.Errorf("the setting %s is no variable of config.Variables", name)
		}
	}
	for name := range own {
		t.Errorf("the resource sets %s, which is not in config.Variables", name)
	}
}

// checkOneOf: the setting accepts the values the table lists and no other.
func checkOneOf(t *testing.T, v config.Variable, a schema.Attribute) {
	t.Helper()
	sa, ok := a.(schema.StringAttribute)
	if !ok {
		t.Errorf("%s lists values but its setting is a %T", v.Name, a)
		return
	}
	valid := func(s string) bool {
		var diags []string
		for _, val := range sa.Validators {
			resp := &validator.StringResponse{}
			val.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("settings"), ConfigValue: types.StringValue(s)}, resp)
			for _, d := range resp.Diagnostics.Errors() {
				diags = append(diags, d.Detail())
			}
		}
		return len(diags) == 0
	}
	for _, s := range v.OneOf {
		if !valid(s) {
			t.Errorf("%s: the setting refuses %q", v.Name, s)
		}
	}
	if valid("not-" + v.OneOf[0]) {
		t.Errorf("%s: the setting accepts a value the table does not list", v.Name)
	}
}

// What the settings write is what the issuer reads: every setting given
// its variable's default (and the required ones a value) loads as the
// issuer's own defaults do.
func TestIssuerSettingsWriteWhatConfigReads(t *testing.T) {
	required := map[string]string{"SECURESTREAM_AUTH": "none", "SECURESTREAM_ALLOWED_HOSTS": "media.example.com"}
	values := map[string]attr.Value{}
	for _, s := range issuerSettings {
		raw, ok := required[s.v.Name]
		if !ok {
			raw = s.v.Default
		}
		switch {
		case raw == "":
			values[s.attr] = nullOf(s.attrType())
		case s.v.Kind == config.KindList:
			values[s.attr] = stringList(strings.Split(raw, ","))
		case s.v.Kind == config.KindBool:
			values[s.attr] = types.BoolValue(raw == "true")
		default:
			values[s.attr] = types.StringValue(raw)
		}
	}
	o, diags := types.ObjectValue(settingsAttrTypes(), values)
	if diags.HasError() {
		t.Fatal(diags)
	}
	env, known, diags := settingsEnv(context.Background(), o)
	if diags.HasError() || !known {
		t.Fatalf("settingsEnv: %v, known %v", diags, known)
	}
	fixed := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "securestream-issuer", envKeyring: "a-ciphertext"}
	for k, v := range fixed {
		env[k] = v
	}
	got, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the settings' defaults: %v", err)
	}
	for k, v := range fixed {
		required[k] = v
	}
	want, err := config.Load(func(k string) string { return required[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the settings' defaults load as\n%+v\nthe issuer's defaults as\n%+v", got, want)
	}
}

func nullOf(t attr.Type) attr.Value {
	switch t {
	case types.BoolType:
		return types.BoolNull()
	case types.StringType:
		return types.StringNull()
	}
	return types.ListNull(types.StringType)
}
