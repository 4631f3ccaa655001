package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// Arguments the function code and the stream key share, embedded in both
// models (the framework reads an embedded struct's fields as its own).

// The key ring travels as one object, key_ring: the securestream_secret
// exports it, and every consumer takes it whole
// (key_ring = securestream_secret.<name>.key_ring).

// ringAttrDescs are key_ring's attributes, with their descriptions.
var ringAttrDescs = map[string]string{
	"ciphertext": "The ring's KMS ciphertext, in base64 (the secret's `ciphertext`). Not sensitive: it is KMS ciphertext.",
	"kms_key_id": "The KMS key the ring is encrypted under (id, ARN or alias; the secret exports its ARN), passed to `kms:Decrypt`, " +
		"which then refuses a ring encrypted under any other key.",
	"function_name": "The issuer's function name the ring is encrypted for (its KMS encryption context).",
}

// keyRingAttrTypes is key_ring's object type.
var keyRingAttrTypes = map[string]attr.Type{"ciphertext": types.StringType, "kms_key_id": types.StringType, "function_name": types.StringType}

// keyRingPath is the argument that carries the ring.
var keyRingPath = path.Root("key_ring")

// keyRingDesc is the description of a consumer's key_ring argument.
func keyRingDesc(use string) string {
	return "The key ring: `securestream_secret.<name>.key_ring` (its `ciphertext`, the `kms_key_id` it is encrypted under and the " +
		"issuer's `function_name` it is encrypted for). " + use
}

// keyRingValue is a key_ring object; unknown when the ciphertext is.
func keyRingValue(ciphertext, kmsKeyID, function types.String) types.Object {
	if ciphertext.IsUnknown() {
		return types.ObjectUnknown(keyRingAttrTypes)
	}
	if ciphertext.IsNull() {
		return types.ObjectNull(keyRingAttrTypes)
	}
	return types.ObjectValueMust(keyRingAttrTypes, map[string]attr.Value{"ciphertext": ciphertext, "kms_key_id": kmsKeyID, "function_name": function})
}

// ringArgs name the key ring and how to open it.
type ringArgs struct {
	KeyRing types.Object `tfsdk:"key_ring"`
}

// ring is key_ring's three values (unknown when the object is).
func (a ringArgs) ring() (ciphertext, kmsKeyID, function types.String) {
	get := func(name string) types.String {
		if a.KeyRing.IsUnknown() {
			return types.StringUnknown()
		}
		if v, ok := a.KeyRing.Attributes()[name].(types.String); ok {
			return v
		}
		return types.StringNull()
	}
	return get("ciphertext"), get("kms_key_id"), get("function_name")
}

// ringKnown reports whether key_ring and its values are known.
func (a ringArgs) ringKnown() bool {
	c, k, f := a.ring()
	return !c.IsUnknown() && !k.IsUnknown() && !f.IsUnknown()
}

// decrypt opens the ring, in memory only.
func (a ringArgs) decrypt(ctx context.Context, c *awsclients.Clients) (*keyring.Document, diag.Diagnostics) {
	ct, kmsKeyID, function := a.ring()
	return decryptRingAt(ctx, c, keyRingPath.AtName("ciphertext"), ct.ValueString(), function.ValueString(), kmsKeyID.ValueString())
}

// channelArgs are where a key travels; each one unset has its default.
type channelArgs struct {
	TokenHeader     types.String `tfsdk:"token_header"`
	TokenQuery      types.String `tfsdk:"token_query"`
	TokenCookie     types.String `tfsdk:"token_cookie"`
	TokenPathPrefix types.String `tfsdk:"token_path_prefix"`
}

// channels are the channels as set for the token format (issuance.Formats,
// "" is ss1), each one unset with the format's default, not yet
// normalized. A CAT has no path-prefix channel (issuance.DefaultCATChannels
// says why): catPathPrefix refuses token_path_prefix with it.
func (a channelArgs) channels(format string) issuance.Channels {
	if format == issuance.FormatCAT {
		def := issuance.DefaultCATChannels()
		return issuance.Channels{Header: str(a.TokenHeader, def.Header), Query: str(a.TokenQuery, def.Query), Cookie: str(a.TokenCookie, def.Cookie)}
	}
	def := issuance.DefaultChannels()
	return issuance.Channels{Header: str(a.TokenHeader, def.Header), Query: str(a.TokenQuery, def.Query),
		Cookie: str(a.TokenCookie, def.Cookie), PathPrefix: str(a.TokenPathPrefix, def.PathPrefix)}
}

// catPathPrefix is the error of a token_path_prefix set (to anything but
// "", off) with the CAT format, which formatArg (token_format, format)
// chooses; nil otherwise.
func (a channelArgs) catPathPrefix(format, formatArg string) *argError {
	if format != issuance.FormatCAT || a.TokenPathPrefix.IsNull() || a.TokenPathPrefix.IsUnknown() || a.TokenPathPrefix.ValueString() == "" {
		return nil
	}
	return &argError{"token_path_prefix", "A Common Access Token has no path-prefix channel",
		fmt.Sprintf("token_path_prefix = %q is set with %s = \"cat\": no CAT validator reads a token from the path, and a CAT (up to 1 KB) "+
			"is too long for a path segment. Remove token_path_prefix (a CAT travels in token_header, token_query or token_cookie), "+
			"or set %s = \"ss1\".", a.TokenPathPrefix.ValueString(), formatArg, formatArg)}
}
