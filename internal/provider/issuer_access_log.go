package provider

import (
	"context"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file is the API's access logging (issue 20): API Gateway writes a
// line per request to a CloudWatch Logs group of the user's, on the HTTP
// API's or the REST API's stage. A function URL has none.

var (
	pathAccessLog    = path.Root("access_log")
	logGroupARNRE    = regexp.MustCompile(`^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^:*]+$`)
	accessLogTypes   = map[string]attr.Type{"destination_arn": types.StringType, "format": types.StringType}
	accessLogFixREST = "The provider's credentials need apigateway:PATCH on the REST API's stage; API Gateway needs, once per account and region, " +
		"a CloudWatch Logs role (aws_api_gateway_account's cloudwatch_role_arn) to write REST API access logs."
)

func accessLogSchema() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		Attributes: map[string]schema.Attribute{
			"destination_arn": schema.StringAttribute{Required: true,
				Validators: []validator.String{stringvalidator.RegexMatches(logGroupARNRE,
					"must be a CloudWatch Logs log group ARN without a trailing :* (arn:aws:logs:<region>:<account>:log-group:<name>)")},
				MarkdownDescription: "ARN of the CloudWatch Logs log group API Gateway writes to (without `:*`), such as " +
					"`aws_cloudwatch_log_group.<name>.arn`."},
			"format": schema.StringAttribute{Required: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
				MarkdownDescription: "The format of a line, with `$context` variables, such as " +
					"`jsonencode({ requestId = \"$context.requestId\", ip = \"$context.identity.sourceIp\", status = \"$context.status\" })`. " +
					"For `rest` it must include `$context.requestId` or `$context.extendedRequestId`."},
		},
		MarkdownDescription: "`http` and `rest`: access logging of the API's stage. Set, changed and removed in place. Refused with " +
			"`function_url`, which has no access log (its calls are in the function's log group). For `rest`, API Gateway needs an " +
			"account-level CloudWatch Logs role (`aws_api_gateway_account`)."}
}

// accessLog is access_log's destination and format; ok is false when
// it is not set.
func (m *issuerModel) accessLog() (dest, format string, ok bool) {
	if m.AccessLog.IsNull() || m.AccessLog.IsUnknown() {
		return "", "", false
	}
	a := m.AccessLog.Attributes()
	d, _ := a["destination_arn"].(types.String)
	f, _ := a["format"].(types.String)
	return d.ValueString(), f.ValueString(), true
}

// accessLogValue is access_log as read from a stage.
func accessLogValue(dest, format *string) types.Object {
	if aws.ToString(dest) == "" {
		return types.ObjectNull(accessLogTypes)
	}
	return types.ObjectValueMust(accessLogTypes, map[string]attr.Value{"destination_arn": types.StringPointerValue(dest),
		"format": types.StringPointerValue(format)})
}

// validateAccessLog refuses access_log where no stage takes it.
func validateAccessLog(m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.APIType.ValueString() == apiTypeFunctionURL && !m.AccessLog.IsNull() {
		diags.AddAttributeError(pathAccessLog, "Access logging needs API Gateway",
			"access_log is for api_type = \"http\" and \"rest\", whose stage writes it; a function URL has no access log (each call "+
				"is in the function's log group, log_group_name). Remove it, or use api_type = \"http\" or \"rest\" (which replaces the issuer).")
	}
	if dest, format, ok := m.accessLog(); ok && m.APIType.ValueString() == apiTypeREST && dest != "" && format != "" &&
		!regexp.MustCompile(`\$context\.(requestId|extendedRequestId)\b`).MatchString(format) {
		diags.AddAttributeError(pathAccessLog.AtName("format"), "The REST API would refuse this access log format",
			"access_log.format must include $context.requestId or $context.extendedRequestId with api_type = \"rest\" (API Gateway refuses "+
				"a format without either).")
	}
	return diags
}

