package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// ImportState takes "<kms_key_id>,<function_name>,<ciphertext>" or
// "<kms_key_id>,<function_name>,lambda:<issuer function>", which reads the
// ciphertext from that function's SECURESTREAM_KEYRING. The import's read
// (readImportedKey) learns from the key's tags whether this resource
// created it and so manages (and deletes) it; any other key is the user's.
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
		env, diags := issuerRingEnv(ctx, r.clients, "securestream_secret", fn, "<kms_key_id>,<function_name>,<ciphertext>", envKeyring)
		if resp.Diagnostics.Append(diags...); diags.HasError() {
			return
		}
		ciphertext = env[envKeyring]
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

// issuerRingEnv reads, for the import of resource, the variables vars of
// the issuer's Lambda function fn (lambda:GetFunctionConfiguration): where
// the key ring is sealed (envKeyring) and under which key (envKMSKeyID).
// The securestream_secret and securestream_function imports share it; a
// variable missing is an error naming the function, the variable and the
// import id that does without the function (explicit).
func issuerRingEnv(ctx context.Context, c *awsclients.Clients, resource, fn, explicit string, vars ...string) (map[string]string, diag.Diagnostics) {
	var diags diag.Diagnostics
	out, err := c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
	if err != nil {
		diags.Append(diagnostics.AWSCall("lambda:GetFunctionConfiguration", err,
			fmt.Sprintf("The %s import reads %s from the issuer function %q; the provider's credentials need lambda:GetFunctionConfiguration on it.",
				resource, strings.Join(vars, " and "), fn)))
		return nil, diags
	}
	var env map[string]string
	if out.Environment != nil {
		env = out.Environment.Variables
	}
	for _, v := range vars {
		if env[v] == "" {
			diags.AddError("No key ring in the issuer function", fmt.Sprintf("%s import: the function %q has no %s variable "+
				"(lambda:GetFunctionConfiguration). Name the issuer's function, or import with %s.", resource, fn, v, explicit))
			return nil, diags
		}
	}
	return env, diags
}

// readImportedKey fills in, after an import, what the KMS key says about
// the secret: whether this resource created it (the key carries the tag
// securestream:function = function_name, which only a key this resource
// creates gets: createKey), and for such a key its alias, tags, yearly
// rotation and decrypt_role_arns (from the key policy this resource
// wrote), so that a configuration that made the key plans no change, and
// a generated one does not name the key in kms_key_id (which conflicts
// with alias and tags, and would hand the key over).
func (r *secretResource) readImportedKey(ctx context.Context, m *secretModel) diag.Diagnostics {
	var diags diag.Diagnostics
	keyID := m.ID.ValueString()
	all, err := r.keyTags(ctx, keyID)
	if err != nil {
		diags.Append(diagnostics.AWSCall("kms:ListResourceTags", err,
			fmt.Sprintf("The import reads the tags of KMS key %s to learn whether securestream created it (tag %s); the provider's "+
				"credentials need kms:ListResourceTags on it.", keyID, functionTag)))
		return diags
	}
	if all[functionTag] != m.FunctionName.ValueString() {
		// The user's key: kms_key_id names it, as the import id did, and
		// nothing of it is managed.
		m.ManagesKMSKey, m.TagsAll, m.Tags, m.Alias = types.BoolValue(false), types.MapNull(types.StringType), types.MapNull(types.StringType), types.StringNull()
		return diags
	}
	m.ManagesKMSKey, m.KMSKeyID = types.BoolValue(true), types.StringNull()
	delete(all, functionTag)
	tagsAll, d := types.MapValueFrom(ctx, types.StringType, all)
	diags.Append(d...)
	m.TagsAll = tagsAll
	own := map[string]string{}
	for k, v := range all {
		if dv, ok := r.defaultTags[k]; !ok || dv != v {
			own[k] = v
		}
	}
	m.Tags = types.MapNull(types.StringType)
	if len(own) > 0 {
		m.Tags, d = types.MapValueFrom(ctx, types.StringType, own)
		diags.Append(d...)
	}
	aliases, err := r.clients.KMS.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(keyID)})
	if err != nil {
		diags.Append(diagnostics.AWSCall("kms:ListAliases", err, fmt.Sprintf("The import reads the alias of KMS key %s; the provider's credentials need kms:ListAliases.", keyID)))
		return diags
	}
	m.Alias = types.StringNull()
	var names []string
	for _, a := range aliases.Aliases {
		if n := aws.ToString(a.AliasName); aws.ToString(a.TargetKeyId) == keyID && !strings.HasPrefix(n, "alias/aws/") {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		m.Alias = types.StringValue(names[0])
	}
	rot, err := r.clients.KMS.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(keyID)})
	if err != nil {
		diags.Append(diagnostics.AWSCall("kms:GetKeyRotationStatus", err, fmt.Sprintf("The import reads whether KMS rotates key %s; the provider's credentials need kms:GetKeyRotationStatus on it.", keyID)))
		return diags
	}
	m.EnableKeyRotation = types.BoolNull() // the default, on
	if !rot.KeyRotationEnabled {
		m.EnableKeyRotation = types.BoolValue(false)
	}
	pol, err := r.clients.KMS.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default")})
	if err != nil {
		diags.Append(diagnostics.AWSCall("kms:GetKeyPolicy", err, fmt.Sprintf("The import reads decrypt_role_arns from the policy of KMS key %s; the provider's credentials need kms:GetKeyPolicy on it.", keyID)))
		return diags
	}
	m.DecryptRoleARNs = types.SetNull(types.StringType)
	if roles := decryptRolesOf(aws.ToString(pol.Policy)); len(roles) > 0 {
		m.DecryptRoleARNs, d = types.SetValueFrom(ctx, types.StringType, roles)
		diags.Append(d...)
	}
	return diags
}

// keyTags are the tags of a KMS key, every page.
func (r *secretResource) keyTags(ctx context.Context, keyID string) (map[string]string, error) {
	tags := map[string]string{}
	in := &kms.ListResourceTagsInput{KeyId: aws.String(keyID)}
	for {
		out, err := r.clients.KMS.ListResourceTags(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, t := range out.Tags {
			tags[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
		}
		if !out.Truncated || out.NextMarker == nil {
			return tags, nil
		}
		in.Marker = out.NextMarker
	}
}

// decryptRolesOf reads decrypt_role_arns back from a key policy this
// resource wrote (keyPolicy): the principals of its statement
// NamedPrincipalsOpenTheKeyRing.
func decryptRolesOf(policy string) []string {
	var doc struct {
		Statement []struct {
			Sid       string
			Condition map[string]map[string]json.RawMessage
		}
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return nil
	}
	for _, s := range doc.Statement {
		if s.Sid != "NamedPrincipalsOpenTheKeyRing" {
			continue
		}
		raw := s.Condition["ArnLike"]["aws:PrincipalArn"]
		var many []string
		if json.Unmarshal(raw, &many) == nil {
			return many
		}
		var one string
		if json.Unmarshal(raw, &one) == nil && one != "" {
			return []string{one}
		}
	}
	return nil
}
