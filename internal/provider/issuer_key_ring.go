package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// The issuer takes the ring as key_ring (securestream_secret.<name>.key_ring),
// whose kms_key_id may be a key id, ARN or alias (as KMS's KeyId). What
// needs the key's ARN (the role's policy, the grants, the function's
// SECURESTREAM_KMS_KEY_ID and its drift) reads kms_key_arn: key_ring's
// key resolved (kms:DescribeKey) at plan, kept from the state while
// key_ring.kms_key_id does not change.

// keyARNRE matches a KMS key ARN (not an alias ARN), which needs no
// resolving.
var keyARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

// ring is key_ring's ciphertext, kms_key_id and function_name.
func (m *issuerModel) ring() (ciphertext, kmsKeyID, function types.String) {
	return ringArgs{KeyRing: m.KeyRing}.ring()
}

// ringCiphertext is key_ring.ciphertext.
func (m *issuerModel) ringCiphertext() types.String {
	ct, _, _ := m.ring()
	return ct
}

// ringKeyID is key_ring.kms_key_id.
func (m *issuerModel) ringKeyID() types.String {
	_, id, _ := m.ring()
	return id
}

// ringFunctionMismatch refuses a key_ring encrypted for another function
// than the issuer's function_name (both known): the function could not
// open it.
func ringFunctionMismatch(m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	_, _, ringFn := m.ring()
	if m.FunctionName.IsUnknown() || m.FunctionName.IsNull() || ringFn.IsUnknown() || ringFn.IsNull() || ringFn.Equal(m.FunctionName) {
		return nil
	}
	diags.AddAttributeError(keyRingPath.AtName("function_name"), "The key ring is for another function",
		fmt.Sprintf("key_ring is encrypted for the function %q (key_ring.function_name, its KMS encryption context), but this issuer's "+
			"function_name is %q: the function could not open it. Pass a secret's ring and name together: "+
			"key_ring = securestream_secret.<name>.key_ring with function_name = securestream_secret.<name>.function_name.",
			ringFn.ValueString(), m.FunctionName.ValueString()))
	return diags
}

// planKeyARN plans kms_key_arn: the state's while key_ring.kms_key_id is
// the state's, key_ring.kms_key_id itself when it is a key ARN, otherwise
// resolved by kms:DescribeKey (unknown, for the apply to resolve, when
// the key is unknown, the provider is not configured yet, or the ring is
// made by this apply: its key or alias may not exist yet).
func (r *issuerResource) planKeyARN(ctx context.Context, plan, state *issuerModel, creating bool) diag.Diagnostics {
	id := plan.ringKeyID()
	switch {
	case id.IsUnknown():
		plan.KMSKeyARN = types.StringUnknown()
	case id.IsNull():
		plan.KMSKeyARN = types.StringNull()
	case !creating && id.Equal(state.ringKeyID()) && !state.KMSKeyARN.IsNull() && !state.KMSKeyARN.IsUnknown():
		plan.KMSKeyARN = state.KMSKeyARN
	case keyARNRE.MatchString(id.ValueString()):
		plan.KMSKeyARN = id
	case r.clients == nil:
		plan.KMSKeyARN = types.StringUnknown()
	default:
		arn, diags := r.resolveKeyARN(ctx, id.ValueString())
		switch {
		case diags.HasError() && plan.ringCiphertext().IsUnknown():
			// A ring (and perhaps its key and alias) this apply makes:
			// the apply resolves the key.
			plan.KMSKeyARN = types.StringUnknown()
		case diags.HasError():
			return diags
		default:
			plan.KMSKeyARN = types.StringValue(arn)
		}
	}
	return nil
}

// applyKeyARN resolves, at the apply, a kms_key_arn the plan left unknown.
func (r *issuerResource) applyKeyARN(ctx context.Context, m *issuerModel) diag.Diagnostics {
	if !m.KMSKeyARN.IsUnknown() {
		return nil
	}
	id := m.ringKeyID().ValueString()
	if keyARNRE.MatchString(id) {
		m.KMSKeyARN = types.StringValue(id)
		return nil
	}
	arn, diags := r.resolveKeyARN(ctx, id)
	if !diags.HasError() {
		m.KMSKeyARN = types.StringValue(arn)
	}
	return diags
}

// resolveKeyARN is the ARN of the key id, ARN or alias keyID
// (kms:DescribeKey).
func (r *issuerResource) resolveKeyARN(ctx context.Context, keyID string) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	out, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err == nil && (out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.Arn) == "") {
		diags.Append(diagnostics.NoAnswer("kms:DescribeKey (key_ring.kms_key_id)", "the ARN of "+keyID))
		return "", diags
	}
	if err != nil {
		diags.Append(diagnostics.AttributeAWSCall(keyRingPath.AtName("kms_key_id"), "kms:DescribeKey (key_ring.kms_key_id, to its ARN)", err,
			fmt.Sprintf("key_ring.kms_key_id %q must name an existing KMS key (id, ARN or alias) in %s that the provider's credentials may "+
				"describe (kms:DescribeKey). Pass securestream_secret.<name>.key_ring.", keyID, r.clients.Config.Region)))
		return "", diags
	}
	return aws.ToString(out.KeyMetadata.Arn), diags
}