// httpAccessLog is access_log as the HTTP API's stage takes it.
func httpAccessLog(m *issuerModel) *apitypes.AccessLogSettings {
	dest, format, ok := m.accessLog()
	if !ok {
		return nil
	}
	return &apitypes.AccessLogSettings{DestinationArn: aws.String(dest), Format: aws.String(format)}
}

// putAccessLog brings the stage's access logging in line with m; was
// says whether the stage has it now (false on create).
func (r *issuerResource) putAccessLog(ctx context.Context, m *issuerModel, was bool) diag.Diagnostics {
	var diags diag.Diagnostics
	api := m.APIID.ValueStringPointer()
	dest, format, ok := m.accessLog()
	switch m.APIType.ValueString() {
	case apiTypeHTTP:
		var err error
		call := "apigateway:UpdateStage ($default, access logging)"
		switch {
		case ok:
			_, err = r.clients.APIGatewayV2.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: api, StageName: aws.String(defaultStage),
				AccessLogSettings: httpAccessLog(m)})
		case was:
			call = "apigateway:DeleteAccessLogSettings ($default)"
			_, err = r.clients.APIGatewayV2.DeleteAccessLogSettings(ctx, &apigatewayv2.DeleteAccessLogSettingsInput{ApiId: api, StageName: aws.String(defaultStage)})
		}
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(pathAccessLog, call, err, "The provider's credentials need apigateway:PATCH and apigateway:DELETE on the API's stages."))
		}
	case apiTypeREST:
		var ops []resttypes.PatchOperation
		switch {
		case ok:
			ops = []resttypes.PatchOperation{
				{Op: resttypes.OpReplace, Path: aws.String("/accessLogSettings/destinationArn"), Value: aws.String(dest)},
				{Op: resttypes.OpReplace, Path: aws.String("/accessLogSettings/format"), Value: aws.String(format)}}
		case was:
			ops = []resttypes.PatchOperation{{Op: resttypes.OpRemove, Path: aws.String("/accessLogSettings")}}
		}
		if len(ops) == 0 {
			return nil
		}
		if _, err := r.clients.APIGateway.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api, StageName: aws.String(restStage),
			PatchOperations: ops}); err != nil {
			diags.Append(diagnostics.AttributeAWSCall(pathAccessLog, "apigateway:UpdateStage (stage "+restStage+", access logging)", err, accessLogFixREST))
		}
	}
	return diags
}

// putRESTTracing turns X-Ray tracing of the REST API's stage on or off
// with tracing.
func (r *issuerResource) putRESTTracing(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	on := "false"
	if m.Tracing.ValueString() == tracingActive {
		on = "true"
	}
	if _, err := r.clients.APIGateway.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: m.APIID.ValueStringPointer(), StageName: aws.String(restStage),
		PatchOperations: []resttypes.PatchOperation{{Op: resttypes.OpReplace, Path: aws.String("/tracingEnabled"), Value: aws.String(on)}}}); err != nil {
		diags.Append(diagnostics.AttributeAWSCall(path.Root("tracing"), "apigateway:UpdateStage (stage "+restStage+", X-Ray tracing)", err,
			"The provider's credentials need apigateway:PATCH on the REST API's stage."))
	}
	return diags
}

// updateStageExtras changes the stage's access logging and (rest) its
// tracing when they changed.
func (r *issuerResource) updateStageExtras(ctx context.Context, plan, state *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if plan.APIID.IsNull() || plan.APIID.IsUnknown() || plan.APIType.ValueString() == apiTypeFunctionURL {
		return nil
	}
	if !plan.AccessLog.Equal(state.AccessLog) {
		if diags.Append(r.putAccessLog(ctx, plan, !state.AccessLog.IsNull())...); diags.HasError() {
			return diags
		}
	}
	if plan.APIType.ValueString() == apiTypeREST && !plan.Tracing.Equal(state.Tracing) {
		diags.Append(r.putRESTTracing(ctx, plan)...)
	}
	return diags
}
