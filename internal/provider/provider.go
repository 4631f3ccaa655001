// Package provider implements the securestream Terraform provider: its
// schema, configuration and the list of resources, data sources and
// ephemeral resources it serves.
package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
)

// Address is the provider's source address on the Terraform Registry.
const Address = "registry.terraform.io/securestream/securestream"

var (
	_ provider.Provider                       = (*securestreamProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*securestreamProvider)(nil)
	_ provider.ProviderWithValidateConfig     = (*securestreamProvider)(nil)
)

type securestreamProvider struct {
	version string
	commit  string
	// now is the clock resources and data sources see; tests move it.
	now func() time.Time
}

// New returns a factory for the provider. version is "dev" for local builds,
// "test" in acceptance tests and the release version in published builds.
func New(version, commit string) func() provider.Provider {
	return func() provider.Provider {
		return &securestreamProvider{version: version, commit: commit, now: time.Now}
	}
}

type providerModel struct {
	Region                    types.String      `tfsdk:"region"`
	Profile                   types.String      `tfsdk:"profile"`
	AccessKey                 types.String      `tfsdk:"access_key"`
	SecretKey                 types.String      `tfsdk:"secret_key"`
	SharedConfigFiles         types.List        `tfsdk:"shared_config_files"`
	SharedCredentialsFiles    types.List        `tfsdk:"shared_credentials_files"`
	MaxRetries                types.Int64       `tfsdk:"max_retries"`
	Endpoint                  types.String      `tfsdk:"endpoint"`
	SkipCredentialsValidation types.Bool        `tfsdk:"skip_credentials_validation"`
	SkipRequestingAccountID   types.Bool        `tfsdk:"skip_requesting_account_id"`
	AssumeRole                *assumeRoleModel  `tfsdk:"assume_role"`
	Endpoints                 *endpointsModel   `tfsdk:"endpoints"`
	DefaultTags               *defaultTagsModel `tfsdk:"default_tags"`
}

type defaultTagsModel struct {
	Tags types.Map `tfsdk:"tags"`
}

type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	SessionName types.String `tfsdk:"session_name"`
	ExternalID  types.String `tfsdk:"external_id"`
}

type endpointsModel struct {
	APIGateway types.String `tfsdk:"apigateway"`
	CloudFront types.String `tfsdk:"cloudfront"`
	IAM        types.String `tfsdk:"iam"`
	KMS        types.String `tfsdk:"kms"`
	Lambda     types.String `tfsdk:"lambda"`
	Logs       types.String `tfsdk:"logs"`
	STS        types.String `tfsdk:"sts"`
}

func (p *securestreamProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "securestream"
	resp.Version = p.version
}

