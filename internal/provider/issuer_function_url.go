package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// createFunctionURL creates the function URL into m.
func (r *issuerResource) createFunctionURL(ctx context.Context, m *issuerModel, cors []string) diag.Diagnostics {
	var diags diag.Diagnostics
	in := &lambda.CreateFunctionUrlConfigInput{FunctionName: m.FunctionName.ValueStringPointer(),
		AuthType: lambdatypes.FunctionUrlAuthType(m.FunctionURLAuthType.ValueString())}
	if len(cors) > 0 {
		in.Cors = &lambdatypes.Cors{AllowOrigins: cors, AllowMethods: corsMethods[:2], AllowHeaders: corsHeaders}
	}
	var out *lambda.CreateFunctionUrlConfigOutput
	err := r.retryLambda(ctx, func() (err error) { out, err = r.clients.Lambda.CreateFunctionUrlConfig(ctx, in); return err })
	if err != nil {
		diags.Append(diagnostics.AWSCall("lambda:CreateFunctionUrlConfig (step 4 of the issuer: its function URL)", err,
			"The provider's credentials need lambda:CreateFunctionUrlConfig."))
		return diags
	}
	m.InvokeURL = types.StringPointerValue(out.FunctionUrl)
	return diags
}

func (r *issuerResource) updateFunctionURL(ctx context.Context, plan *issuerModel, cors []string) diag.Diagnostics {
	var diags diag.Diagnostics
	in := &lambda.UpdateFunctionUrlConfigInput{FunctionName: plan.FunctionName.ValueStringPointer(),
		AuthType: lambdatypes.FunctionUrlAuthType(plan.FunctionURLAuthType.ValueString()), Cors: &lambdatypes.Cors{}}
	if len(cors) > 0 {
		in.Cors = &lambdatypes.Cors{AllowOrigins: cors, AllowMethods: corsMethods[:2], AllowHeaders: corsHeaders}
	}
	if err := r.retryLambda(ctx, func() error { _, err := r.clients.Lambda.UpdateFunctionUrlConfig(ctx, in); return err }); err != nil {
		diags.Append(diagnostics.AWSCall("lambda:UpdateFunctionUrlConfig", err, "The provider's credentials need lambda:UpdateFunctionUrlConfig."))
	}
	return diags
}
