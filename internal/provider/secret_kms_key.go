package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file is the life of securestream_secret's KMS key: the key it
// creates (policy, tags, rotation, alias, deletion) and the checks of a
// key the user names.

// createKey creates the resource's own KMS key, with its key policy, tags,
// yearly rotation and alias, into m.
func (r *secretResource) createKey(ctx context.Context, m *secretModel) diag.Diagnostics {
	policy, diags := r.keyPolicy(ctx, m)
	if diags.HasError() {
		return diags
	}
	out, err := r.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{
		Policy:      policy,
		Description: aws.String(keyDescription(m.FunctionName.ValueString())),
		KeySpec:     kmstypes.KeySpecSymmetricDefault,
		KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
		Tags:        kmsTags(m),
	})
	if err != nil {
		diags.Append(diagnostics.AWSCall("kms:CreateKey", err,
			"The provider's credentials need kms:CreateKey, kms:TagResource and kms:PutKeyPolicy, or set kms_key_id to use an existing symmetric key."))
		return diags
	}
	if out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil {
		diags.Append(diagnostics.NoAnswer("kms:CreateKey", "key metadata"))
		return diags
	}
	m.ManagesKMSKey = types.BoolValue(true)
	m.ID, m.KMSKeyARN = types.StringPointerValue(out.KeyMetadata.KeyId), types.StringPointerValue(out.KeyMetadata.Arn)
	// kms_key_id names a key of the user's; the created key is id and
	// kms_key_arn. A generated configuration (terraform plan
	// -generate-config-out) then leaves kms_key_id out, which it must: it
	// conflicts with alias and tags, and would hand the key over.
	m.KMSKeyID = types.StringNull()
	if rotationOn(*m) {
		if _, err := r.clients.KMS.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: m.ID.ValueStringPointer()}); err != nil {
			diags.Append(diagnostics.AttributeAWSCall(path.Root("enable_key_rotation"), "kms:EnableKeyRotation", err,
				"The provider's credentials need kms:EnableKeyRotation, or set enable_key_rotation = false."))
			return diags
		}
	}
	if !m.Alias.IsNull() {
		if _, err := r.clients.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: m.Alias.ValueStringPointer(), TargetKeyId: m.ID.ValueStringPointer()}); err != nil {
			diags.Append(diagnostics.AttributeAWSCall(path.Root("alias"), "kms:CreateAlias", err,
				fmt.Sprintf("The alias %s must not exist yet, and the provider's credentials need kms:CreateAlias.", m.Alias.ValueString())))
		}
	}
	return diags
}

// cleanUpFailedCreate schedules for deletion a key that a failed create
// made: nothing of a failed create is saved, so the key would be left
// behind. It runs even when the create failed because it was cancelled
// (Ctrl-C, a timeout): the cleanup gets a context of its own.
func (r *secretResource) cleanUpFailedCreate(ctx context.Context, m *secretModel, diags *diag.Diagnostics) {
	if !m.ManagesKMSKey.ValueBool() || m.ID.IsNull() || m.ID.IsUnknown() {
		return
	}
	keyID := m.ID.ValueString()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if !m.Alias.IsNull() {
		_, _ = r.clients.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: m.Alias.ValueStringPointer()})
	}
	_, err := r.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
	if err == nil {
		diags.AddWarning("The new KMS key is scheduled for deletion",
			fmt.Sprintf("The KMS key %s this apply created could not be used and is scheduled for deletion in 7 days.", keyID))
		return
	}
	diags.AddWarning("The new KMS key is left behind",
		fmt.Sprintf("The KMS key %s this apply created could not be used, nor scheduled for deletion (%v): "+
			"aws kms schedule-key-deletion --key-id %s --pending-window-in-days 7", keyID, err, keyID))
}

// cleanupTimeout bounds the calls that undo a failed create.
const cleanupTimeout = 30 * time.Second

func keyDescription(function string) string { return "securestream key ring of " + function }

// rotationOn: enable_key_rotation, true unless set false.
func rotationOn(m secretModel) bool {
	return m.EnableKeyRotation.IsNull() || m.EnableKeyRotation.ValueBool()
}

// deletionWindow is deletion_window_in_days or its default.
func deletionWindow(m secretModel) int32 {
	if m.DeletionWindowInDays.IsNull() || m.DeletionWindowInDays.IsUnknown() {
		return defaultDeletionWindowDays
	}
	return int32(min(max(m.DeletionWindowInDays.ValueInt64(), 7), 30)) // 7 to 30, as validated
}

// kmsTags are the created key's tags: tags_all and the function tag.
func kmsTags(m *secretModel) []kmstypes.Tag {
	all := stringMap(m.TagsAll)
	all[functionTag] = m.FunctionName.ValueString()
	var tags []kmstypes.Tag
	for _, k := range slices.Sorted(maps.Keys(all)) {
		tags = append(tags, kmstypes.Tag{TagKey: aws.String(k), TagValue: aws.String(all[k])})
	}
	return tags
}

