package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// providerData is what the provider hands its resources, data sources and
// ephemeral resources.
type providerData struct {
	clients *awsclients.Clients
	now     func() time.Time
	// defaultTags are the provider's default_tags, which every AWS
	// object the provider creates carries (a resource's own tags win).
	defaultTags map[string]string
}

// configure keeps what the provider hands over. data is nil while
// Terraform validates, before the provider is configured: clients stay nil
// (notConfigured reports it) and the clock is time.Now.
func (pd *providerData) configure(data any, diags *diag.Diagnostics) {
	if pd.now == nil {
		pd.now = time.Now
	}
	if data == nil {
		return
	}
	from, ok := data.(*providerData)
	if !ok {
		diags.Append(diagnostics.UnexpectedProviderData(data))
		return
	}
	*pd = *from
}

// The bases below are embedded in every resource, data source and
// ephemeral resource for their one Configure: the three framework
// interfaces differ only in the request and response types.

// resourceBase is embedded in each resource.
type resourceBase struct{ providerData }

func (b *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// dataSourceBase is embedded in each data source.
type dataSourceBase struct{ providerData }

func (b *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// ephemeralBase is embedded in each ephemeral resource.
type ephemeralBase struct{ providerData }

func (b *ephemeralBase) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// decode is one part of a request, its plan, state or configuration
// (tfsdk.Plan, tfsdk.State, tfsdk.Config), and the model it is read into.
type decode struct {
	from interface {
		Get(ctx context.Context, target any) diag.Diagnostics
	}
	into any
}

// load is the opening of every Create, Read, Update and Delete (and of a
// data source's Read): it refuses a call before the provider is
// configured, then reads each part of the request into its model. It
// returns false when the provider is not configured or a part does not
// decode, with every failure in diags.
func (pd *providerData) load(ctx context.Context, diags *diag.Diagnostics, parts ...decode) bool {
	if notConfigured(pd.clients, diags) {
		return false
	}
	for _, p := range parts {
		diags.Append(p.from.Get(ctx, p.into)...)
	}
	return !diags.HasError()
}

// notConfigured reports, as an error, a call before the provider was
// configured (its configuration depends on values not known yet).
func notConfigured(c *awsclients.Clients, diags *diag.Diagnostics) bool {
	if c != nil {
		return false
	}
	diags.Append(diagnostics.NotConfigured())
	return true
}
