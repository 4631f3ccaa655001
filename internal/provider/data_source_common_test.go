package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// registeredTypes is every resource, data source and ephemeral resource
// the provider registers, made new.
func registeredTypes() []any {
	ctx := context.Background()
	p := New("test", "")().(*securestreamProvider)
	var all []any
	for _, f := range p.Resources(ctx) {
		all = append(all, f())
	}
	for _, f := range p.DataSources(ctx) {
		all = append(all, f())
	}
	for _, f := range p.EphemeralResources(ctx) {
		all = append(all, f())
	}
	return all
}

// registeredType is one of registeredTypes with its kind, its type name
// and its schema: the schema package's Schema, as a reflect.Value (the
// three packages' schemas have the same field names).
type registeredType struct {
	kind, name string
	schema     reflect.Value
	diags      diag.Diagnostics
}

// callMethod calls v's framework method (Metadata, Schema, Create, ...)
// through reflection, with a new request that set fills in (nil: the
// zero request), and returns the response: the three framework packages'
// methods differ only in their request and response types.
func callMethod(v any, method string, set func(req reflect.Value)) reflect.Value {
	m := reflect.ValueOf(v).MethodByName(method)
	req, resp := reflect.New(m.Type().In(1)).Elem(), reflect.New(m.Type().In(2).Elem())
	if set != nil {
		set(req)
	}
	m.Call([]reflect.Value{reflect.ValueOf(context.Background()), req, resp})
	return resp.Elem()
}

// responseDiags is the diagnostics of a response callMethod returned.
func responseDiags(resp reflect.Value) diag.Diagnostics {
	return resp.FieldByName("Diagnostics").Interface().(diag.Diagnostics)
}

// registeredSchemas is registeredTypes with their names and schemas
// (callMethod).
func registeredSchemas(t *testing.T) []registeredType {
	t.Helper()
	var out []registeredType
	for _, v := range registeredTypes() {
		var rt registeredType
		switch v.(type) {
		case resource.Resource:
			rt.kind = "resource"
		case datasource.DataSource:
			rt.kind = "data source"
		case ephemeral.EphemeralResource:
			rt.kind = "ephemeral resource"
		default:
			t.Fatalf("%T is no resource, data source or ephemeral resource", v)
		}
		rt.name = callMethod(v, "Metadata", func(req reflect.Value) {
			req.FieldByName("ProviderTypeName").SetString("securestream")
		}).FieldByName("TypeName").String()
		resp := callMethod(v, "Schema", nil)
		rt.schema, rt.diags = resp.FieldByName("Schema"), responseDiags(resp)
		out = append(out, rt)
	}
	return out
}

// Every resource, data source and ephemeral resource the provider
// registers takes the provider's configuration (its clients and clock)
// through its embedded base: without Configure the framework would never
// hand it over, and every call would fail as not configured.
func TestEveryTypeTakesTheProviderConfiguration(t *testing.T) {
	for _, v := range registeredTypes() {
		switch v.(type) {
		case resource.ResourceWithConfigure, datasource.DataSourceWithConfigure, ephemeral.EphemeralResourceWithConfigure:
		default:
			t.Errorf("%T has no Configure: embed resourceBase, dataSourceBase or ephemeralBase", v)
		}
	}
}