// updateKey brings a key the resource owns in line with the plan: policy
// (both function names while the ring is re-encrypted for a new one; and
// rewritten when upgrade is set: the policy an earlier version wrote let
// the account grant itself Decrypt, issue 18), description and function
// tag, tags, yearly rotation, alias. A key handed over to the user
// (manages_kms_key turns false) is left as it is.
func (r *secretResource) updateKey(ctx context.Context, plan, state *secretModel, upgrade bool) diag.Diagnostics {
	var diags diag.Diagnostics
	if !plan.ManagesKMSKey.ValueBool() {
		return nil
	}
	keyID := state.ID.ValueStringPointer()
	renamed := !plan.FunctionName.Equal(state.FunctionName)
	if renamed || upgrade || !plan.DecryptRoleARNs.Equal(state.DecryptRoleARNs) {
		var old []string
		if renamed {
			old = append(old, state.FunctionName.ValueString())
		}
		if diags.Append(r.putKeyPolicy(ctx, plan, old...)...); diags.HasError() {
			return diags
		}
	}
	if renamed {
		if _, err := r.clients.KMS.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: keyID,
			Description: aws.String(keyDescription(plan.FunctionName.ValueString()))}); err != nil {
			diags.Append(diagnostics.AWSCall("kms:UpdateKeyDescription", err, "The provider's credentials need kms:UpdateKeyDescription on the key."))
			return diags
		}
	}
	if renamed || !plan.TagsAll.Equal(state.TagsAll) {
		old, want := stringMap(state.TagsAll), kmsTags(plan)
		var gone []string
		for k := range old {
			if _, ok := stringMap(plan.TagsAll)[k]; !ok && k != functionTag {
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			if _, err := r.clients.KMS.UntagResource(ctx, &kms.UntagResourceInput{KeyId: keyID, TagKeys: gone}); err != nil {
				diags.Append(diagnostics.AWSCall("kms:UntagResource", err, "The provider's credentials need kms:UntagResource on the key."))
				return diags
			}
		}
		if _, err := r.clients.KMS.TagResource(ctx, &kms.TagResourceInput{KeyId: keyID, Tags: want}); err != nil {
			diags.Append(diagnostics.AWSCall("kms:TagResource", err, "The provider's credentials need kms:TagResource on the key."))
			return diags
		}
	}
	if rotationOn(*plan) != rotationOn(*state) {
		var err error
		if rotationOn(*plan) {
			_, err = r.clients.KMS.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: keyID})
		} else {
			_, err = r.clients.KMS.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: keyID})
		}
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(path.Root("enable_key_rotation"), "kms:EnableKeyRotation/DisableKeyRotation", err,
				"The provider's credentials need kms:EnableKeyRotation and kms:DisableKeyRotation on the key."))
			return diags
		}
	}
	if !plan.Alias.Equal(state.Alias) {
		if !state.Alias.IsNull() {
			if _, err := r.clients.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: state.Alias.ValueStringPointer()}); err != nil && !isA[*kmstypes.NotFoundException](err) {
				diags.Append(diagnostics.AttributeAWSCall(path.Root("alias"), "kms:DeleteAlias", err, "The provider's credentials need kms:DeleteAlias."))
				return diags
			}
		}
		if !plan.Alias.IsNull() {
			if _, err := r.clients.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: plan.Alias.ValueStringPointer(), TargetKeyId: keyID}); err != nil {
				diags.Append(diagnostics.AttributeAWSCall(path.Root("alias"), "kms:CreateAlias", err,
					fmt.Sprintf("The alias %s must not exist yet, and the provider's credentials need kms:CreateAlias.", plan.Alias.ValueString())))
			}
		}
	}
	return diags
}

// deleteKey deletes the alias and schedules the key for deletion, and
// says so with the way back.
func (r *secretResource) deleteKey(ctx context.Context, state *secretModel) diag.Diagnostics {
	var diags diag.Diagnostics
	keyID, window := state.ID.ValueString(), deletionWindow(*state)
	if !state.Alias.IsNull() {
		if _, err := r.clients.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: state.Alias.ValueStringPointer()}); err != nil && !isA[*kmstypes.NotFoundException](err) {
			diags.Append(diagnostics.AWSCall("kms:DeleteAlias", err, "The provider's credentials need kms:DeleteAlias."))
			return diags
		}
	}
	_, err := r.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(window)})
	switch {
	case err == nil:
		diags.AddWarning("The KMS key is scheduled for deletion",
			fmt.Sprintf("KMS key %s will be deleted in %d days, with the key ring encrypted under it. To keep it: "+
				"aws kms cancel-key-deletion --key-id %s (then enable it: aws kms enable-key --key-id %s).", keyID, window, keyID, keyID))
	case isA[*kmstypes.NotFoundException](err) || isA[*kmstypes.KMSInvalidStateException](err): // already gone or going
	default:
		diags.Append(diagnostics.AWSCall("kms:ScheduleKeyDeletion", err,
			fmt.Sprintf("The provider's credentials need kms:ScheduleKeyDeletion on %s.", keyID)))
	}
	return diags
}

