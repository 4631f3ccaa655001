package provider

import (
	"context"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// NewStreamKeyDataSource is data "securestream_stream_key".
func NewStreamKeyDataSource() datasource.DataSource { return &streamKeyDataSource{minter: newMinter()} }

type streamKeyDataSource struct {
	dataSourceBase
	minter
}

// streamKeyModelDS is the shared model with this one's timeouts.
type streamKeyModelDS struct {
	streamKeyModel
	Timeouts dstimeouts.Value `tfsdk:"timeouts"`
}

func (d *streamKeyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stream_key"
}

func (d *streamKeyDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := dataSourceAttributes(streamKeyAttrs())
	attrs["timeouts"] = dstimeouts.AttributesWithOpts(ctx, dstimeouts.Opts{ReadDescription: streamKeyTimeoutDesc})
	resp.Schema = schema.Schema{
		MarkdownDescription: "Mints a stream key exactly as the issuer would, for tests during plan and apply: the token (`ss1`, or a " +
			"CTA-5007 Common Access Token with `format = \"cat\"`), its expiry and the ready-to-use forms (headers, query string, " +
			"path-prefixed URL, cookie, a `curl` command line), or a seed-format key.\n\n" +
			"When every argument is known, the key is minted during the plan, and again at every read. For a key that stays the same, " +
			"so that plans settle, set `not_before` and `expires_at` (for example from the secret's `rotated_at` with `timeadd`, as below) " +
			"and leave `session_id` unset: with the default `not_before` (now), the key, and any output that shows it, changes at every " +
			"plan. For a fresh key at every run, use the ephemeral resource `securestream_stream_key`.\n\n" +
			"~> **The key is stored in the state.** A data source's result is saved in the Terraform state (the token attributes are marked " +
			"sensitive, which hides them from the plan output only). It is a working bearer credential until it expires: keep lifetimes short, " +
			"or use the ephemeral resource `securestream_stream_key`, which is never stored.",
		Attributes: attrs,
	}
}

var _ datasource.DataSourceWithValidateConfig = (*streamKeyDataSource)(nil)

// ValidateConfig refuses what format = "cat" cannot mint.
func (d *streamKeyDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateStreamKeyFormat(ctx, req.Config)...)
}

func (d *streamKeyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m streamKeyModelDS
	resp.Diagnostics.Append(d.mintFor(ctx, &d.providerData, req.Config, &m, &m.streamKeyModel, func() streamKeyTimeout {
		t, diags := m.Timeouts.Read(ctx, defaultStreamKeyTimeout)
		return streamKeyTimeout{t, diags, path.Root("timeouts").AtName("read")}
	}, resp.State.Set)...)
}