func (p *securestreamProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	endpoint := func(svc, usedBy string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: fmt.Sprintf(
			"Endpoint URL for %s (%s). Overrides `endpoint`, `AWS_ENDPOINT_URL_%s` and `AWS_ENDPOINT_URL`.", svc, usedBy, envName(svc))}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The securestream provider protects HLS and DASH video on Amazon CloudFront with short-lived, signed stream keys. " +
			"It manages the key ring, a set of signing keys that KMS keeps encrypted and that it rotates (`securestream_secret`); the " +
			"issuer, a Lambda function behind API Gateway or a function URL that gives players their stream keys (`securestream_issuer`); " +
			"and the CloudFront Function that checks every manifest and segment request, published and attached to distributions " +
			"(`securestream_function`, or its code for an `aws_cloudfront_function` from the `securestream_function_code` data source). " +
			"It also mints stream keys from the ring for tests (the `securestream_stream_key` data source and ephemeral resource)." +
			"\n\nAWS settings are read as the AWS SDK reads them " +
			"(environment, shared config and credentials files, instance roles); the arguments below override them. Every service " +
			"endpoint can be set, so the same configuration runs against AWS, LocalStack or moto.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{Optional: true,
				MarkdownDescription: "AWS region, such as `eu-west-1`. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region."},
			"profile": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Profile of the shared config and credentials files. Defaults to `AWS_PROFILE`."},
			"access_key": schema.StringAttribute{Optional: true, Sensitive: true,
				MarkdownDescription: "Access key ID; with `secret_key`. Prefer the environment or a profile."},
			"secret_key": schema.StringAttribute{Optional: true, Sensitive: true,
				MarkdownDescription: "Secret access key; with `access_key`."},
			"shared_config_files": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Shared config files to read instead of `~/.aws/config`."},
			"shared_credentials_files": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Shared credentials files to read instead of `~/.aws/credentials`."},
			"max_retries": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.Between(0, 25)},
				MarkdownDescription: "How many times a failed AWS call is retried, with exponential backoff. Defaults to 2 (3 attempts)."},
			"endpoint": schema.StringAttribute{Optional: true,
				MarkdownDescription: "One endpoint URL for every service, as LocalStack and moto serve them (`http://localhost:4566`): " +
					"an absolute `http://` or `https://` URL. Overrides `AWS_ENDPOINT_URL`; `endpoints` overrides it per service."},
			"skip_credentials_validation": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Skip the `sts:GetCallerIdentity` call with which the provider checks its credentials and its STS " +
					"endpoint when it starts. The provider then calls AWS only when a resource, data source or ephemeral resource needs " +
					"to, and bad credentials fail that first call instead. `securestream_secret` still calls `sts:GetCallerIdentity` " +
					"itself when it writes the policy of a KMS key it manages (when it creates the key, or `decrypt_role_arns` or " +
					"`function_name` change); if STS does not answer, the key keeps AWS's default key policy, with a warning. " +
					"For emulators without STS."},
			"skip_requesting_account_id": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Accepted so that settings written for the AWS provider work, and changes nothing: the provider " +
					"asks for no account ID apart from the credentials check, which `skip_credentials_validation` skips."},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "A role to assume with the base credentials.",
				Attributes: map[string]schema.Attribute{
					"role_arn": schema.StringAttribute{Optional: true,
						MarkdownDescription: "ARN of the role to assume, such as `arn:aws:iam::123456789012:role/deployer`. Required in the block."},
					"session_name": schema.StringAttribute{Optional: true, MarkdownDescription: "Session name, for CloudTrail."},
					"external_id":  schema.StringAttribute{Optional: true, MarkdownDescription: "External ID the role's trust policy requires."},
				},
			},
			"endpoints": schema.SingleNestedBlock{
				MarkdownDescription: "Endpoint URLs per service, each an absolute `http://` or `https://` URL.",
				Attributes: map[string]schema.Attribute{
					"apigateway": endpoint("API Gateway", "`securestream_issuer`: HTTP APIs and REST APIs"),
					"iam":        endpoint("IAM", "`securestream_issuer`: its Lambda's role"),
					"cloudfront": endpoint("CloudFront", "`securestream_function`"),
					"kms":        endpoint("KMS", "`securestream_secret`, `securestream_stream_key`, `securestream_function`, `securestream_issuer`"),
					"lambda":     endpoint("Lambda", "`securestream_issuer`, importing `securestream_secret`"),
					"logs":       endpoint("CloudWatch Logs", "`securestream_issuer`: its Lambda's log group"),
					"sts":        endpoint("STS", "the credentials check, `assume_role`, the key policy of `securestream_secret`"),
				},
			},
			"default_tags": schema.SingleNestedBlock{
				MarkdownDescription: "Tags for every AWS object the provider creates, as the AWS provider's `default_tags`; " +
					"a resource's own tags of the same key win.",
				Attributes: map[string]schema.Attribute{
					"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
						MarkdownDescription: "Tag keys and values: keys of 1 to 128 characters that do not start with `aws:`, values of up to 256."},
				},
			},
		},
	}
}