// checkUserKey checks a key the user names in kms_key_id: in the
// provider's region, existing, enabled, symmetric. Its diagnostics are
// on kms_key_id.
func (r *secretResource) checkUserKey(ctx context.Context, keyID string) (*kmstypes.KeyMetadata, diag.Diagnostics) {
	var diags diag.Diagnostics
	at := path.Root("kms_key_id")
	region := r.clients.Config.Region
	if parts := strings.SplitN(keyID, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[2] == "kms" && parts[3] != region {
		diags.AddAttributeError(at, "The KMS key is in another region",
			fmt.Sprintf("KMS key %s is in %s, the provider is in %s. KMS keys are regional: name a key in %s, or use a provider "+
				"configured for %s.", keyID, parts[3], region, region, parts[3]))
		return nil, diags
	}
	out, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		fix := fmt.Sprintf("kms_key_id %q must name an existing key in %s that the provider's credentials may describe (kms:DescribeKey).", keyID, region)
		if isA[*kmstypes.NotFoundException](err) {
			diags.AddAttributeError(at, "The KMS key does not exist", err.Error()+"\n\n"+fix)
		} else {
			diags.Append(diagnostics.AttributeAWSCall(at, "kms:DescribeKey", err, fix))
		}
		return nil, diags
	}
	m := out.KeyMetadata
	if m == nil {
		diags.Append(diagnostics.NoAnswer("kms:DescribeKey", "key metadata for "+keyID))
		return nil, diags
	}
	// Emulators leave out fields AWS always sends: judge only what is there.
	if (m.KeyUsage != "" && m.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt) || (m.KeySpec != "" && m.KeySpec != kmstypes.KeySpecSymmetricDefault) {
		diags.AddAttributeError(at, "Unusable KMS key", fmt.Sprintf("KMS key %s is %s/%s; use a symmetric ENCRYPT_DECRYPT key.", keyID, m.KeySpec, m.KeyUsage))
	}
	switch m.KeyState {
	case kmstypes.KeyStateDisabled:
		diags.AddAttributeError(at, "The KMS key is disabled", fmt.Sprintf("Enable it first: aws kms enable-key --key-id %s", keyID))
	case kmstypes.KeyStatePendingDeletion:
		diags.AddAttributeError(at, "The KMS key is scheduled for deletion",
			fmt.Sprintf("Cancel the deletion and enable it first: aws kms cancel-key-deletion --key-id %s", keyID))
	}
	return m, diags
}

// keyPolicy is the policy for a KMS key the resource manages (see
// key_policy.go), for function_name and any other function names given
// (both names while a rename re-encrypts the ring). It is nil, with a
// warning, when the identity Terraform runs as cannot be learnt.
func (r *secretResource) keyPolicy(ctx context.Context, m *secretModel, functions ...string) (*string, diag.Diagnostics) {
	var diags diag.Diagnostics
	var roles []string
	if !m.DecryptRoleARNs.IsNull() && !m.DecryptRoleARNs.IsUnknown() {
		if diags = m.DecryptRoleARNs.ElementsAs(ctx, &roles, false); diags.HasError() {
			return nil, diags
		}
	}
	id, err := r.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || id.Arn == nil {
		diags.AddWarning("The KMS key keeps AWS's default key policy",
			fmt.Sprintf("sts:GetCallerIdentity failed (%v), so the key policy that limits kms:Decrypt to Terraform's identity and "+
				"decrypt_role_arns under the encryption context LambdaFunctionName=%s (and grants to the issuer's role alone) was not written; any principal of the account "+
				"whose IAM policy allows kms:Decrypt can open the ring. Allow sts:GetCallerIdentity (or an STS endpoint) and apply again.",
				err, m.FunctionName.ValueString()))
		return nil, diags
	}
	doc, err := keyPolicy(aws.ToString(id.Arn), roles, append([]string{m.FunctionName.ValueString()}, functions...))
	if err != nil {
		diags.AddError("Cannot write the KMS key policy", fmt.Sprintf("sts:GetCallerIdentity answered an identity the policy cannot name: %v.", err))
		return nil, diags
	}
	return &doc, diags
}

// putKeyPolicy writes the key policy of a key the resource manages.
func (r *secretResource) putKeyPolicy(ctx context.Context, m *secretModel, functions ...string) diag.Diagnostics {
	policy, diags := r.keyPolicy(ctx, m, functions...)
	if policy == nil {
		return diags
	}
	if _, err := r.clients.KMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: m.ID.ValueStringPointer(), PolicyName: aws.String("default"), Policy: policy}); err != nil {
		diags.Append(diagnostics.AWSCall("kms:PutKeyPolicy", err,
			fmt.Sprintf("The provider's credentials need kms:PutKeyPolicy on %s to change decrypt_role_arns or function_name, and to replace the policy an earlier version wrote.", m.ID.ValueString())))
	}
	return diags
}
