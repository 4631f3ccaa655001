package provider

import (
	"context"

	ephtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ ephemeral.EphemeralResource              = (*streamKeyEphemeral)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*streamKeyEphemeral)(nil)
)

// NewStreamKeyEphemeralResource is ephemeral "securestream_stream_key".
func NewStreamKeyEphemeralResource() ephemeral.EphemeralResource {
	return &streamKeyEphemeral{minter: newMinter()}
}

type streamKeyEphemeral struct{ minter }

// streamKeyModelEphemeral is the shared model with this one's timeouts.
type streamKeyModelEphemeral struct {
	streamKeyModel
	Timeouts ephtimeouts.Value `tfsdk:"timeouts"`
}

var stringType = types.StringType

func (e *streamKeyEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stream_key"
}

func (e *streamKeyEphemeral) Schema(ctx context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	attrs := map[string]schema.Attribute{}
	for name, a := range streamKeyAttrs() {
		opt := !a.required && !a.computed
		switch a.kind {
		case "string":
			attrs[name] = schema.StringAttribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.str}
		case "time":
			attrs[name] = schema.StringAttribute{CustomType: timetypes.RFC3339Type{}, Optional: true, MarkdownDescription: a.desc, Validators: a.str}
		case "int64":
			attrs[name] = schema.Int64Attribute{Required: a.required, Optional: opt, Computed: a.computed, Sensitive: a.sensitive,
				MarkdownDescription: a.desc, Validators: a.i64}
		case "bool":
			attrs[name] = schema.BoolAttribute{Required: a.required, Optional: opt, Computed: a.computed, MarkdownDescription: a.desc}
		case "map":
			attrs[name] = schema.MapAttribute{Computed: true, Sensitive: a.sensitive, ElementType: stringType, MarkdownDescription: a.desc}
		}
	}
	attrs["timeouts"] = ephtimeouts.AttributesWithOpts(ctx, ephtimeouts.Opts{OpenDescription: streamKeyTimeoutDesc})
	resp.Schema = schema.Schema{
		MarkdownDescription: "Mints a stream key exactly as the issuer would, like the data source `securestream_stream_key`, but " +
			"ephemeral (Terraform 1.10 and later): the key is never stored in the plan or the state. Use it to test a deployment " +
			"from a provisioner, or to hand a key to another provider's configuration or write-only argument.",
		Attributes: attrs,
	}
}

func (e *streamKeyEphemeral) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.configure(req.ProviderData, &resp.Diagnostics)
}

func (e *streamKeyEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m streamKeyModelEphemeral
	resp.Diagnostics.Append(e.mintFor(ctx, req.Config, &m, &m.streamKeyModel, func() streamKeyTimeout {
		t, diags := m.Timeouts.Open(ctx, defaultStreamKeyTimeout)
		return streamKeyTimeout{t, diags, path.Root("timeouts").AtName("open")}
	}, resp.Result.Set)...)
}
