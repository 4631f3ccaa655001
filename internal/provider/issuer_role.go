package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// This file is the issuer's identity: its IAM role with a least-privilege
// inline policy, and the KMS grant that lets the role open the key ring.
// The grant is what resolves the cycle between the two resources: the key
// policy securestream_secret writes lets only named principals decrypt,
// and naming this role there would make the secret depend on the issuer,
// which needs the secret's ciphertext. A grant needs no change to the key
// policy, which lets the account administer the key (kms:CreateGrant).

const (
	issuerRolePath   = "/securestream/"
	issuerPolicyName = "securestream-issuer"
	// issuerTag names the issuer function on every object it owns, for
	// import and for people who find them in the console.
	issuerTag = "securestream:issuer"
)

const lambdaTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// issuerPolicy is the role's inline policy: kms:Decrypt on the ring's key
// under the function's encryption context, and writing to its own log
// group. The log group ARN is built from the role's partition and account.
func issuerPolicy(roleARN, region, function, keyARN string) (string, error) {
	partition, account := accountOf(roleARN)
	if partition == "" || account == "" {
		return "", fmt.Errorf("%q is not an IAM role ARN", roleARN)
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Sid": "OpenTheKeyRing", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keyARN,
				"Condition": map[string]any{"StringEquals": map[string]string{"kms:EncryptionContext:LambdaFunctionName": function}}},
			map[string]any{"Sid": "WriteItsLogs", "Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
				"Resource": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, account, logGroupName(function))},
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

func logGroupName(function string) string { return "/aws/lambda/" + function }

// createRole creates the role and its policy into m.RoleARN. A role left
// by an interrupted create of this issuer is taken over instead, and
// resumed says so (see issuer_resume.go).
func (r *issuerResource) createRole(ctx context.Context, m *issuerModel, resumed *bool) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	out, err := r.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(fn), Path: aws.String(issuerRolePath), AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
		Description: aws.String("securestream issuer " + fn), Tags: iamTags(r.tags(fn)),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		ok, d := r.adoptRole(ctx, m)
		if diags.Append(d...); diags.HasError() {
			return diags
		}
		if ok {
			*resumed = true
			return append(diags, r.putRolePolicy(ctx, m)...)
		}
	}
	if err != nil {
		diags.Append(diagnostics.AWSCall("iam:CreateRole (step 1 of the issuer: its role)", err,
			fmt.Sprintf("The provider's credentials need iam:CreateRole and iam:TagRole, and no role named %s may exist yet (import the issuer if it is yours).", fn)))
		return diags
	}
	if out.Role == nil || out.Role.Arn == nil {
		diags.Append(diagnostics.NoAnswer("iam:CreateRole", "role"))
		return diags
	}
	m.RoleARN = types.StringPointerValue(out.Role.Arn)
	return r.putRolePolicy(ctx, m)
}

func (r *issuerResource) putRolePolicy(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	doc, err := issuerPolicy(m.RoleARN.ValueString(), r.clients.Config.Region, m.FunctionName.ValueString(), m.KMSKeyARN.ValueString())
	if err != nil {
		diags.AddError("Cannot write the issuer's role policy", err.Error())
		return diags
	}
	if _, err := r.clients.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: m.FunctionName.ValueStringPointer(),
		PolicyName: aws.String(issuerPolicyName), PolicyDocument: aws.String(doc)}); err != nil {
		diags.Append(diagnostics.AWSCall("iam:PutRolePolicy (the issuer role's policy)", err, "The provider's credentials need iam:PutRolePolicy on the role."))
	}
	return diags
}

// deleteRole deletes the policy and the role; either may be gone already.
func (r *issuerResource) deleteRole(ctx context.Context, function string) diag.Diagnostics {
	var diags diag.Diagnostics
	_, err := r.clients.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(function), PolicyName: aws.String(issuerPolicyName)})
	if err != nil && !isIAMNotFound(err) {
		diags.Append(diagnostics.AWSCall("iam:DeleteRolePolicy", err, "The provider's credentials need iam:DeleteRolePolicy on the role."))
		return diags
	}
	if _, err := r.clients.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(function)}); err != nil && !isIAMNotFound(err) {
		diags.Append(diagnostics.AWSCall("iam:DeleteRole", err,
			"The provider's credentials need iam:DeleteRole; a policy attached to the role by hand must be detached first."))
	}
	return diags
}

func isIAMNotFound(err error) bool {
	var nf *iamtypes.NoSuchEntityException
	return errors.As(err, &nf)
}

// createGrant lets the role decrypt under the function's encryption
// context only, into m.GrantID.
func (r *issuerResource) createGrant(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	out, err := r.clients.KMS.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: m.KMSKeyARN.ValueStringPointer(), GranteePrincipal: m.RoleARN.ValueStringPointer(), Name: aws.String(fn),
		Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
		Constraints: &kmstypes.GrantConstraints{EncryptionContextEquals: keyring.EncryptionContext(fn)},
	})
	if err != nil {
		diags.Append(diagnostics.AWSCall("kms:CreateGrant (the issuer role's right to open the key ring)", err,
			fmt.Sprintf("The provider's credentials need kms:CreateGrant on %s (the key policy securestream_secret writes lets the account administer the key).", m.KMSKeyARN.ValueString())))
		return diags
	}
	m.GrantID = types.StringPointerValue(out.GrantId)
	return diags
}

// revokeGrant removes the grant; Terraform's identity administers the key
// (kms:Revoke*), while RetireGrant is only for the grantee or a retiring
// principal.
func (r *issuerResource) revokeGrant(ctx context.Context, keyARN, grantID string) diag.Diagnostics {
	var diags diag.Diagnostics
	if keyARN == "" || grantID == "" {
		return nil
	}
	_, err := r.clients.KMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String(keyARN), GrantId: aws.String(grantID)})
	var invalid *kmstypes.InvalidGrantIdException
	if err != nil && !isNotFound(err) && !errors.As(err, &invalid) && !strings.Contains(err.Error(), "not found") {
		diags.Append(diagnostics.AWSCall("kms:RevokeGrant", err, fmt.Sprintf("The provider's credentials need kms:RevokeGrant on %s.", keyARN)))
	}
	return diags
}

// findGrant looks for the issuer's grant on the key (drift and import).
func (r *issuerResource) findGrant(ctx context.Context, keyARN, roleARN, function string) (string, error) {
	p := kms.NewListGrantsPaginator(r.clients.KMS, &kms.ListGrantsInput{KeyId: aws.String(keyARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, g := range page.Grants {
			if aws.ToString(g.GranteePrincipal) == roleARN && aws.ToString(g.Name) == function {
				return aws.ToString(g.GrantId), nil
			}
		}
	}
	return "", nil
}

func iamTags(tags map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
