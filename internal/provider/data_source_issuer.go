package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// NewIssuerDataSource is data "securestream_issuer".
func NewIssuerDataSource() datasource.DataSource { return &issuerDataSource{} }

type issuerDataSource struct{ dataSourceBase }

type issuerDataModel struct {
	FunctionName types.String `tfsdk:"function_name"`
	FunctionARN  types.String `tfsdk:"function_arn"`
	Architecture types.String `tfsdk:"architecture"`
	RoleARN      types.String `tfsdk:"role_arn"`
	KMSKeyARN    types.String `tfsdk:"kms_key_arn"`
	APIType      types.String `tfsdk:"api_type"`
	InvokeURL    types.String `tfsdk:"invoke_url"`
	APIID        types.String `tfsdk:"api_id"`
}

func (d *issuerDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_issuer"
}

func (d *issuerDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An issuer that exists (made by a `securestream_issuer` resource, in this or another workspace), " +
			"read from AWS by its function name: where players ask for stream keys, and the ARNs an IAM policy or a monitor needs.\n\n" +
			"It reads the Lambda function (which must carry the issuer's tag `" + issuerTag + "` = the function name) and finds the " +
			"API in front as an import does: a function URL, else the HTTP API, else the REST API tagged for the issuer. " +
			"Of the function's environment it reads only `" + envKMSKeyID + "`: the other variables hold the sealed key ring " +
			"and secrets, and no setting is output.\n\n" +
			"Permissions: `lambda:GetFunction`, `lambda:GetFunctionUrlConfig`, `apigateway:GET` on `/apis` and `/restapis` " +
			"(the HTTP API's endpoint too). No KMS permission.",
		Attributes: map[string]schema.Attribute{
			"function_name": issuerFunctionName(true,
				"Name of the issuer's Lambda function (the `function_name` of its `securestream_issuer`), in the provider's region."),
			"function_arn": computedString("ARN of the Lambda function."),
			"architecture": computedString("The function's architecture: `arm64` or `x86_64`."),
			"role_arn":     computedString("ARN of the function's IAM role."),
			"kms_key_arn":  computedString("The ring's KMS key, as the function has it (`" + envKMSKeyID + "`); null when the variable is missing."),
			"api_type":     computedString("The API in front: `function_url`, `http` or `rest`; null when none is found."),
			"invoke_url":   computedString("The URL players POST to for a stream key: the function URL, the HTTP API's endpoint or the REST API's stage; null when no API is found."),
			"api_id":       computedString("`http` and `rest`: the API's id; null otherwise."),
		},
	}
}

func (d *issuerDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readDataSource(ctx, &d.providerData, req, resp, func(m *issuerDataModel) diag.Diagnostics {
		out, diags := getIssuerFunction(ctx, d.clients, "securestream_issuer", m.FunctionName.ValueString())
		if diags.HasError() {
			return diags
		}
		return append(diags, d.read(ctx, m, out.Configuration)...)
	})
}

// read fills in the model from the function's configuration and the API
// in front.
func (d *issuerDataSource) read(ctx context.Context, m *issuerDataModel, c *lambdatypes.FunctionConfiguration) diag.Diagnostics {
	m.FunctionARN, m.RoleARN = types.StringPointerValue(c.FunctionArn), types.StringPointerValue(c.Role)
	m.Architecture = types.StringNull()
	if len(c.Architectures) > 0 {
		m.Architecture = types.StringValue(string(c.Architectures[0]))
	}
	m.KMSKeyARN = types.StringNull()
	if c.Environment != nil {
		// This one variable only: the others hold the sealed ring and secrets.
		m.KMSKeyARN = envValue(c.Environment.Variables, envKMSKeyID)
	}
	m.APIType, m.InvokeURL, m.APIID = types.StringNull(), types.StringNull(), types.StringNull()
	return d.readFrontDoor(ctx, m)
}

// readFrontDoor finds the API in front in the resource's import order
// (readAPI): the function URL, else the HTTP API, else the REST API with
// the issuer's tag. It reads only the door's id and URL: readAPI itself
// would also fetch a REST API key's value, a secret.
func (d *issuerDataSource) readFrontDoor(ctx context.Context, m *issuerDataModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	const ds = " (data source securestream_issuer)"
	u, err := d.clients.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn)})
	switch {
	case err == nil:
		m.APIType, m.InvokeURL = types.StringValue(apiTypeFunctionURL), types.StringPointerValue(u.FunctionUrl)
		return nil
	case !isA[*lambdatypes.ResourceNotFoundException](err):
		diags.Append(diagnostics.AWSCall("lambda:GetFunctionUrlConfig"+ds, err, "The provider's credentials need lambda:GetFunctionUrlConfig on the function."))
		return diags
	}
	r := &issuerResource{resourceBase: resourceBase{d.providerData}} // for its finders
	api, err := r.findHTTPAPI(ctx, fn)
	if awsFailed(&diags, err, "apigateway:GetApis"+ds, findHTTPAPIFix) {
		return diags
	}
	if api != nil {
		// GetApis may leave the endpoint out; GetApi always has it.
		got, err := d.clients.APIGatewayV2.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: api.ApiId})
		if awsFailed(&diags, err, "apigateway:GetApi"+ds, "The provider's credentials need apigateway:GET on the API.") {
			return diags
		}
		m.APIType, m.APIID, m.InvokeURL = types.StringValue(apiTypeHTTP), types.StringPointerValue(api.ApiId), types.StringValue(httpInvokeURL(got.ApiEndpoint))
		return nil
	}
	id, err := r.findRESTAPI(ctx, fn)
	if awsFailed(&diags, err, "apigateway:GetRestApis"+ds, findRESTAPIFix) {
		return diags
	}
	if id != nil {
		m.APIType, m.APIID, m.InvokeURL = types.StringValue(apiTypeREST), types.StringPointerValue(id), types.StringValue(restInvokeURL(*id, d.clients.Config.Region))
	}
	return diags
}