func envName(svc string) string {
	switch svc {
	case "API Gateway":
		return "API_GATEWAY"
	}
	return map[string]string{"CloudFront": "CLOUDFRONT", "CloudWatch Logs": "CLOUDWATCH_LOGS", "IAM": "IAM", "KMS": "KMS", "Lambda": "LAMBDA", "STS": "STS"}[svc]
}

func (p *securestreamProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	// Settings that depend on values known only after apply (another
	// resource's attribute) must not be taken for unset: that would point
	// the plan at the wrong region or account.
	if unknown := unknownSettings(req.Config.Raw); len(unknown) > 0 {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
			return
		}
		resp.Diagnostics.AddError("Provider settings not known yet",
			fmt.Sprintf("The provider's %s depend on values that are known only after apply. Set them from values known when "+
				"planning (variables, locals, data sources), or apply what they depend on first (terraform apply -target=...).",
				strings.Join(unknown, ", ")))
		return
	}
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	o := awsclients.Options{
		Region:                    m.Region.ValueString(),
		Profile:                   m.Profile.ValueString(),
		AccessKey:                 m.AccessKey.ValueString(),
		SecretKey:                 m.SecretKey.ValueString(),
		MaxRetries:                int(m.MaxRetries.ValueInt64()),
		Endpoint:                  m.Endpoint.ValueString(),
		SkipCredentialsValidation: m.SkipCredentialsValidation.ValueBool(),
		SkipRequestingAccountID:   m.SkipRequestingAccountID.ValueBool(),
		UserAgent:                 "terraform-provider-securestream_" + p.version,
		Endpoints:                 map[string]string{},
	}
	if m.MaxRetries.IsNull() {
		o.MaxRetries = 2
	}
	resp.Diagnostics.Append(m.SharedConfigFiles.ElementsAs(ctx, &o.SharedConfigFiles, true)...)
	resp.Diagnostics.Append(m.SharedCredentialsFiles.ElementsAs(ctx, &o.SharedCredentialsFiles, true)...)
	if m.AssumeRole != nil && !m.AssumeRole.RoleARN.IsNull() {
		o.AssumeRole = &awsclients.AssumeRole{RoleARN: m.AssumeRole.RoleARN.ValueString(),
			SessionName: m.AssumeRole.SessionName.ValueString(), ExternalID: m.AssumeRole.ExternalID.ValueString()}
	}
	if e := m.Endpoints; e != nil {
		for svc, v := range e.byService() {
			if v.ValueString() != "" {
				o.Endpoints[svc] = v.ValueString()
			}
		}
	}
	var tags map[string]string
	if m.DefaultTags != nil && !m.DefaultTags.Tags.IsNull() {
		resp.Diagnostics.Append(m.DefaultTags.Tags.ElementsAs(ctx, &tags, false)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	clients, err := awsclients.New(ctx, o)
	if err != nil {
		resp.Diagnostics.Append(setupDiagnostic(err))
		return
	}
	pd := &providerData{clients: clients, now: p.now, defaultTags: tags}
	resp.DataSourceData = pd
	resp.ResourceData = pd
	resp.EphemeralResourceData = pd
}

func (p *securestreamProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewSecretResource, NewFunctionResource, NewIssuerResource, NewRevocationListResource}
}

func (p *securestreamProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewStreamKeyDataSource, NewFunctionCodeDataSource, NewIssuerDataSource, NewSecretDataSource}
}

func (p *securestreamProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewStreamKeyEphemeralResource}
}

// unknownSettings names the settings of a provider configuration whose
// values are not known yet.
func unknownSettings(config tftypes.Value) []string {
	var names []string
	_ = tftypes.Walk(config, func(p *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if !v.IsKnown() {
			var parts []string
			for _, step := range p.Steps() {
				if n, ok := step.(tftypes.AttributeName); ok {
					parts = append(parts, string(n))
				}
			}
			names = append(names, strings.Join(parts, "."))
			return false, nil
		}
		return true, nil
	})
	return names
}
