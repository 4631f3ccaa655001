package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// What the data sources that read AWS share. That each data source (and
// the ephemeral resource) takes the provider's configuration, through its
// embedded base, is checked once for all of them by
// TestEveryTypeTakesTheProviderConfiguration.

// readDataSource is a data source's Read around its own part: it refuses
// a call before the provider is configured, reads the configuration into
// a model, lets read fill in the rest, and saves the model as the data
// source's state unless read failed.
func readDataSource[M any](ctx context.Context, pd *providerData, req datasource.ReadRequest, resp *datasource.ReadResponse, read func(m *M) diag.Diagnostics) {
	var m M
	if !pd.load(ctx, &resp.Diagnostics, decode{req.Config, &m}) {
		return
	}
	if resp.Diagnostics.Append(read(&m)...); resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// computedString is a string a data source outputs.
func computedString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
}

// issuerFunctionName is the function_name argument of a data source that
// reads an issuer's Lambda function (getIssuerFunction): required, or
// optional where another argument can stand in for it.
func issuerFunctionName(required bool, desc string) schema.StringAttribute {
	return schema.StringAttribute{Required: required, Optional: !required,
		Validators:          []validator.String{stringvalidator.RegexMatches(functionNameRE, "must be a Lambda function name")},
		MarkdownDescription: desc}
}

// getIssuerFunction reads an issuer's Lambda function for the data source
// named dataSource, refusing a function that does not exist or is not an
// issuer (without the issuer tag the provider puts on its functions).
func getIssuerFunction(ctx context.Context, c *awsclients.Clients, dataSource, fn string) (*lambda.GetFunctionOutput, diag.Diagnostics) {
	var diags diag.Diagnostics
	at := path.Root("function_name")
	out, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	switch {
	case isA[*lambdatypes.ResourceNotFoundException](err):
		diags.AddAttributeError(at, "No issuer function "+fn,
			fmt.Sprintf("data source %s: lambda:GetFunction found no Lambda function named %s in %s. Check function_name and region "+
				"(the provider's region, where the securestream_issuer was applied).", dataSource, fn, c.Config.Region))
	case err != nil:
		diags.Append(diagnostics.AttributeAWSCall(at, "lambda:GetFunction (data source "+dataSource+")", err,
			"The provider's credentials need lambda:GetFunction on the function."))
	case out.Configuration == nil:
		diags.Append(diagnostics.NoAnswer("lambda:GetFunction (data source "+dataSource+")", "the configuration of "+fn))
	case out.Tags[issuerTag] != fn:
		diags.AddAttributeError(at, "Not an issuer function: "+fn,
			fmt.Sprintf("data source %s: the Lambda function %s has no %s = %s tag, which every securestream_issuer's function carries. "+
				"Name the function_name of a securestream_issuer.", dataSource, fn, issuerTag, fn))
	}
	if diags.HasError() {
		return nil, diags
	}
	return out, diags
}
