package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
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
