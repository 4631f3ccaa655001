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
// policy, which lets Terraform's identity grant Decrypt, bound to one
// function's secret of one purpose, to a role under role/securestream/.

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
	return issuerPolicyDoc(roleARN, region, function, keyARN, false, "")
}

// issuerPolicyOf is the role's inline policy for m: with tracing =
// "Active", it also lets the function send its traces to X-Ray (which has
// no resource to name: "*"); with settings.revocation_kvs_arn, use that
// store (kvsStatement).
func (r *issuerResource) issuerPolicyOf(m *issuerModel, roleARN string) (string, error) {
	return issuerPolicyDoc(roleARN, r.clients.Config.Region, m.FunctionName.ValueString(), m.KMSKeyARN.ValueString(), m.Tracing.ValueString() == tracingActive,
		revocationStore(m.Settings))
}

func issuerPolicyDoc(roleARN, region, function, keyARN string, xray bool, kvsARN string) (string, error) {
	partition, account := accountOf(roleARN)
	if partition == "" || account == "" {
		return "", fmt.Errorf("%q is not an IAM role ARN", roleARN)
	}
	statements := []any{
		map[string]any{"Sid": "OpenTheKeyRing", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keyARN,
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:" + keyring.ContextFunction: function,
				"kms:EncryptionContext:" + keyring.ContextPurpose: keyring.Purposes}}}, // each secret, only as what it is (issue 18)
		map[string]any{"Sid": "WriteItsLogs", "Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, account, logGroupName(function))},
	}
	if xray {
		statements = append(statements, map[string]any{"Sid": "SendItsTraces", "Effect": "Allow",
			"Action": []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, "Resource": "*"})
	}
	if kvsARN != "" {
		statements = append(statements, kvsStatement(kvsARN))
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b), err
}

func logGroupName(function string) string { return "/aws/lambda/" + function }

// rolePath is the role's path: role_path, or the default.
func rolePath(m *issuerModel) string {
	if p := m.RolePath.ValueString(); p != "" {
		return p
	}
	return issuerRolePath
}

// createRole creates the role, tags it with its owner MAC, and puts its
// policy, into m.RoleARN. A role left by an interrupted create of this
// issuer (its owner tag proves it) is taken over instead, and resumed
// says so; any other role of that name fails the create (see
// issuer_owner.go and issuer_resume.go).
func (r *issuerResource) createRole(ctx context.Context, m *issuerModel, resumed *bool) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	ring, d := r.openRing(ctx, m) // before the role, so that a failure leaves none
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	out, err := r.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(fn), Path: aws.String(rolePath(m)), AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
		Description: aws.String("securestream issuer " + fn), Tags: iamTags(r.tags(m)), PermissionsBoundary: m.PermissionsBoundary.ValueStringPointer(),
	})
	if isA[*iamtypes.EntityAlreadyExistsException](err) {
		if diags.Append(r.adoptRole(ctx, m, ring)...); diags.HasError() {
			return diags
		}
		*resumed = true
		return append(diags, r.putRolePolicy(ctx, m)...)
	}
	if err != nil {
		diags.Append(diagnostics.AWSCall("iam:CreateRole (step 1 of the issuer: its role)", err,
			fmt.Sprintf("The provider's credentials need iam:CreateRole and iam:TagRole, and no role named %s may exist yet (import the issuer if it is yours).", fn)))
		return diags
	}
	if out.Role == nil || out.Role.Arn == nil || out.Role.RoleId == nil {
		diags.Append(diagnostics.NoAnswer("iam:CreateRole", "role"))
		return diags
	}
	m.RoleARN = types.StringPointerValue(out.Role.Arn)
	if diags.Append(r.tagOwner(ctx, m, ring, aws.ToString(out.Role.RoleId))...); diags.HasError() {
		return diags
	}
	return r.putRolePolicy(ctx, m)
}

func (r *issuerResource) putRolePolicy(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	doc, err := r.issuerPolicyOf(m, m.RoleARN.ValueString())
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
	if err != nil && !isA[*iamtypes.NoSuchEntityException](err) {
		diags.Append(diagnostics.AWSCall("iam:DeleteRolePolicy", err, "The provider's credentials need iam:DeleteRolePolicy on the role."))
		return diags
	}
	if _, err := r.clients.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(function)}); err != nil && !isA[*iamtypes.NoSuchEntityException](err) {
		diags.Append(diagnostics.AWSCall("iam:DeleteRole", err,
			"The provider's credentials need iam:DeleteRole; a policy attached to the role by hand must be detached first."))
	}
	return diags
}

// The issuer's grants: one per purpose (keyring.Purposes), each letting
// the role decrypt only under the encryption context of that one secret,
// {LambdaFunctionName: function, Purpose: purpose} (KMS matches it whole),
// named function:purpose. grant_id lists their ids, comma-separated, in
// the order of keyring.Purposes. A single grant cannot say this: a grant
// has one constraint, and a subset constraint on the function alone would
// also allow the legacy context, without a purpose.

