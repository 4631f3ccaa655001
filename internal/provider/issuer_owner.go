package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// This file is how the issuer knows its role is its own. A role's name,
// path and tags are chosen by whoever creates it, so they prove nothing:
// anyone allowed iam:CreateRole could make the role first, trusting their
// own account, and wait for the provider to grant it the ring. So the
// role is tagged, right after CreateRole, with a MAC of its ARN and of the
// id IAM gave it (which nobody chooses), under a key derived from the key
// ring: only someone who can open the ring can make it, and it is bound
// to that one role, so a tag copied from an earlier role of the same name
// proves nothing. A create killed after the tag resumes from the role; any
// other role of that name is refused.
//
// The file also compares the role with what the provider makes (trust
// policy, inline and managed policies, permissions boundary): a refresh
// reports each difference in `drift`, and the apply removes it.

// issuerOwnerTag is the role's tag holding the ownership MAC.
const issuerOwnerTag = "securestream:owner"

// ownerLabel separates the key this MAC uses from the ring key's other
// use, which only ever signs strings starting "ss1.".
const ownerLabel = "securestream/issuer-role-owner/v1"

// ownerMAC is HMAC-SHA256 of the role's ARN and id under a key derived
// from one ring key.
func ownerMAC(secret []byte, roleARN, roleID string) []byte {
	k := hmac.New(sha256.New, secret)
	k.Write([]byte(ownerLabel))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte(roleARN + "\n" + roleID))
	return m.Sum(nil)
}

// ownerTagValue is the tag's value, "v1.<kid>.<hex MAC>", which fits an
// IAM tag value (256 characters of letters, digits and _.:/=+-@).
func ownerTagValue(doc *keyring.Document, roleARN, roleID string) (string, error) {
	k, ok := doc.Newest()
	if !ok {
		if len(doc.Keys) == 0 {
			return "", fmt.Errorf("the key ring holds no key")
		}
		k = doc.Keys[0] // a ring of the seed key alone
	}
	return "v1." + k.ID + "." + hex.EncodeToString(ownerMAC(k.Secret, roleARN, roleID)), nil
}

// ownedBy says whether value is a tag this ring made for this role. A
// ring rotated since the tag was made still proves it while the signing
// key is in it.
func ownedBy(doc *keyring.Document, value, roleARN, roleID string) bool {
	parts := strings.Split(value, ".")
	if len(parts) != 3 || parts[0] != "v1" || roleID == "" {
		return false
	}
	got, err := hex.DecodeString(parts[2])
	if err != nil {
		return false
	}
	for _, k := range doc.Keys {
		if k.ID == parts[1] && hmac.Equal(got, ownerMAC(k.Secret, roleARN, roleID)) {
			return true
		}
	}
	return false
}

// openRing decrypts the ring the role's owner tag is made with, as the
// plan already did (checkRingFor).
func (r *issuerResource) openRing(ctx context.Context, m *issuerModel) (*keyring.Document, diag.Diagnostics) {
	var diags diag.Diagnostics
	doc, err := keyring.Open(ctx, keyring.KMS{Client: r.clients.KMS}, m.KMSKeyARN.ValueString(), m.FunctionName.ValueString(), m.ringCiphertext().ValueString())
	var call *keyring.CallError
	switch {
	case errors.As(err, &call):
		diags.Append(diagnostics.AWSCall("kms:Decrypt (the key ring, to sign the issuer role's owner tag)", call.Err,
			decryptFix(call.Err, m.FunctionName.ValueString(), m.KMSKeyARN.ValueString())))
	case err != nil:
		diags.AddAttributeError(keyRingPath.AtName("ciphertext"), "Invalid key ring", err.Error())
	}
	return doc, diags
}

// tagOwner tags the role just created with its owner MAC.
func (r *issuerResource) tagOwner(ctx context.Context, m *issuerModel, doc *keyring.Document, roleID string) diag.Diagnostics {
	var diags diag.Diagnostics
	v, err := ownerTagValue(doc, m.RoleARN.ValueString(), roleID)
	if err != nil {
		diags.AddAttributeError(keyRingPath.AtName("ciphertext"), "Invalid key ring", err.Error())
		return diags
	}
	if _, err := r.clients.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: m.FunctionName.ValueStringPointer(),
		Tags: []iamtypes.Tag{{Key: aws.String(issuerOwnerTag), Value: aws.String(v)}}}); err != nil {
		diags.Append(diagnostics.AWSCall("iam:TagRole (the issuer role's owner tag)", err, "The provider's credentials need iam:TagRole on the role."))
	}
	return diags
}

