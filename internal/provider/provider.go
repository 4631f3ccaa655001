// Package provider implements the securestream Terraform provider: its
// schema, configuration and the list of resources, data sources and
// ephemeral resources it serves.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Address is the provider's source address on the Terraform Registry.
const Address = "registry.terraform.io/securestream/securestream"

var (
	_ provider.Provider                       = (*securestreamProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*securestreamProvider)(nil)
)

type securestreamProvider struct {
	version string
	commit  string
}

// New returns a factory for the provider. version is "dev" for local builds,
// "test" in acceptance tests and the release version in published builds.
func New(version, commit string) func() provider.Provider {
	return func() provider.Provider {
		return &securestreamProvider{version: version, commit: commit}
	}
}

func (p *securestreamProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "securestream"
	resp.Version = p.version
}

func (p *securestreamProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The securestream provider deploys short-lived, signed stream keys for HLS and DASH " +
			"video on Amazon CloudFront: a KMS-protected key ring, a Lambda issuer behind API Gateway and a " +
			"CloudFront Function that checks every manifest and segment request.",
	}
}

func (p *securestreamProvider) Configure(_ context.Context, _ provider.ConfigureRequest, _ *provider.ConfigureResponse) {
}

func (p *securestreamProvider) Resources(_ context.Context) []func() resource.Resource {
	return nil
}

func (p *securestreamProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return nil
}

func (p *securestreamProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return nil
}
