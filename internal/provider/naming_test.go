package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// One naming scheme (issue 20, item 9), which this test holds every type
// the provider registers to:
//   - The key ring travels as one object, key_ring = {ciphertext,
//     kms_key_id, function_name}: securestream_secret exports it, and every
//     consumer (securestream_issuer, securestream_function, the data source
//     securestream_function_code, the data source and ephemeral resource
//     securestream_stream_key) takes it as one required argument, with no
//     separate ciphertext, secret_ciphertext or kms_key_id (only the secret
//     has those), and no kms_key_arn argument anywhere (an ARN is an output).
//   - function_name at the top level is only the issuer's Lambda function:
//     never on securestream_function, function_code or stream_key.
//   - Nested configuration is attributes, never blocks (timeouts = { ... },
//     association = [{ ... }]); names are lower snake_case; a write-only
//     *_wo argument has a *_wo_version sibling.
//   - The provider configuration alone keeps blocks (assume_role, endpoints,
//     default_tags): they mirror hashicorp/aws's provider arguments, which
//     users copy.

// ringConsumers are the types that need the key ring, by kind.
var ringConsumers = map[string]bool{
	"resource securestream_issuer": true, "resource securestream_function": true,
	"data source securestream_function_code": true, "data source securestream_stream_key": true,
	"ephemeral resource securestream_stream_key": true,
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// schemaAttr is what the walk asks of any schema package's attribute.
type schemaAttr interface {
	IsRequired() bool
	IsOptional() bool
	IsComputed() bool
	IsWriteOnly() bool
}

// nestedAttrs is the nested attributes of a nested attribute (of any
// schema package, by reflection: the framework's nested object type is
// internal), or nil.
func nestedAttrs(a any) map[string]any {
	m := reflect.ValueOf(a).MethodByName("GetNestedObject")
	if !m.IsValid() {
		return nil
	}
	obj := m.Call(nil)[0]
	return attrMap(obj.MethodByName("GetAttributes").Call(nil)[0])
}

// attrMap turns a map of any schema package's attributes into map[string]any.
func attrMap(v reflect.Value) map[string]any {
	out := map[string]any{}
	for _, k := range v.MapKeys() {
		out[k.String()] = v.MapIndex(k).Interface()
	}
	return out
}

// namingProblems are the type's departures from the scheme: kind is
// "resource", "data source" or "ephemeral resource", attrs its top-level
// attributes, blocks the names of its blocks.
func namingProblems(kind, typ string, attrs map[string]any, blocks []string) []string {
	var out []string
	where := kind + " " + typ
	bad := func(at, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s: %s", where, at, fmt.Sprintf(format, args...)))
	}
	for _, b := range blocks {
		bad(b, "is a block: nested configuration is an attribute (name = { ... } or name = [{ ... }])")
	}
	var walk func(prefix string, attrs map[string]any)
	walk = func(prefix string, attrs map[string]any) {
		for name, v := range attrs {
			at := prefix + name
			a, ok := v.(schemaAttr)
			if !ok {
				bad(at, "is no schema attribute (%T)", v)
				continue
			}
			if !snakeCase.MatchString(name) {
				bad(at, "is not lower snake_case")
			}
			if name == "kms_key_arn" && !a.IsComputed() {
				bad(at, "kms_key_arn is an argument: an ARN is an output; a key is named by kms_key_id (or in key_ring)")
			}
			if base, ok := strings.CutSuffix(name, "_wo"); ok {
				if !a.IsWriteOnly() {
					bad(at, "ends in _wo but is not write-only")
				}
				if _, ok := attrs[base+"_wo_version"]; !ok {
					bad(at, "is write-only without a %s_wo_version sibling", base)
				}
			}
			if nested := nestedAttrs(v); nested != nil {
				walk(at+".", nested)
			}
		}
	}
	walk("", attrs)
	if typ != "securestream_secret" {
		for _, name := range []string{"ciphertext", "secret_ciphertext", "kms_key_id"} {
			if _, ok := attrs[name]; ok {
				bad(name, "the ring travels as key_ring (= securestream_secret.<name>.key_ring), not as separate arguments")
			}
		}
	}
	switch typ {
	case "securestream_function", "securestream_function_code", "securestream_stream_key":
		if _, ok := attrs["function_name"]; ok {
			bad("function_name", "function_name is the issuer's Lambda function; the ring's is key_ring.function_name")
		}
	}
	if ringConsumers[where] {
		out = append(out, keyRingProblems(where, attrs["key_ring"])...)
	}
	sort.Strings(out)
	return out
}

// keyRingProblems checks a consumer's key_ring: a required argument of
// exactly the three required attributes ciphertext, kms_key_id and
// function_name.
func keyRingProblems(where string, v any) []string {
	if v == nil {
		return []string{where + ": key_ring: missing: a type that needs the ring takes key_ring = securestream_secret.<name>.key_ring"}
	}
	var out []string
	if a, ok := v.(schemaAttr); !ok || !a.IsRequired() {
		out = append(out, where+": key_ring: is not a required argument")
	}
	nested := nestedAttrs(v)
	var names []string
	for name, n := range nested {
		names = append(names, name)
		if a, ok := n.(schemaAttr); !ok || !a.IsRequired() {
			out = append(out, fmt.Sprintf("%s: key_ring.%s: is not required", where, name))
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "ciphertext,function_name,kms_key_id" {
		out = append(out, fmt.Sprintf("%s: key_ring: has attributes %v; want exactly ciphertext, kms_key_id and function_name", where, names))
	}
	return out
}

// Every registered type follows the scheme; each departure is named by its
// type and attribute path.
func TestNamingScheme(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range registeredSchemas(t) {
		seen[rt.kind+" "+rt.name] = true
		var blocks []string
		for _, k := range rt.schema.FieldByName("Blocks").MapKeys() {
			blocks = append(blocks, k.String())
		}
		for _, p := range namingProblems(rt.kind, rt.name, attrMap(rt.schema.FieldByName("Attributes")), blocks) {
			t.Error(p)
		}
	}
	for want := range ringConsumers {
		if !seen[want] {
			t.Errorf("%s is not registered: update ringConsumers", want)
		}
	}
}

// The provider configuration's only blocks are hashicorp/aws's.
func TestNamingSchemeProviderBlocks(t *testing.T) {
	var resp provider.SchemaResponse
	New("test", "")().Schema(context.Background(), provider.SchemaRequest{}, &resp)
	var got []string
	for name := range resp.Schema.Blocks {
		got = append(got, name)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "assume_role,default_tags,endpoints" {
		t.Errorf("provider blocks %v; want only assume_role, default_tags and endpoints (hashicorp/aws's, which users copy): "+
			"any other nested configuration is an attribute", got)
	}
	for name := range resp.Schema.Attributes {
		if !snakeCase.MatchString(name) {
			t.Errorf("provider: %s: is not lower snake_case", name)
		}
	}
}

// The walk finds each kind of departure in a schema made to break them
// all, so that TestNamingScheme cannot pass by finding nothing.
func TestNamingSchemeFindsDepartures(t *testing.T) {
	str := func(required, computed bool) rschema.StringAttribute {
		return rschema.StringAttribute{Required: required, Optional: !required && !computed, Computed: computed}
	}
	attrs := map[string]any{
		"ciphertext":    str(true, false),
		"function_name": str(true, false),
		"Bad_Name":      str(false, false),
		"nested": rschema.SingleNestedAttribute{Optional: true, Attributes: map[string]rschema.Attribute{
			"kms_key_arn": str(false, false),
		}},
		"token_wo": rschema.StringAttribute{Optional: true},
		"key_ring": rschema.SingleNestedAttribute{Optional: true, Attributes: map[string]rschema.Attribute{
			"ciphertext": str(true, false), "kms_key_id": str(false, false),
		}},
	}
	got := strings.Join(namingProblems("resource", "securestream_function", attrs, []string{"timeouts"}), "\n")
	for _, want := range []string{
		"resource securestream_function: timeouts: is a block",
		"resource securestream_function: ciphertext: the ring travels as key_ring",
		"resource securestream_function: function_name: function_name is the issuer's",
		"resource securestream_function: Bad_Name: is not lower snake_case",
		"resource securestream_function: nested.kms_key_arn: kms_key_arn is an argument",
		"resource securestream_function: token_wo: ends in _wo but is not write-only",
		"resource securestream_function: token_wo: is write-only without a token_wo_version sibling",
		"resource securestream_function: key_ring: is not a required argument",
		"resource securestream_function: key_ring.kms_key_id: is not required",
		"resource securestream_function: key_ring: has attributes [ciphertext kms_key_id]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the walk missed %q; it found:\n%s", want, got)
		}
	}
	if got := namingProblems("data source", "securestream_stream_key", map[string]any{}, nil); len(got) != 1 || !strings.Contains(got[0], "key_ring: missing") {
		t.Errorf("a consumer without key_ring: %v", got)
	}
}
