package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// This file resumes a create that was interrupted: Terraform killed in the
// middle of an apply (or its machine lost) records nothing of the objects
// the create had made, and the next apply creates the issuer again. The
// role is step 1 of every create, and right after CreateRole it is tagged
// with a MAC that only a holder of the key ring can make, bound to that
// role (issuer_owner.go). A role of this function name with that proof is
// an earlier attempt's: it is put back as the provider makes it and kept
// (a new role would wait for IAM again), with its grant and log group,
// and the function and API the attempt may have made are deleted, to be
// made again as planned (an API half made, or a function with an old
// environment, is not worth reconciling). Any other role of that name
// fails the create, with how to import or delete it: a name, a path and a
// tag prove nothing, and a role someone else made may trust anyone.

// adoptRole takes over, into m.RoleARN, the role an interrupted create of
// this issuer left, and repairs it; any other role is an error.
func (r *issuerResource) adoptRole(ctx context.Context, m *issuerModel, ring *keyring.Document) (diags diag.Diagnostics) {
	fn := m.FunctionName.ValueString()
	out, err := r.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)})
	if err != nil {
		diags.Append(diagnostics.AWSCall("iam:GetRole (a role named "+fn+" exists)", err,
			"The provider's credentials need iam:GetRole to tell whether the role is left by an interrupted create of this issuer."))
		return diags
	}
	role := out.Role
	switch {
	case role == nil:
		diags.Append(diagnostics.NoAnswer("iam:GetRole", "role"))
		return diags
	case aws.ToString(role.Path) != rolePath(m) || !hasIAMTag(role.Tags, issuerTag, fn):
		diags.Append(roleNotOurs(role, fn, fmt.Sprintf("it is not an issuer's role (path %s, tag %s = %s)", rolePath(m), issuerTag, fn)))
		return diags
	case !ownedBy(ring, iamTagValue(role.Tags, issuerOwnerTag), aws.ToString(role.Arn), aws.ToString(role.RoleId)):
		diags.Append(roleNotOurs(role, fn, fmt.Sprintf("its %s tag is missing or was not made by this issuer's key ring for this role", issuerOwnerTag)))
		return diags
	}
	m.RoleARN = types.StringPointerValue(role.Arn)
	// Proven ours, yet changed since: put back what the provider makes.
	if diags.Append(r.repairRole(ctx, m)...); diags.HasError() {
		return diags
	}
	diags.AddWarning("Resuming an interrupted create",
		fmt.Sprintf("The role %s, tagged %s by this issuer's key ring, was left by an earlier create of this issuer that did not finish "+
			"(Terraform was stopped before it recorded it). The role, its KMS grant and its log group are kept (the role's policies "+
			"put back as the provider makes them); the function and the API that create made, if any, are deleted and made again.",
			aws.ToString(role.Arn), issuerOwnerTag))
	return diags
}

func hasIAMTag(tags []iamtypes.Tag, key, value string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key && aws.ToString(t.Value) == value {
			return true
		}
	}
	return false
}

func iamTagValue(tags []iamtypes.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// clearInterrupted removes the function and the APIs of this issuer that
// an interrupted create left (each found by the issuer's tag), and finds
// its grant into m.GrantID, so that the create goes on as if first.
func (r *issuerResource) clearInterrupted(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	if id, err := r.findGrant(ctx, m.KMSKeyARN.ValueString(), m.RoleARN.ValueString(), fn); err != nil && !isA[*kmstypes.NotFoundException](err) {
		diags.Append(diagnostics.AWSCall("kms:ListGrants (resuming an interrupted create)", err, "The provider's credentials need kms:ListGrants on the ring's key."))
		return diags
	} else if id != "" {
		m.GrantID = types.StringValue(id)
	}
	got, err := r.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	switch {
	case isA[*lambdatypes.ResourceNotFoundException](err):
	case err != nil:
		diags.Append(diagnostics.AWSCall("lambda:GetFunction (resuming an interrupted create)", err, "The provider's credentials need lambda:GetFunction."))
		return diags
	case got.Tags[issuerTag] != fn:
		diags.AddError("The issuer's function name is taken",
			fmt.Sprintf("A Lambda function named %s exists and is not this issuer's (it has no %s = %s tag). Choose another function_name, "+
				"or delete that function.", fn, issuerTag, fn))
		return diags
	default: // its URL and invoke permission go with it
		if diags.Append(r.deleteFunction(ctx, fn)...); diags.HasError() {
			return diags
		}
	}
	for {
		api, err := r.findHTTPAPI(ctx, fn)
		if awsFailed(&diags, err, "apigateway:GetApis (resuming an interrupted create)", findHTTPAPIFix) {
			return diags
		}
		if api == nil {
			break
		}
		if diags.Append(r.deleteHTTPAPI(ctx, aws.ToString(api.ApiId))...); diags.HasError() {
			return diags
		}
	}
	return append(diags, r.clearInterruptedREST(ctx, m)...)
}

// clearInterruptedREST deletes the REST APIs, usage plans and API keys an
// interrupted create left: deleting an API deletes neither of the others.
func (r *issuerResource) clearInterruptedREST(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	keys, err := r.findRESTAPIKeys(ctx, fn)
	if awsFailed(&diags, err, "apigateway:GetApiKeys (resuming an interrupted create)", restKeyFix) {
		return diags
	}
	for {
		id, err := r.findRESTAPI(ctx, fn)
		if awsFailed(&diags, err, "apigateway:GetRestApis (resuming an interrupted create)", findRESTAPIFix) {
			return diags
		}
		if id == nil {
			break
		}
		left := *m
		left.APIID, left.RESTAPIKeyID = types.StringPointerValue(id), types.StringNull()
		if diags.Append(r.deleteRESTAPIKey(ctx, &left)...); diags.HasError() { // its usage plans
			return diags
		}
		if diags.Append(r.deleteRESTAPI(ctx, *id)...); diags.HasError() {
			return diags
		}
	}
	for _, k := range keys {
		if _, err := r.clients.APIGateway.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(k)}); err != nil && !isA[*resttypes.NotFoundException](err) {
			diags.Append(diagnostics.AWSCall("apigateway:DeleteApiKey (resuming an interrupted create)", err, restKeyFix))
			return diags
		}
	}
	return diags
}

// findRESTAPIKeys are the ids of the API keys named for the function that
// carry the issuer's tag.
func (r *issuerResource) findRESTAPIKeys(ctx context.Context, function string) ([]string, error) {
	var ids []string
	in := &apigateway.GetApiKeysInput{NameQuery: aws.String(function)}
	for {
		out, err := r.clients.APIGateway.GetApiKeys(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, k := range out.Items {
			if aws.ToString(k.Name) == function && k.Tags[issuerTag] == function {
				ids = append(ids, aws.ToString(k.Id))
			}
		}
		if in.Position = out.Position; aws.ToString(in.Position) == "" {
			return ids, nil
		}
	}
}

// isAlreadyExists says whether Lambda's conflict is about an object that
// exists (a function, a function URL, a statement id), which waiting does
// not resolve, rather than an update in progress, which it does.
func isAlreadyExists(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "exist")
}
