package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
)

var (
	_ datasource.DataSource              = (*streamKeyDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*streamKeyDataSource)(nil)
)

// NewStreamKeyDataSource is data "securestream_stream_key".
func NewStreamKeyDataSource() datasource.DataSource { return &streamKeyDataSource{minter: newMinter()} }

type streamKeyDataSource struct{ minter }

func (d *streamKeyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stream_key"
}

func (d *streamKeyDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
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
	resp.Schema = schema.Schema{
		MarkdownDescription: "Mints a stream key exactly as the issuer would, for tests during plan and apply: the token, its expiry and " +
			"the ready-to-use forms (headers, query string, path-prefixed URL, cookie, a `curl` command line), or a seed-format key.\n\n" +
			"When every argument is known, the key is minted during the plan. It is minted afresh at every read: with the default " +
			"`not_before` (now), an output that shows it changes at every plan. For a key that stays the same, set `not_before` and " +
			"`expires_at` (for example from the secret's `rotated_at` with `timeadd`) and leave `session_id` unset.\n\n" +
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
	m, diags := d.mintFor(ctx, req.Config)
	if resp.Diagnostics.Append(diags...); !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
	}
}
