package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// ImportState takes "<kms_key_id>,<function_name>,<ciphertext>" or
// "<kms_key_id>,<function_name>,lambda:<issuer function>", which reads the
// ciphertext from that function's SECURESTREAM_KEYRING. An imported secret
// never deletes its KMS key.
func (r *secretResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.SplitN(req.ID, ",", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		resp.Diagnostics.AddError("Unexpected import id",
			"Use <kms_key_id>,<function_name>,<ciphertext> or <kms_key_id>,<function_name>,lambda:<issuer function name>.")
		return
	}
	ciphertext := parts[2]
	if fn, ok := strings.CutPrefix(ciphertext, "lambda:"); ok {
		if notConfigured(r.clients, &resp.Diagnostics) {
			return
		}
		out, err := r.clients.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			resp.Diagnostics.Append(diagnostics.AWSCall("lambda:GetFunctionConfiguration", err,
				fmt.Sprintf("The import reads SECURESTREAM_KEYRING from the function %q; the provider's credentials need lambda:GetFunctionConfiguration on it.", fn)))
			return
		}
		if out.Environment == nil || out.Environment.Variables["SECURESTREAM_KEYRING"] == "" {
			resp.Diagnostics.AddError("No key ring in the function", fmt.Sprintf("The function %q has no SECURESTREAM_KEYRING variable.", fn))
			return
		}
		ciphertext = out.Environment.Variables["SECURESTREAM_KEYRING"]
	}
	for name, v := range map[string]attr.Value{
		"id": types.StringValue(parts[0]), "kms_key_id": types.StringValue(parts[0]), "function_name": types.StringValue(parts[1]),
		"ciphertext": types.StringValue(ciphertext), "manages_kms_key": types.BoolValue(false),
		"activation_delay": types.StringValue(defaultActivationDelay), "max_token_lifetime": types.StringValue(defaultMaxTokenLifetime),
		"tags_all": types.MapNull(types.StringType),
	} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), v)...)
	}
}
