package provider

import (
	"context"

	ephtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// NewStreamKeyEphemeralResource is ephemeral "securestream_stream_key".
func NewStreamKeyEphemeralResource() ephemeral.EphemeralResource {
	return &streamKeyEphemeral{minter: newMinter()}
}

type streamKeyEphemeral struct {
	ephemeralBase
	minter
}

// streamKeyModelEphemeral is the shared model with this one's timeouts.
type streamKeyModelEphemeral struct {
	streamKeyModel
	Timeouts ephtimeouts.Value `tfsdk:"timeouts"`
}

func (e *streamKeyEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stream_key"
}

func (e *streamKeyEphemeral) Schema(ctx context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	attrs := ephemeralAttributes(streamKeyAttrs())
	attrs["timeouts"] = ephtimeouts.AttributesWithOpts(ctx, ephtimeouts.Opts{OpenDescription: streamKeyTimeoutDesc})
	resp.Schema = schema.Schema{
		MarkdownDescription: "Mints a stream key exactly as the issuer would, like the data source `securestream_stream_key`, but " +
			"ephemeral (Terraform 1.10 and later): the key is never stored in the plan or the state. Use it to test a deployment " +
			"from a provisioner, or to hand a key to another provider's configuration or write-only argument.",
		Attributes: attrs,
	}
}

var _ ephemeral.EphemeralResourceWithValidateConfig = (*streamKeyEphemeral)(nil)

// ValidateConfig refuses what format = "cat" cannot mint.
func (e *streamKeyEphemeral) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateStreamKeyFormat(ctx, req.Config)...)
}

func (e *streamKeyEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m streamKeyModelEphemeral
	resp.Diagnostics.Append(e.mintFor(ctx, &e.providerData, req.Config, &m, &m.streamKeyModel, func() streamKeyTimeout {
		t, diags := m.Timeouts.Open(ctx, defaultStreamKeyTimeout)
		return streamKeyTimeout{t, diags, path.Root("timeouts").AtName("open")}
	}, resp.Result.Set)...)
}