// roleNotOurs is the error for a role of the function's name that the
// provider cannot prove it made.
func roleNotOurs(role *iamtypes.Role, fn, why string) diag.Diagnostic {
	arn := "arn:…:role" + issuerRolePath + fn
	if role != nil {
		arn = aws.ToString(role.Arn)
	}
	return diag.NewErrorDiagnostic("The issuer's role exists and is not this issuer's",
		fmt.Sprintf("securestream_issuer (function_name = %q): iam:CreateRole answered that the role %s exists, and %s, so this "+
			"provider cannot prove it made it (a name, a path and a tag can be set by anyone who may create roles, and the role "+
			"may trust another account). It is not taken over. Import it, or delete it:\n"+
			"  - if it is the role of an issuer that Terraform manages elsewhere, import that issuer (terraform import "+
			"securestream_issuer.<name> %s) instead of creating it again, or choose another function_name;\n"+
			"  - otherwise delete it, after checking whom it trusts: aws iam list-role-policies --role-name %[4]s, then aws iam "+
			"delete-role-policy --role-name %[4]s --policy-name <each>; aws iam list-attached-role-policies --role-name %[4]s, then "+
			"aws iam detach-role-policy --role-name %[4]s --policy-arn <each>; aws iam delete-role --role-name %[4]s. Then apply again.",
			fn, arn, why, fn))
}

// roleDrift is how the role differs from what the provider makes.
type roleDrift struct {
	trust    string   // the trust policy, when it is not the provider's
	policy   string   // the provider's inline policy: "" as made, else "missing" or "changed"
	inline   []string // other inline policies
	attached []string // attached managed policies (ARNs)
	boundary string   // the permissions boundary, when it is not permissions_boundary
}

// describe is the drift as the `drift` attribute says it.
func (d roleDrift) describe() []string {
	var out []string
	if d.trust != "" {
		out = append(out, "role: trust policy "+d.trust+" (the provider's lets lambda.amazonaws.com alone assume it)")
	}
	if d.policy != "" {
		out = append(out, "role: inline policy "+issuerPolicyName+" "+d.policy)
	}
	for _, p := range d.inline {
		out = append(out, "role: inline policy "+p+" (not the provider's)")
	}
	for _, p := range d.attached {
		out = append(out, "role: managed policy "+p+" attached")
	}
	if d.boundary != "" {
		out = append(out, "role: permissions boundary "+d.boundary)
	}
	return out
}

// policyDoc decodes a policy document as IAM returns it (URL-encoded).
func policyDoc(s string) (any, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		u, err := url.QueryUnescape(s)
		if err != nil {
			return nil, err
		}
		s = u
	}
	var v any
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}

// samePolicy compares two policy documents as JSON values.
func samePolicy(got, want string) bool {
	g, err := policyDoc(got)
	if err != nil {
		return false
	}
	w, err := policyDoc(want)
	return err == nil && reflect.DeepEqual(g, w)
}

// compact is a policy document on one line, for the drift's text.
func compact(doc string) string {
	v, err := policyDoc(doc)
	if err != nil {
		return doc
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// inspectRole compares the role (got, from iam:GetRole) with what the
// provider makes for m; the call is named in the error.
func (r *issuerResource) inspectRole(ctx context.Context, m *issuerModel, got *iamtypes.Role) (roleDrift, string, error) {
	var d roleDrift
	fn := m.FunctionName.ValueString()
	if doc := aws.ToString(got.AssumeRolePolicyDocument); !samePolicy(doc, lambdaTrustPolicy) {
		d.trust = compact(doc)
	}
	live := ""
	if got.PermissionsBoundary != nil {
		live = aws.ToString(got.PermissionsBoundary.PermissionsBoundaryArn)
	}
	switch want := m.PermissionsBoundary.ValueString(); {
	case live == want:
	case live == "":
		d.boundary = "removed (permissions_boundary is " + want + ")"
	case want == "":
		d.boundary = live
	default:
		d.boundary = live + " (permissions_boundary is " + want + ")"
	}
	want, err := r.issuerPolicyOf(m, aws.ToString(got.Arn))
	if err != nil {
		return d, "", err
	}
	d.policy = "missing"
	p := iam.NewListRolePoliciesPaginator(r.clients.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(fn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return d, "iam:ListRolePolicies", err
		}
		for _, name := range page.PolicyNames {
			if name != issuerPolicyName {
				d.inline = append(d.inline, name)
				continue
			}
			out, err := r.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(name)})
			if err != nil {
				return d, "iam:GetRolePolicy", err
			}
			d.policy = ""
			if !samePolicy(aws.ToString(out.PolicyDocument), want) {
				d.policy = "changed (not the provider's least-privilege policy)"
			}
		}
	}
	a := iam.NewListAttachedRolePoliciesPaginator(r.clients.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(fn)})
	for a.HasMorePages() {
		page, err := a.NextPage(ctx)
		if err != nil {
			return d, "iam:ListAttachedRolePolicies", err
		}
		for _, ap := range page.AttachedPolicies {
			d.attached = append(d.attached, aws.ToString(ap.PolicyArn))
		}
	}
	slices.Sort(d.inline)
	slices.Sort(d.attached)
	return d, "", nil
}

