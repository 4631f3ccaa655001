package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// notForYourKey refuses, on securestream_secret, an argument that manages
// the KMS key the resource creates (alias, tags, deletion_window_in_days,
// enable_key_rotation, decrypt_role_arns) beside kms_key_id, and says why:
// the fix "set kms_key_id" of the warning "The secret keeps your KMS key"
// meets it, and a bare "cannot be specified when" does not explain it.
var notForYourKey = notForYourKeyRule{"only for a key this resource creates: not with kms_key_id"}

type notForYourKeyRule struct{ describedAs }

var (
	_ validator.String = notForYourKey
	_ validator.Bool   = notForYourKey
	_ validator.Int64  = notForYourKey
	_ validator.Map    = notForYourKey
	_ validator.Set    = notForYourKey
)

// check adds the error when the argument at is set beside kms_key_id.
func (notForYourKeyRule) check(ctx context.Context, config tfsdk.Config, at path.Path, set bool, diags *diag.Diagnostics) {
	if !set {
		return
	}
	var key types.String
	if d := config.GetAttribute(ctx, path.Root("kms_key_id"), &key); d.HasError() || key.IsNull() || key.IsUnknown() {
		return
	}
	diags.AddAttributeError(at, "Invalid Attribute Combination",
		fmt.Sprintf("Attribute \"kms_key_id\" cannot be specified when %q is specified: %s manages the KMS key this resource creates, "+
			"and kms_key_id names a key of yours instead, whose alias, tags, rotation, deletion and key policy are left to you (as "+
			"aws_kms_key, aws_kms_alias and aws_kms_key_policy manage them). Remove %s to keep your key, or remove kms_key_id for a key "+
			"this resource creates and manages.", at, at, at))
}

func (v notForYourKeyRule) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	v.check(ctx, req.Config, req.Path, !req.ConfigValue.IsNull(), &resp.Diagnostics)
}

func (v notForYourKeyRule) ValidateBool(ctx context.Context, req validator.BoolRequest, resp *validator.BoolResponse) {
	v.check(ctx, req.Config, req.Path, !req.ConfigValue.IsNull(), &resp.Diagnostics)
}

func (v notForYourKeyRule) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	v.check(ctx, req.Config, req.Path, !req.ConfigValue.IsNull(), &resp.Diagnostics)
}

func (v notForYourKeyRule) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	v.check(ctx, req.Config, req.Path, !req.ConfigValue.IsNull(), &resp.Diagnostics)
}

func (v notForYourKeyRule) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	v.check(ctx, req.Config, req.Path, !req.ConfigValue.IsNull(), &resp.Diagnostics)
}
