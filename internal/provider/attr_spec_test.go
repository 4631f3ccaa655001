package provider

import (
	"strings"
	"testing"
)

// Every schema builds: a spec with a kind the converters do not know
// panics here rather than dropping its attribute.
func TestAttrSpecSchemas(t *testing.T) {
	for _, rt := range registeredSchemas(t) {
		if n := rt.schema.FieldByName("Attributes").Len(); rt.diags.HasError() || n == 0 {
			t.Errorf("%s %s schema: %v, %d attributes", rt.kind, rt.name, rt.diags, n)
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
