package provider

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// attrSpec describes one attribute once for the schema packages: the
// stream key's for the data source and the ephemeral resource, the edge
// function's arguments for the data source and the resource.
type attrSpec struct {
	kind      attrKind
	required  bool
	computed  bool
	sensitive bool
	desc      string
	str       []validator.String
	i64       []validator.Int64
	strList   []validator.String // of each element of a list
}

// attrKind is the type of an attribute. The zero value is no kind, so that
// a spec that forgets it fails like an unknown kind.
type attrKind int

const (
	kindString attrKind = iota + 1
	kindTime            // a string in RFC 3339, optional
	kindInt64
	kindBool
	kindMap  // of strings, computed
	kindList // of strings
	kindRing // key_ring: a single nested attribute of ringAttrNames, each a required string
)

var stringType = types.StringType

// unknownKind is the panic of the converters below: it stops the provider
// when Terraform first asks for its schemas (and TestAttrSpecSchemas).
func unknownKind(name string, a attrSpec) string {
	return fmt.Sprintf("securestream: attribute %q has no known kind (%d): give its attrSpec one of the kind constants", name, a.kind)
}

// attrTypes are one schema package's attribute types, as zero values.
type attrTypes[A any] struct{ str, i64, boolean, mp, list, ring A }

// The schema packages' attribute types are distinct but have the same
// field names, so one converter fills any package's by name (reflect);
// TestAttrSpecSchemas builds every schema, so a field a package lacks
// panics there.

func resourceAttributes(specs map[string]attrSpec) map[string]rschema.Attribute {
	return schemaAttributes(specs, attrTypes[rschema.Attribute]{rschema.StringAttribute{}, rschema.Int64Attribute{},
		rschema.BoolAttribute{}, rschema.MapAttribute{}, rschema.ListAttribute{}, rschema.SingleNestedAttribute{}})
}

func dataSourceAttributes(specs map[string]attrSpec) map[string]dschema.Attribute {
	return schemaAttributes(specs, attrTypes[dschema.Attribute]{dschema.StringAttribute{}, dschema.Int64Attribute{},
		dschema.BoolAttribute{}, dschema.MapAttribute{}, dschema.ListAttribute{}, dschema.SingleNestedAttribute{}})
}

func ephemeralAttributes(specs map[string]attrSpec) map[string]eschema.Attribute {
	return schemaAttributes(specs, attrTypes[eschema.Attribute]{eschema.StringAttribute{}, eschema.Int64Attribute{},
		eschema.BoolAttribute{}, eschema.MapAttribute{}, eschema.ListAttribute{}, eschema.SingleNestedAttribute{}})
}

// schemaAttributes builds one schema package's attributes from their specs.
func schemaAttributes[A any](specs map[string]attrSpec, zeros attrTypes[A]) map[string]A {
	attrs := map[string]A{}
	for name, a := range specs {
		opt := !a.required && !a.computed
		var zero A
		var fields map[string]any
		switch a.kind {
		case kindString:
			zero, fields = zeros.str, map[string]any{"Required": a.required, "Optional": opt, "Computed": a.computed, "Sensitive": a.sensitive, "Validators": a.str}
		case kindTime:
			zero, fields = zeros.str, map[string]any{"CustomType": timetypes.RFC3339Type{}, "Optional": true, "Validators": a.str}
		case kindInt64:
			zero, fields = zeros.i64, map[string]any{"Required": a.required, "Optional": opt, "Computed": a.computed, "Sensitive": a.sensitive, "Validators": a.i64}
		case kindBool:
			zero, fields = zeros.boolean, map[string]any{"Required": a.required, "Optional": opt, "Computed": a.computed}
		case kindMap:
			zero, fields = zeros.mp, map[string]any{"Computed": true, "Sensitive": a.sensitive, "ElementType": stringType}
		case kindList:
			zero, fields = zeros.list, map[string]any{"Required": a.required, "Optional": opt, "Computed": a.computed, "ElementType": stringType,
				"Validators": []validator.List{listvalidator.ValueStringsAre(a.strList...)}}
		case kindRing:
			ring := map[string]A{}
			for name, desc := range ringAttrDescs {
				ring[name] = withFields(zeros.str, map[string]any{"Required": true, "MarkdownDescription": desc})
			}
			zero, fields = zeros.ring, map[string]any{"Required": true, "Attributes": ring}
		default:
			panic(unknownKind(name, a))
		}
		fields["MarkdownDescription"] = a.desc
		attrs[name] = withFields(zero, fields)
	}
	return attrs
}

// withFields is a copy of the struct in v with the named fields set.
func withFields[A any](v A, fields map[string]any) A {
	s := reflect.New(reflect.TypeOf(v)).Elem()
	s.Set(reflect.ValueOf(v))
	for name, x := range fields {
		s.FieldByName(name).Set(reflect.ValueOf(x))
	}
	a, _ := s.Interface().(A) // always: s has v's own type
	return a
}
