package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// Arguments the function code and the stream key share, embedded in both
// models (the framework reads an embedded struct's fields as its own).

// ringArgs name the key ring and how to open it.
type ringArgs struct {
	Ciphertext   types.String `tfsdk:"ciphertext"`
	KMSKeyID     types.String `tfsdk:"kms_key_id"`
	FunctionName types.String `tfsdk:"function_name"`
}

// decrypt opens the ring, in memory only.
func (a ringArgs) decrypt(ctx context.Context, c *awsclients.Clients) (*keyring.Document, diag.Diagnostics) {
	return decryptRing(ctx, c, a.Ciphertext.ValueString(), a.FunctionName.ValueString(), a.KMSKeyID.ValueString())
}

// channelArgs are where a key travels; each one unset has its default.
type channelArgs struct {
	TokenHeader     types.String `tfsdk:"token_header"`
	TokenQuery      types.String `tfsdk:"token_query"`
	TokenCookie     types.String `tfsdk:"token_cookie"`
	TokenPathPrefix types.String `tfsdk:"token_path_prefix"`
}

// channels are the channels as set, not yet normalized.
func (a channelArgs) channels() issuance.Channels {
	def := issuance.DefaultChannels()
	return issuance.Channels{Header: str(a.TokenHeader, def.Header), Query: str(a.TokenQuery, def.Query),
		Cookie: str(a.TokenCookie, def.Cookie), PathPrefix: str(a.TokenPathPrefix, def.PathPrefix)}
}
