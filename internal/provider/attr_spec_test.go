package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Every schema builds: a spec with a kind the converters do not know
// panics here rather than dropping its attribute.
func TestAttrSpecSchemas(t *testing.T) {
	ctx := context.Background()
	p := New("test", "")().(*securestreamProvider)
	for _, f := range p.Resources(ctx) {
		var resp resource.SchemaResponse
		f().Schema(ctx, resource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() || len(resp.Schema.Attributes) == 0 {
			t.Errorf("resource schema: %v, %d attributes", resp.Diagnostics, len(resp.Schema.Attributes))
		}
	}
	for _, f := range p.DataSources(ctx) {
		var resp datasource.SchemaResponse
		f().Schema(ctx, datasource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() || len(resp.Schema.Attributes) == 0 {
			t.Errorf("data source schema: %v, %d attributes", resp.Diagnostics, len(resp.Schema.Attributes))
		}
	}
	for _, f := range p.EphemeralResources(ctx) {
		var resp ephemeral.SchemaResponse
		f().Schema(ctx, ephemeral.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() || len(resp.Schema.Attributes) == 0 {
			t.Errorf("ephemeral resource schema: %v, %d attributes", resp.Diagnostics, len(resp.Schema.Attributes))
		}
	}
	// Each spec's attributes all arrive, in each schema package.
	for name, specs := range map[string]map[string]attrSpec{"stream key": streamKeyAttrs(), "function code": functionCodeAttrs()} {
		if got := len(resourceAttributes(specs)); got != len(specs) {
			t.Errorf("%s: %d resource attributes of %d specs", name, got, len(specs))
		}
		if got := len(dataSourceAttributes(specs)); got != len(specs) {
			t.Errorf("%s: %d data source attributes of %d specs", name, got, len(specs))
		}
		if got := len(ephemeralAttributes(specs)); got != len(specs) {
			t.Errorf("%s: %d ephemeral attributes of %d specs", name, got, len(specs))
		}
	}
}

// A spec without a kind, or with one beyond the constants, stops every
// converter with a message that names the attribute.
func TestAttrSpecUnknownKind(t *testing.T) {
	converters := map[string]func(map[string]attrSpec){
		"resource":    func(s map[string]attrSpec) { resourceAttributes(s) },
		"data source": func(s map[string]attrSpec) { dataSourceAttributes(s) },
		"ephemeral":   func(s map[string]attrSpec) { ephemeralAttributes(s) },
	}
	for name, convert := range converters {
		for _, kind := range []attrKind{0, kindRing + 1} {
			func() {
				defer func() {
					if msg, _ := recover().(string); !strings.Contains(msg, `"misspelt"`) {
						t.Errorf("%s, kind %d: panic %q; want one naming the attribute", name, kind, msg)
					}
				}()
				convert(map[string]attrSpec{"misspelt": {kind: kind, desc: "x"}})
			}()
		}
	}
}