func issuerGrantName(function, purpose string) string { return function + ":" + purpose }

// createGrant makes the issuer's grants, into m.GrantID. On a failure the
// grants it made are revoked again.
func (r *issuerResource) createGrant(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	var ids []string
	for _, purpose := range keyring.Purposes {
		out, err := r.clients.KMS.CreateGrant(ctx, &kms.CreateGrantInput{
			KeyId: m.KMSKeyARN.ValueStringPointer(), GranteePrincipal: m.RoleARN.ValueStringPointer(), Name: aws.String(issuerGrantName(fn, purpose)),
			Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
			Constraints: &kmstypes.GrantConstraints{EncryptionContextEquals: keyring.Context(fn, purpose)},
		})
		if err == nil && out.GrantId == nil {
			err = errors.New("the answer has no grant id")
		}
		if err != nil {
			diags.Append(diagnostics.AWSCall("kms:CreateGrant (the issuer role's right to open its "+purpose+")", err,
				fmt.Sprintf("The provider's credentials need kms:CreateGrant on %s: the key policy securestream_secret writes allows it to "+
					"Terraform's identity alone, for Decrypt under an encryption context with LambdaFunctionName and Purpose, to a role "+
					"under role/securestream/. A key policy of your own must allow the same.", m.KMSKeyARN.ValueString())))
			diags.Append(r.revokeGrant(ctx, m.KMSKeyARN.ValueString(), strings.Join(ids, ","))...)
			return diags
		}
		ids = append(ids, aws.ToString(out.GrantId))
	}
	m.GrantID = types.StringValue(strings.Join(ids, ","))
	return diags
}

// grantsCurrent: grant_id lists one grant per purpose, as createGrant
// makes them (findGrant marks any other set, see there).
func grantsCurrent(grantIDs string) bool {
	ids := strings.Split(grantIDs, ",")
	return len(ids) == len(keyring.Purposes) && !slices.Contains(ids, "")
}

// revokeGrant removes the grants grant_id lists; Terraform's identity
// administers the key (kms:RevokeGrant), while RetireGrant is only for
// the grantee or a retiring principal. Grants on a key that is gone or
// pending deletion went with it: nothing is revoked (see ringKeyFate).
func (r *issuerResource) revokeGrant(ctx context.Context, keyARN, grantIDs string) diag.Diagnostics {
	var diags diag.Diagnostics
	if keyARN == "" || strings.Trim(grantIDs, ",") == "" || r.grantsMoot(ctx, keyARN) {
		return nil
	}
	for _, id := range strings.Split(grantIDs, ",") {
		if id == "" {
			continue
		}
		_, err := r.clients.KMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String(keyARN), GrantId: aws.String(id)})
		if err != nil && !isA[*kmstypes.NotFoundException](err) && !isA[*kmstypes.InvalidGrantIdException](err) && !strings.Contains(err.Error(), "not found") {
			diags.Append(diagnostics.AWSCall("kms:RevokeGrant", err, fmt.Sprintf("The provider's credentials need kms:RevokeGrant on %s.", keyARN)))
		}
	}
	return diags
}

// findGrant looks for the issuer's grants on the key (drift and import):
// their ids as grant_id lists them when they are the current set, one per
// purpose with its exact constraint. Any other set (the single grant of a
// version before the purpose, named function, or a grant missing or
// constrained otherwise) is returned whole, so that its grants are
// revoked when the plan remakes them, with an empty last id when it would
// otherwise count as many as the current set: grantsCurrent is then false.
func (r *issuerResource) findGrant(ctx context.Context, keyARN, roleARN, function string) (string, error) {
	current := map[string]string{} // purpose -> grant id
	var others []string
	p := kms.NewListGrantsPaginator(r.clients.KMS, &kms.ListGrantsInput{KeyId: aws.String(keyARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, g := range page.Grants {
			name := aws.ToString(g.Name)
			if aws.ToString(g.GranteePrincipal) != roleARN || (name != function && !strings.HasPrefix(name, function+":")) {
				continue
			}
			purpose := strings.TrimPrefix(name, function+":")
			ok := name != function && slices.Contains(keyring.Purposes, purpose) && current[purpose] == "" &&
				slices.Equal(g.Operations, []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}) &&
				g.Constraints != nil && maps.Equal(g.Constraints.EncryptionContextEquals, keyring.Context(function, purpose)) &&
				len(g.Constraints.EncryptionContextSubset) == 0
			if ok {
				current[purpose] = aws.ToString(g.GrantId)
			} else {
				others = append(others, aws.ToString(g.GrantId))
			}
		}
	}
	var ids []string
	for _, purpose := range keyring.Purposes {
		if id := current[purpose]; id != "" {
			ids = append(ids, id)
		}
	}
	if len(others) == 0 && len(ids) == len(keyring.Purposes) {
		return strings.Join(ids, ","), nil
	}
	ids = append(ids, others...)
	if len(ids) == len(keyring.Purposes) {
		ids = append(ids, "")
	}
	return strings.Join(ids, ","), nil
}

func iamTags(tags map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