// roleReadFix is what a failed read of the role needs.
const roleReadFix = "The provider's credentials need iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies " +
	"on the issuer's role: the provider compares it with the role it made (see the resource's Drift section)."

// currentRoleDrift reads the role and compares it with what the provider
// makes; doing names the caller in errors. A role that is gone has none
// (nil): the function's own checks fail without it.
func (r *issuerResource) currentRoleDrift(ctx context.Context, m *issuerModel, doing string) (*roleDrift, diag.Diagnostics) {
	return r.currentRoleDriftImporting(ctx, m, doing, false)
}

// currentRoleDriftImporting is currentRoleDrift; importing first takes
// the role's boundary into m (what it is is then the configuration's),
// and every read takes its path, which IAM never changes.
func (r *issuerResource) currentRoleDriftImporting(ctx context.Context, m *issuerModel, doing string, importing bool) (*roleDrift, diag.Diagnostics) {
	var diags diag.Diagnostics
	out, err := r.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: m.FunctionName.ValueStringPointer()})
	if isA[*iamtypes.NoSuchEntityException](err) {
		return nil, nil
	}
	if err == nil && out.Role != nil {
		if p := aws.ToString(out.Role.Path); p != "" {
			m.RolePath = types.StringValue(p)
		}
		if importing {
			m.PermissionsBoundary = types.StringNull()
			if b := out.Role.PermissionsBoundary; b != nil && aws.ToString(b.PermissionsBoundaryArn) != "" {
				m.PermissionsBoundary = types.StringPointerValue(b.PermissionsBoundaryArn)
			}
		}
	}
	call := "iam:GetRole"
	var d roleDrift
	if err == nil {
		d, call, err = r.inspectRole(ctx, m, out.Role)
	}
	switch {
	case err == nil:
		return &d, nil
	case call == "":
		diags.AddError("Cannot compare the issuer's role", err.Error())
	default:
		diags.Append(diagnostics.AWSCall(call+" (the issuer's role, "+doing+")", err, roleReadFix))
	}
	return nil, diags
}

// readRoleDrift is the role's drift for a refresh.
func (r *issuerResource) readRoleDrift(ctx context.Context, m *issuerModel, importing bool) ([]string, diag.Diagnostics) {
	d, diags := r.currentRoleDriftImporting(ctx, m, "for drift", importing)
	if d == nil {
		return nil, diags
	}
	return d.describe(), diags
}

// repairRole puts the role back as the provider makes it: its trust
// policy and its inline policy alone, no managed policy, and the boundary
// of permissions_boundary (or none).
func (r *issuerResource) repairRole(ctx context.Context, m *issuerModel) diag.Diagnostics {
	fn := m.FunctionName.ValueString()
	d, diags := r.currentRoleDrift(ctx, m, "repairing it")
	if d == nil {
		return diags
	}
	fix := func(call string, err error, perm string) bool {
		if err != nil && !isA[*iamtypes.NoSuchEntityException](err) {
			diags.Append(diagnostics.AWSCall(call+" (repairing the issuer's role "+fn+")", err,
				"The provider's credentials need "+perm+" on the role, to put it back as the provider made it."))
			return false
		}
		return true
	}
	// The trust policy first: it is what lets others in. The boundary
	// last: removing it widens what the role may do, so only once the
	// policies are the provider's alone. What a failure leaves undone the
	// next refresh shows again.
	if d.trust != "" {
		_, err := r.clients.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(fn), PolicyDocument: aws.String(lambdaTrustPolicy)})
		if !fix("iam:UpdateAssumeRolePolicy", err, "iam:UpdateAssumeRolePolicy") {
			return diags
		}
	}
	for _, p := range d.inline {
		_, err := r.clients.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(p)})
		if !fix("iam:DeleteRolePolicy ("+p+")", err, "iam:DeleteRolePolicy") {
			return diags
		}
	}
	for _, p := range d.attached {
		_, err := r.clients.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(fn), PolicyArn: aws.String(p)})
		if !fix("iam:DetachRolePolicy ("+p+")", err, "iam:DetachRolePolicy") {
			return diags
		}
	}
	if d.policy != "" {
		if diags.Append(r.putRolePolicy(ctx, m)...); diags.HasError() {
			return diags
		}
	}
	if d.boundary != "" {
		diags.Append(r.putBoundary(ctx, m)...)
	}
	return diags
}
