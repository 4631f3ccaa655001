package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
)

// NewFunctionCodeDataSource is data "securestream_function_code".
func NewFunctionCodeDataSource() datasource.DataSource { return &functionCodeDataSource{} }

type functionCodeDataSource struct{ dataSourceBase }

type functionCodeDataModel struct {
	functionCodeModel
	codeFactsModel
	Code    types.String `tfsdk:"code"`
	Runtime types.String `tfsdk:"runtime"`
}

func (d *functionCodeDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_function_code"
}

func (d *functionCodeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := dataSourceAttributes(functionCodeAttrs())
	attrs["code"] = schema.StringAttribute{Computed: true, Sensitive: true,
		MarkdownDescription: "The function's code, with the ring's keys in it: the `code` of an `aws_cloudfront_function`."}
	attrs["code_sha256"] = schema.StringAttribute{Computed: true, MarkdownDescription: "SHA-256 of the code, in hex."}
	attrs["code_size"] = schema.Int64Attribute{Computed: true, MarkdownDescription: "Size of the code in bytes (CloudFront's limit: 10,240)."}
	attrs["key_ids"] = schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Ids of the keys the code holds."}
	attrs["runtime"] = schema.StringAttribute{Computed: true, MarkdownDescription: "The runtime the code needs: `" + edgefunc.Runtime + "`."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The edge function's code, rendered from the key ring, for those who manage the CloudFront Function with " +
			"the AWS provider's `aws_cloudfront_function`. With `revocation_list`, give that function the same store in " +
			"`key_value_store_associations` (and the `runtime` below), or the code cannot read it.\n\n" +
			"~> **The code holds the ring's keys, and this data source puts it in the state** (and in the state of the " +
			"`aws_cloudfront_function` that uses it): anyone who can read the state can sign stream keys. Prefer the " +
			"`securestream_function` resource, which deploys the same code and stores only its hash; use this data source only where " +
			"the state is protected like a secret.",
		Attributes: attrs,
	}
}

func (d *functionCodeDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readDataSource(ctx, &d.providerData, req, resp, func(m *functionCodeDataModel) diag.Diagnostics {
		rc, diags := m.render(ctx, d.clients)
		if diags.HasError() {
			return diags
		}
		m.Code, m.CodeSHA256, m.CodeSize = types.StringValue(string(rc.code)), types.StringValue(rc.sha256), types.Int64Value(int64(len(rc.code)))
		m.Runtime = types.StringValue(edgefunc.Runtime)
		ids, d2 := types.ListValueFrom(ctx, types.StringType, rc.keyIDs)
		m.KeyIDs = ids
		return append(diags, d2...)
	})
}
