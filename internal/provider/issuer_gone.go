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
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// What became of the ring's KMS key. A key that is gone (deleted, or a
// local stack restarted: moto starts empty) or pending deletion takes the
// issuer's grants with it: KMS answers ListGrants and RevokeGrant on it
// with NotFoundException or KMSInvalidStateException (moto with a 500),
// so the provider asks DescribeKey first and calls neither.
type keyFate int

const (
	keyLive keyFate = iota
	keyGone
	keyPendingDeletion
)

// describe is what the fate says to a user.
func (f keyFate) describe(keyARN string) string {
	if f == keyPendingDeletion {
		return "KMS key " + keyARN + " (pending deletion)"
	}
	return "KMS key " + keyARN
}

// ringKeyFate asks KMS (kms:DescribeKey) what became of keyARN. An error
// other than NotFound is returned with keyLive: the caller then goes on
// as before, and the call that follows names what failed (credentials
// that may list and revoke grants but not describe the key still work).
func (r *issuerResource) ringKeyFate(ctx context.Context, keyARN string) (keyFate, error) {
	out, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	switch {
	case isA[*kmstypes.NotFoundException](err):
		return keyGone, nil
	case err != nil:
		return keyLive, err
	case out.KeyMetadata != nil && (out.KeyMetadata.KeyState == kmstypes.KeyStatePendingDeletion ||
		out.KeyMetadata.KeyState == kmstypes.KeyStatePendingReplicaDeletion):
		return keyPendingDeletion, nil
	}
	return keyLive, nil
}

// grantsMoot says whether the grants on keyARN went with the key, so that
// there is nothing to revoke.
func (r *issuerResource) grantsMoot(ctx context.Context, keyARN string) bool {
	fate, err := r.ringKeyFate(ctx, keyARN)
	return err == nil && fate != keyLive
}

// roleGone says whether the issuer's role no longer exists (iam:GetRole
// answers NoSuchEntity); any other answer counts as there.
func (r *issuerResource) roleGone(ctx context.Context, m *issuerModel) bool {
	if m.RoleARN.IsNull() {
		return true
	}
	_, err := r.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: m.FunctionName.ValueStringPointer()})
	return isA[*iamtypes.NoSuchEntityException](err)
}

// restAPIKeyGone says whether the REST API's key (which outlives the API)
// no longer exists.
func (r *issuerResource) restAPIKeyGone(ctx context.Context, m *issuerModel) bool {
	if m.RESTAPIKeyID.IsNull() || m.RESTAPIKeyID.ValueString() == "" {
		return true
	}
	_, err := r.clients.APIGateway.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: m.RESTAPIKeyID.ValueStringPointer()})
	return isA[*resttypes.NotFoundException](err)
}

// allGone is called by Read when the function is gone, with m refreshed:
// it says whether every other object the state holds is gone too (the
// local stack restarted, or the issuer was deleted outside Terraform), and
// lists what was found missing. Then the resource leaves the state, and
// the plan creates the issuer again; when something is left, the plan
// replaces the issuer instead (ModifyPlan), whose delete removes it.
func (r *issuerResource) allGone(ctx context.Context, m *issuerModel, key keyFate, keyChecked bool) (bool, []string) {
	fn := m.FunctionName.ValueString()
	missing := []string{"Lambda function " + fn}
	if !m.APIID.IsNull() || !m.LogGroupName.IsNull() {
		return false, nil
	}
	switch m.APIType.ValueString() { // a function URL goes with the function
	case apiTypeHTTP:
		missing = append(missing, "API Gateway HTTP API")
	case apiTypeREST:
		if !r.restAPIKeyGone(ctx, m) {
			return false, nil
		}
		missing = append(missing, "API Gateway REST API and its API key")
	}
	missing = append(missing, "log group "+logGroupName(fn))
	if !r.roleGone(ctx, m) {
		return false, nil
	}
	missing = append(missing, "IAM role "+fn)
	switch {
	case keyChecked && key != keyLive:
		missing = append(missing, key.describe(m.KMSKeyARN.ValueString()))
	case m.GrantID.IsNull():
		missing = append(missing, "KMS grants")
	default:
		return false, nil
	}
	return true, missing
}

// goneDetail is the warning of an issuer removed from the state.
func goneDetail(missing []string) string {
	return fmt.Sprintf("None of the issuer's objects exists any more (lambda:GetFunction, iam:GetRole, kms:DescribeKey and the others "+
		"answered not found): %s. This happens when the local stack restarts (moto starts empty) or when the issuer was deleted "+
		"outside Terraform. The issuer is removed from the state, and the next apply creates it again.", strings.Join(missing, ", "))
}

// keyGoneWarning is the warning of a ring's key that is gone while the
// issuer stays in the state.
func keyGoneWarning(diags *diag.Diagnostics, fate keyFate, keyARN string) {
	what := "no longer exists"
	if fate == keyPendingDeletion {
		what = "is pending deletion"
	}
	diags.AddWarning("The issuer's KMS key is gone",
		fmt.Sprintf("KMS key %s %s (kms:DescribeKey): the issuer's grants on it went with it, so they are not listed or revoked. The issuer cannot open "+
			"its key ring until securestream_secret makes a new one with a new key; the next apply gives the issuer that ring and "+
			"grants on the new key.", keyARN, what))
}
