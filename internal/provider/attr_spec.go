package provider

import (
	"fmt"

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
)

var stringType = types.StringType

// unknownKind is the panic of the converters below: it stops the provider
// when Terraform first asks for its schemas (and TestAttrSpecSchemas).
func unknownKind(name string, a attrSpec) string {
	return fmt.Sprintf("securestream: attribute %q has no known kind (%d): give its attrSpec one of the kind constants", name, a.kind)
}

// The three converters are the same switch over the same kinds: each
// schema package has its own attribute types.

// resourceAttributes builds a resource's attributes from their specs.
func resourceAttributes(specs map[string]attrSpec) map[string]rschema.Attribute {
	attrs := map[string]rschema.Attribute{}
	for name, a := range specs {
		opt := !a.required && !a.computed
		switch a.kind {
		case kindString:
			attrs[name] = rschema.StringAttribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.str}
		case kindTime:
			attrs[name] = rschema.StringAttribute{CustomType: timetypes.RFC3339Type{}, Optional: true, MarkdownDescription: a.desc, Validators: a.str}
		case kindInt64:
			attrs[name] = rschema.Int64Attribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.i64}
		case kindBool:
			attrs[name] = rschema.BoolAttribute{Required: a.required, Optional: opt, Computed: a.computed, MarkdownDescription: a.desc}
		case kindMap:
			attrs[name] = rschema.MapAttribute{Computed: true, Sensitive: a.sensitive, ElementType: stringType, MarkdownDescription: a.desc}
		case kindList:
			attrs[name] = rschema.ListAttribute{Required: a.required, Optional: opt, Computed: a.computed, ElementType: stringType,
				MarkdownDescription: a.desc, Validators: []validator.List{listvalidator.ValueStringsAre(a.strList...)}}
		default:
			panic(unknownKind(name, a))
		}
	}
	return attrs
}

// dataSourceAttributes builds a data source's attributes from their specs.
func dataSourceAttributes(specs map[string]attrSpec) map[string]dschema.Attribute {
	attrs := map[string]dschema.Attribute{}
	for name, a := range specs {
		opt := !a.required && !a.computed
		switch a.kind {
		case kindString:
			attrs[name] = dschema.StringAttribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.str}
		case kindTime:
			attrs[name] = dschema.StringAttribute{CustomType: timetypes.RFC3339Type{}, Optional: true, MarkdownDescription: a.desc, Validators: a.str}
		case kindInt64:
			attrs[name] = dschema.Int64Attribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.i64}
		case kindBool:
			attrs[name] = dschema.BoolAttribute{Required: a.required, Optional: opt, Computed: a.computed, MarkdownDescription: a.desc}
		case kindMap:
			attrs[name] = dschema.MapAttribute{Computed: true, Sensitive: a.sensitive, ElementType: stringType, MarkdownDescription: a.desc}
		case kindList:
			attrs[name] = dschema.ListAttribute{Required: a.required, Optional: opt, Computed: a.computed, ElementType: stringType,
				MarkdownDescription: a.desc, Validators: []validator.List{listvalidator.ValueStringsAre(a.strList...)}}
		default:
			panic(unknownKind(name, a))
		}
	}
	return attrs
}

// ephemeralAttributes builds an ephemeral resource's attributes from their
// specs.
func ephemeralAttributes(specs map[string]attrSpec) map[string]eschema.Attribute {
	attrs := map[string]eschema.Attribute{}
	for name, a := range specs {
		opt := !a.required && !a.computed
		switch a.kind {
		case kindString:
			attrs[name] = eschema.StringAttribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.str}
		case kindTime:
			attrs[name] = eschema.StringAttribute{CustomType: timetypes.RFC3339Type{}, Optional: true, MarkdownDescription: a.desc, Validators: a.str}
		case kindInt64:
			attrs[name] = eschema.Int64Attribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.i64}
		case kindBool:
			attrs[name] = eschema.BoolAttribute{Required: a.required, Optional: opt, Computed: a.computed, MarkdownDescription: a.desc}
		case kindMap:
			attrs[name] = eschema.MapAttribute{Computed: true, Sensitive: a.sensitive, ElementType: stringType, MarkdownDescription: a.desc}
		case kindList:
			attrs[name] = eschema.ListAttribute{Required: a.required, Optional: opt, Computed: a.computed, ElementType: stringType,
				MarkdownDescription: a.desc, Validators: []validator.List{listvalidator.ValueStringsAre(a.strList...)}}
		default:
			panic(unknownKind(name, a))
		}
	}
	return attrs
}
