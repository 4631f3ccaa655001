package provider

import (
	"context"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var (
	_ datasource.DataSource              = (*streamKeyDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*streamKeyDataSource)(nil)
)

// NewStreamKeyDataSource is data "securestream_stream_key".
func NewStreamKeyDataSource() datasource.DataSource { return &streamKeyDataSource{minter: newMinter()} }

type streamKeyDataSource struct{ minter }

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
		MarkdownDescription: "Mints a stream key exactly as the issuer would, for tests during plan and apply: the token, its expiry and " +
			"the ready-to-use forms (headers, query string, path-prefixed URL, cookie, a `curl` command line), or a seed-format key.\n\n" +
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

func (d *streamKeyDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.configure(req.ProviderData, &resp.Diagnostics)
}

func (d *streamKeyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m streamKeyModelDS
	resp.Diagnostics.Append(d.mintFor(ctx, req.Config, &m, &m.streamKeyModel, func() streamKeyTimeout {
		t, diags := m.Timeouts.Read(ctx, defaultStreamKeyTimeout)
		return streamKeyTimeout{t, diags, path.Root("timeouts").AtName("read")}
	}, resp.State.Set)...)
}

// dataSourceAttributes builds a data source's attributes from their specs.
func dataSourceAttributes(specs map[string]attrSpec) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{}
	for name, a := range specs {
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
		case "list":
			attrs[name] = schema.ListAttribute{Required: a.required, Optional: opt, Computed: a.computed, ElementType: stringType,
				MarkdownDescription: a.desc, Validators: []validator.List{listvalidator.ValueStringsAre(a.strList...)}}
		}
	}
	return attrs
}
