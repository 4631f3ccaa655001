package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// permissionID is the Sid of the function policy's statement.
const permissionID = "securestream-invoke"

// wantPermission is the Sid the function's policy must hold: none for a
// function URL with AWS_IAM, which callers' own IAM policies open.
func wantPermission(m *issuerModel) types.String {
	if m.APIType.ValueString() == apiTypeFunctionURL && m.FunctionURLAuthType.ValueString() == string(lambdatypes.FunctionUrlAuthTypeAwsIam) {
		return types.StringNull()
	}
	return types.StringValue(permissionID)
}

// addPermission lets the API invoke the function: an HTTP API only from
// its own ARN, a function URL with auth NONE from anyone, as AWS requires.
func (r *issuerResource) addPermission(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if wantPermission(m).IsNull() {
		m.PermissionID = types.StringNull()
		return nil
	}
	in := &lambda.AddPermissionInput{FunctionName: m.FunctionName.ValueStringPointer(), StatementId: aws.String(permissionID)}
	if m.APIType.ValueString() != apiTypeFunctionURL {
		partition, account := accountOf(m.FunctionARN.ValueString())
		in.Action, in.Principal = aws.String("lambda:InvokeFunction"), aws.String("apigateway.amazonaws.com")
		in.SourceArn = aws.String(fmt.Sprintf("arn:%s:execute-api:%s:%s:%s/*", partition, r.clients.Config.Region, account, m.APIID.ValueString()))
	} else {
		in.Action, in.Principal, in.FunctionUrlAuthType = aws.String("lambda:InvokeFunctionUrl"), aws.String("*"), lambdatypes.FunctionUrlAuthTypeNone
	}
	if err := r.retryLambda(ctx, func() error { _, err := r.clients.Lambda.AddPermission(ctx, in); return err }); err != nil {
		diags.Append(diagnostics.AWSCall("lambda:AddPermission (the API's right to invoke the function)", err, "The provider's credentials need lambda:AddPermission."))
		return diags
	}
	m.PermissionID = types.StringValue(permissionID)
	return diags
}

func (r *issuerResource) removePermission(ctx context.Context, function string) diag.Diagnostics {
	var diags diag.Diagnostics
	err := r.retryLambda(ctx, func() error {
		_, err := r.clients.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(function), StatementId: aws.String(permissionID)})
		return err
	})
	if err != nil && !isA[*lambdatypes.ResourceNotFoundException](err) {
		diags.Append(diagnostics.AWSCall("lambda:RemovePermission", err, "The provider's credentials need lambda:RemovePermission."))
	}
	return diags
}

// hasPermission reads the function's policy for the issuer's statement.
func (r *issuerResource) hasPermission(ctx context.Context, function string) (bool, error) {
	out, err := r.clients.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(function)})
	if isA[*lambdatypes.ResourceNotFoundException](err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		return false, err
	}
	for _, s := range doc.Statement {
		if s.Sid == permissionID {
			return true, nil
		}
	}
	return false, nil
}
