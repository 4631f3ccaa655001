package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

var (
	_ resource.Resource                = (*secretResource)(nil)
	_ resource.ResourceWithConfigure   = (*secretResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*secretResource)(nil)
	_ resource.ResourceWithImportState = (*secretResource)(nil)
)

// NewSecretResource is securestream_secret.
func NewSecretResource() resource.Resource { return &secretResource{} }

type secretResource struct {
	clients *awsclients.Clients
	now     func() time.Time
}

type secretModel struct {
	ID                 types.String `tfsdk:"id"`
	FunctionName       types.String `tfsdk:"function_name"`
	KMSKeyID           types.String `tfsdk:"kms_key_id"`
	KMSKeyARN          types.String `tfsdk:"kms_key_arn"`
	ManagesKMSKey      types.Bool   `tfsdk:"manages_kms_key"`
	DeletionWindowDays types.Int64  `tfsdk:"deletion_window_days"`
	RotateWhen         types.Map    `tfsdk:"rotate_when"`
	RotationDays       types.Int64  `tfsdk:"rotation_days"`
	ActivationDelay    types.String `tfsdk:"activation_delay"`
	MaxTokenLifetime   types.String `tfsdk:"max_token_lifetime"`
	DecryptRoleARNs    types.Set    `tfsdk:"decrypt_role_arns"`
	SecretWO           types.String `tfsdk:"secret_wo"`
	SecretWOVersion    types.Int64  `tfsdk:"secret_wo_version"`
	Ciphertext         types.String `tfsdk:"ciphertext"`
	Keys               types.List   `tfsdk:"keys"`
	NewestKeyID        types.String `tfsdk:"newest_key_id"`
	RotatedAt          types.String `tfsdk:"rotated_at"`
}

var keyObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"kid": types.StringType, "created": types.StringType, "seed": types.BoolType,
}}

// The defaults of the lifetime settings, as Terraform shows them ("10m",
// "24h"); their values are the key ring's.
var (
	defaultActivationDelay  = shortDuration(keyring.DefaultActivationDelay)
	defaultMaxTokenLifetime = shortDuration(keyring.DefaultMaxTokenLifetime)
)

// shortDuration writes d as a user would: "24h", "10m", "1h30m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// iamPrincipalRE matches the ARN of an IAM role or user, with a path.
var iamPrincipalRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$`)

func (r *secretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (r *secretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The key ring that signs stream keys: a KMS key, and keys of 32 random bytes each, encrypted with KMS " +
			"under the encryption context `{\"LambdaFunctionName\": function_name}`. **No plaintext secret is stored in the state**: " +
			"the state holds key ids, times and the KMS ciphertext only; whatever needs the keys decrypts them through KMS when it " +
			"runs. Rotation adds a key; the issuer starts signing with it only after `activation_delay`, once the edge function has it. " +
			"A previous key leaves the ring only once no token it signed can still be valid: `activation_delay` + `max_token_lifetime` " +
			"+ 30 s of clock leeway after its successor was created. A rotation that would need more than 8 keys (the edge function's " +
			"limit, the seed key included) is refused at plan with the time it fits.\n\n" +
			"**Key policy.** A KMS key this resource creates gets a key policy under which the account administers the key (as in " +
			"AWS's default policy) but cannot use it: `kms:Encrypt` is allowed only to the identity Terraform runs as, and " +
			"`kms:Decrypt` only to it and to `decrypt_role_arns`, both only with the encryption context `LambdaFunctionName` = " +
			"`function_name`. Those principals also need the action in their IAM policy. For a key you bring in `kms_key_id`, " +
			"grant the same: `kms:Decrypt` to the issuer's role with the condition " +
			"`kms:EncryptionContext:LambdaFunctionName` = `function_name`, and `kms:Encrypt`, `kms:Decrypt` and `kms:DescribeKey` " +
			"to Terraform's identity. Every `kms:Decrypt` names the key, so a ring encrypted under another key is refused.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The KMS key's id (resolved from `kms_key_id` when that is an alias or ARN)."},
			"function_name": schema.StringAttribute{Required: true,
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`),
					"must be a Lambda function name: 1 to 64 of A-Z a-z 0-9 _ - (the name, not the ARN)")},
				MarkdownDescription: "Name of the issuer's Lambda function. The key ring is encrypted with the encryption context " +
					"`LambdaFunctionName` = this name, which the issuer uses to decrypt it. Changing it re-encrypts the ring in place."},
			"kms_key_id": schema.StringAttribute{Optional: true, Computed: true,
				PlanModifiers: keep, // ModifyPlan replaces the secret when it names another key
				MarkdownDescription: "A symmetric KMS key to use (id, ARN or alias). When set, the key is yours: it is not deleted with " +
					"this resource. When unset, the resource creates a key and schedules it for deletion when destroyed. Naming another " +
					"key replaces the secret (new keys); another spelling of the same key changes nothing."},
			"kms_key_arn": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "ARN of the KMS key (grant the issuer's role `kms:Decrypt` on it)."},
			"manages_kms_key": schema.BoolAttribute{Computed: true,
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Whether this resource created the KMS key, and so deletes it."},
			"deletion_window_days": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(30),
				Validators:          []validator.Int64{int64validator.Between(7, 30)},
				MarkdownDescription: "Waiting period, in days (7 to 30), before KMS deletes a key this resource created. Default 30."},
			"rotate_when": schema.MapAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Arbitrary values; changing any of them rotates the ring (like `keepers` elsewhere). Setting it where " +
					"it was unset (as after an import), or removing it, does not rotate."},
			"rotation_days": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)},
				MarkdownDescription: "Rotate when the newest key is at least this many days old, at the first plan after that. The rule " +
					"is applied when Terraform plans: a plan saved before the day and applied after it fails with \"inconsistent final " +
					"plan\"; plan again."},
			"max_token_lifetime": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultMaxTokenLifetime),
				Validators: []validator.String{lifetimeValidator},
				MarkdownDescription: "The longest lifetime the issuer gives a stream key (its `SECURESTREAM_MAX_TTL`), whole seconds from `1m` to `24h`. " +
					"A previous key stays in the ring until its successor is `activation_delay` + this + 30 s old, so that no key handed out " +
					"is refused because of a rotation. Default `" + defaultMaxTokenLifetime + "`."},
			"decrypt_role_arns": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(iamPrincipalRE,
					"must be an IAM role or user ARN, such as arn:aws:iam::123456789012:role/issuer"))},
				MarkdownDescription: "IAM roles (or users) that may decrypt the key ring, besides the identity Terraform runs as: the issuer's " +
					"execution role. Used in the key policy of a KMS key this resource creates, where `kms:Decrypt` is allowed only to them " +
					"and only with the encryption context `LambdaFunctionName` = `function_name`; the account administers the key but " +
					"cannot decrypt with it. Ignored for a key named in `kms_key_id`: its policy is yours (see **Key policy** above)."},
			"activation_delay": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultActivationDelay),
				Validators:          []validator.String{durationValidator},
				MarkdownDescription: "How old a key must be before the issuer signs with it (a Go duration such as `10m`), so that every edge location has it first. Default `" + defaultActivationDelay + "`."},
			"secret_wo": schema.StringAttribute{Optional: true, WriteOnly: true, Sensitive: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(streamkey.MinSecretBytes)},
				MarkdownDescription: "The secret of an original (blog post) deployment, to keep its stream keys working during a migration. " +
					"Write-only: it is never stored in the plan or the state. It joins the ring as the seed-format key `seed`. " +
					"Set `secret_wo_version` with it, and change the version to change the secret."},
			"secret_wo_version": schema.Int64Attribute{Optional: true,
				MarkdownDescription: "Version of `secret_wo`; changing it applies the current `secret_wo` (or removes the seed key when `secret_wo` is unset)."},
			"ciphertext": schema.StringAttribute{Computed: true, Sensitive: true, PlanModifiers: keep,
				MarkdownDescription: "The key ring, encrypted with KMS, in base64: the issuer's `SECURESTREAM_KEYRING`."},
			"keys": schema.ListAttribute{Computed: true, ElementType: keyObjectType,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "The keys of the ring, oldest first: `kid`, `created` (RFC 3339) and `seed`. No secret."},
			"newest_key_id": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "Id of the newest key."},
			"rotated_at": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "When the ring was created or last rotated (RFC 3339)."},
		},
	}
}

func (r *secretResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	pd, d := fromProvider(req.ProviderData)
	if d != nil {
		resp.Diagnostics.Append(d)
		return
	}
	r.now = time.Now
	if pd != nil {
		r.clients, r.now = pd.clients, pd.now
	}
}

// ModifyPlan marks the ring as changing when it will or may be rotated, or
// when its seed key or its encryption context changes, and refuses a
// rotation the edge function could not hold.
func (r *secretResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A rotate_when that is not known yet may rotate the ring.
	resp.Diagnostics.Append(r.keyChange(ctx, plan, state, resp)...)
	rotate := r.rotationDue(plan, state) || (plan.RotateWhen.IsUnknown() && !state.RotateWhen.IsNull())
	seedChange := !plan.SecretWOVersion.Equal(state.SecretWOVersion)
	if !rotate && !seedChange && plan.FunctionName.Equal(state.FunctionName) {
		return
	}
	if rotate || seedChange {
		resp.Diagnostics.Append(r.checkCapacity(ctx, req.Config, plan, state, rotate)...)
	}
	resp.Plan.SetAttribute(ctx, path.Root("ciphertext"), types.StringUnknown())
	resp.Plan.SetAttribute(ctx, path.Root("keys"), types.ListUnknown(keyObjectType))
	resp.Plan.SetAttribute(ctx, path.Root("newest_key_id"), types.StringUnknown())
	if rotate {
		resp.Plan.SetAttribute(ctx, path.Root("rotated_at"), types.StringUnknown())
	}
}

// checkCapacity refuses, at plan, a change that would leave more keys in
// the ring than the edge function holds, with the time it would fit. It
// judges by the state's key list (ids and times, no secret): keys that
// retire by then are left out, as the apply will.
func (r *secretResource) checkCapacity(ctx context.Context, config tfsdk.Config, plan, state secretModel, rotate bool) diag.Diagnostics {
	var diags diag.Diagnostics
	l, ok := lifetimes(plan)
	if !ok || state.Keys.IsNull() || state.Keys.IsUnknown() {
		return nil // the apply checks it
	}
	var listed []struct {
		ID      string `tfsdk:"kid"`
		Created string `tfsdk:"created"`
		Seed    bool   `tfsdk:"seed"`
	}
	if diags = state.Keys.ElementsAs(ctx, &listed, false); diags.HasError() {
		return diags
	}
	now := r.now().UTC().Truncate(time.Second)
	doc := &keyring.Document{}
	for _, k := range listed {
		created, _ := time.Parse(time.RFC3339, k.Created)
		doc.Keys = append(doc.Keys, keyring.Key{ID: k.ID, Created: created, Seed: k.Seed})
	}
	at := path.Root("secret_wo_version")
	if rotate {
		doc.Keys = append(doc.Keys, keyring.Key{ID: "(new)", Created: now})
		at = path.Root("rotate_when")
		if r.rotationDue(plan, state) && !plan.RotationDays.IsNull() {
			at = path.Root("rotation_days")
		}
	}
	if !plan.SecretWOVersion.Equal(state.SecretWOVersion) {
		var wo types.String
		diags.Append(config.GetAttribute(ctx, path.Root("secret_wo"), &wo)...)
		doc.SetSeed([]byte(wo.ValueString())) // a stand-in: only the count matters here
	}
	doc.Retire(now, l)
	if err := doc.CheckCapacity(l); err != nil {
		diags.AddAttributeError(at, "The key ring cannot take another key yet", err.Error())
	}
	return diags
}

// lifetimes are the model's rules for retiring keys; ok is false while a
// setting is unknown.
func lifetimes(m secretModel) (keyring.Lifetimes, bool) {
	delay, err1 := time.ParseDuration(m.ActivationDelay.ValueString())
	life, err2 := time.ParseDuration(m.MaxTokenLifetime.ValueString())
	if m.ActivationDelay.IsUnknown() || m.MaxTokenLifetime.IsUnknown() || err1 != nil || err2 != nil {
		return keyring.Lifetimes{}, false
	}
	return keyring.Lifetimes{ActivationDelay: delay, MaxTokenLifetime: life, Leeway: streamkey.DefaultLeeway}, true
}

// keyChange replaces the secret when kms_key_id names another key than the
// one in use; another spelling of the same key (id, ARN, alias) is not a
// change. (A plan modifier cannot call KMS: the framework keeps schemas
// from instances it never configures.)
func (r *secretResource) keyChange(ctx context.Context, plan, state secretModel, resp *resource.ModifyPlanResponse) diag.Diagnostics {
	if plan.KMSKeyID.IsUnknown() || plan.KMSKeyID.Equal(state.KMSKeyID) {
		return nil
	}
	if !plan.KMSKeyID.IsNull() && r.clients != nil {
		meta, diags := r.describeKey(ctx, plan.KMSKeyID.ValueString())
		if diags.HasError() {
			return diags
		}
		if aws.ToString(meta.KeyId) == state.ID.ValueString() {
			return nil
		}
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("kms_key_id"))
	return nil
}

// rotationDue reports whether the ring rotates: a value of rotate_when
// changed (setting it where it was unset, or removing it, does not
// rotate), or the newest key is rotation_days old.
func (r *secretResource) rotationDue(plan, state secretModel) bool {
	if !plan.RotateWhen.IsNull() && !plan.RotateWhen.IsUnknown() && !state.RotateWhen.IsNull() && !plan.RotateWhen.Equal(state.RotateWhen) {
		return true
	}
	if plan.RotationDays.IsNull() || plan.RotationDays.IsUnknown() {
		return false
	}
	at, err := time.Parse(time.RFC3339, state.RotatedAt.ValueString())
	return err == nil && !r.now().Before(at.Add(time.Duration(plan.RotationDays.ValueInt64())*24*time.Hour))
}

func (r *secretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if notConfigured(r.clients, &resp.Diagnostics) {
		return
	}
	var plan secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var secretWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("secret_wo"), &secretWO)...)
	if resp.Diagnostics.HasError() {
		return
	}
	now := r.now().UTC().Truncate(time.Second)

	keyID := plan.KMSKeyID.ValueString()
	plan.ManagesKMSKey = types.BoolValue(keyID == "")
	if keyID == "" {
		policy, diags := r.keyPolicy(ctx, &plan)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		out, err := r.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{
			Policy:      policy,
			Description: aws.String("securestream key ring of " + plan.FunctionName.ValueString()),
			KeySpec:     kmstypes.KeySpecSymmetricDefault,
			KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
			Tags:        []kmstypes.Tag{{TagKey: aws.String("securestream:function"), TagValue: plan.FunctionName.ValueStringPointer()}},
		})
		if err != nil {
			resp.Diagnostics.Append(diagnostics.AWSCall("kms:CreateKey", err,
				"The provider's credentials need kms:CreateKey and kms:TagResource, or set kms_key_id to use an existing symmetric key."))
			return
		}
		if out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil {
			resp.Diagnostics.Append(diagnostics.NoAnswer("kms:CreateKey", "key metadata"))
			return
		}
		keyID = aws.ToString(out.KeyMetadata.KeyId)
		plan.KMSKeyARN = types.StringPointerValue(out.KeyMetadata.Arn)
	} else {
		meta, diags := r.describeKey(ctx, keyID)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		keyID = aws.ToString(meta.KeyId)
		plan.KMSKeyARN = types.StringPointerValue(meta.Arn)
	}
	// id is the resolved key id; kms_key_id keeps the user's spelling (an
	// alias or ARN), as Terraform requires of a configured value.
	plan.ID = types.StringValue(keyID)
	if plan.KMSKeyID.IsNull() || plan.KMSKeyID.IsUnknown() {
		plan.KMSKeyID = types.StringValue(keyID)
	}

	doc := &keyring.Document{Version: keyring.Version}
	k, err := newRingKey(now)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.NoRandomness(err))
		return
	}
	doc.Keys = append(doc.Keys, k)
	doc.SetSeed([]byte(secretWO.ValueString()))
	plan.RotatedAt = types.StringValue(now.Format(time.RFC3339))
	resp.Diagnostics.Append(r.seal(ctx, &plan, doc)...)
	if resp.Diagnostics.HasError() {
		if plan.ManagesKMSKey.ValueBool() {
			// Nothing is saved of a failed create: do not leave the new key
			// behind, even when the create failed because it was cancelled
			// (Ctrl-C, a timeout): the cleanup gets a context of its own.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_, err := r.clients.KMS.ScheduleKeyDeletion(cctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
			if err == nil {
				resp.Diagnostics.AddWarning("The new KMS key is scheduled for deletion",
					fmt.Sprintf("The KMS key %s this apply created could not be used and is scheduled for deletion in 7 days.", keyID))
			} else {
				resp.Diagnostics.AddWarning("The new KMS key is left behind",
					fmt.Sprintf("The KMS key %s this apply created could not be used, nor scheduled for deletion (%v): "+
						"aws kms schedule-key-deletion --key-id %s --pending-window-in-days 7", keyID, err, keyID))
			}
		}
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// notConfigured reports, as an error, a call before the provider was
// configured (its configuration depends on values not known yet).
func notConfigured(c *awsclients.Clients, diags *diag.Diagnostics) bool {
	if c != nil {
		return false
	}
	diags.Append(diagnostics.NotConfigured())
	return true
}

// cleanupTimeout bounds the calls that undo a failed create.
const cleanupTimeout = 30 * time.Second

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
				"decrypt_role_arns under the encryption context LambdaFunctionName=%s was not written; any principal of the account "+
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
	if !m.ManagesKMSKey.ValueBool() {
		return nil
	}
	policy, diags := r.keyPolicy(ctx, m, functions...)
	if policy == nil {
		return diags
	}
	if _, err := r.clients.KMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: m.ID.ValueStringPointer(), PolicyName: aws.String("default"), Policy: policy}); err != nil {
		diags.Append(diagnostics.AWSCall("kms:PutKeyPolicy", err,
			fmt.Sprintf("The provider's credentials need kms:PutKeyPolicy on %s to change decrypt_role_arns or function_name.", m.ID.ValueString())))
	}
	return diags
}

// newRingKey makes a key of 32 random bytes, written as 43 base64url
// characters (printable, which keeps the edge function fast; 256 bits).
func newRingKey(now time.Time) (keyring.Key, error) {
	var b [32]byte
	var id [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return keyring.Key{}, err
	}
	if _, err := rand.Read(id[:]); err != nil {
		return keyring.Key{}, err
	}
	return keyring.Key{
		ID:      "k" + now.Format("20060102T150405") + "-" + hex.EncodeToString(id[:]),
		Secret:  []byte(base64.RawURLEncoding.EncodeToString(b[:])),
		Created: now,
	}, nil
}

// seal encrypts the document into the model and fills in the key list.
func (r *secretResource) seal(ctx context.Context, m *secretModel, doc *keyring.Document) diag.Diagnostics {
	var diags diag.Diagnostics
	ct, err := keyring.Seal(ctx, keyring.KMS{Client: r.clients.KMS}, m.ID.ValueString(), m.FunctionName.ValueString(), doc)
	var call *keyring.CallError
	switch {
	case errors.As(err, &call):
		diags.Append(diagnostics.AWSCall(call.Call, call.Err,
			fmt.Sprintf("The provider's credentials need kms:Encrypt on %s, and the key must be an enabled symmetric key.", m.ID.ValueString())))
		return diags
	case err != nil:
		diags.AddError("Invalid key ring", err.Error())
		return diags
	}
	m.Ciphertext = types.StringValue(ct)
	return append(diags, setKeys(m, doc)...)
}

// setKeys lists the ring's keys (ids and times, no secret) in the model.
func setKeys(m *secretModel, doc *keyring.Document) diag.Diagnostics {
	keys := append([]keyring.Key(nil), doc.Keys...)
	sort.SliceStable(keys, func(a, b int) bool { return keys[a].Created.Before(keys[b].Created) })
	var objs []attr.Value
	for _, k := range keys {
		o, d := types.ObjectValue(keyObjectType.AttrTypes, map[string]attr.Value{
			"kid": types.StringValue(k.ID), "created": types.StringValue(k.Created.UTC().Format(time.RFC3339)), "seed": types.BoolValue(k.Seed)})
		if d.HasError() {
			return d
		}
		objs = append(objs, o)
	}
	list, d := types.ListValue(keyObjectType, objs)
	m.Keys = list
	newest, _ := doc.Newest()
	m.NewestKeyID = types.StringValue(newest.ID)
	return d
}

// open decrypts the state's key ring.
func (r *secretResource) open(ctx context.Context, m *secretModel) (*keyring.Document, diag.Diagnostics) {
	return decryptRing(ctx, r.clients, m.Ciphertext.ValueString(), m.FunctionName.ValueString(), m.ID.ValueString())
}

// decryptRing is shared with the stream key data source and ephemeral
// resource: the plaintext is used in memory and never stored. keyID, when
// known, is passed to kms:Decrypt, which then refuses a ciphertext made
// under any other key (symmetric Decrypt would otherwise take any key).
func decryptRing(ctx context.Context, c *awsclients.Clients, ciphertext, function, keyID string) (*keyring.Document, diag.Diagnostics) {
	var diags diag.Diagnostics
	doc, err := keyring.Open(ctx, keyring.KMS{Client: c.KMS}, keyID, function, ciphertext)
	var call *keyring.CallError
	switch {
	case errors.Is(err, keyring.ErrCiphertext):
		diags.AddAttributeError(path.Root("ciphertext"), "Invalid ciphertext", err.Error()+"\n\nPass the ciphertext attribute of a securestream_secret.")
	case errors.As(err, &call):
		hint := ""
		if keyID != "" {
			hint = fmt.Sprintf(", that it was encrypted under the KMS key %s", keyID)
		}
		diags.Append(diagnostics.AWSCall("kms:Decrypt of the key ring", call.Err, fmt.Sprintf("Check that function_name is the one the ring "+
			"was encrypted for (%q here)%s, that the KMS key is enabled, and that the provider's credentials may use it (kms:Decrypt).", function, hint)))
	case err != nil:
		diags.AddError("The decrypted key ring is invalid", err.Error())
	}
	return doc, diags
}

func (r *secretResource) describeKey(ctx context.Context, keyID string) (*kmstypes.KeyMetadata, diag.Diagnostics) {
	var diags diag.Diagnostics
	out, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		diags.Append(diagnostics.AttributeAWSCall(path.Root("kms_key_id"), "kms:DescribeKey", err,
			fmt.Sprintf("kms_key_id %q must name an existing key the provider's credentials may describe.", keyID)))
		return nil, diags
	}
	m := out.KeyMetadata
	if m == nil {
		diags.Append(diagnostics.NoAnswer("kms:DescribeKey", "key metadata for "+keyID))
		return nil, diags
	}
	// Emulators leave out fields AWS always sends: judge only what is there.
	if (m.KeyUsage != "" && m.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt) || (m.KeySpec != "" && m.KeySpec != kmstypes.KeySpecSymmetricDefault) {
		diags.AddAttributeError(path.Root("kms_key_id"), "Unusable KMS key", fmt.Sprintf("KMS key %s is %s/%s; use a symmetric ENCRYPT_DECRYPT key.", keyID, m.KeySpec, m.KeyUsage))
	}
	return m, diags
}

func (r *secretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if notConfigured(r.clients, &resp.Diagnostics) {
		return
	}
	var state secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keyID := state.ID.ValueString()
	out, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err == nil && out.KeyMetadata == nil {
		err = errors.New("the answer has no key metadata")
	}
	var nf *kmstypes.NotFoundException
	switch {
	case errors.As(err, &nf) || (err == nil && out.KeyMetadata.KeyState == kmstypes.KeyStatePendingDeletion):
		resp.Diagnostics.AddWarning("The KMS key is gone",
			fmt.Sprintf("KMS key %s was deleted or scheduled for deletion outside Terraform, so the key ring encrypted with it can no longer "+
				"be decrypted. The next apply creates a new secret with new keys; stream keys signed with the old ones stop working once "+
				"the edge function has the new ring. To keep the old ring, cancel the deletion (aws kms cancel-key-deletion --key-id %s) "+
				"and enable the key before applying.", keyID, keyID))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.Append(diagnostics.AWSCall("kms:DescribeKey", err, fmt.Sprintf("The provider's credentials need kms:DescribeKey on %s.", keyID)))
		return
	case out.KeyMetadata.KeyState == kmstypes.KeyStateDisabled:
		// A warning: the state stays, so that plans and destroy still work.
		resp.Diagnostics.AddWarning("The KMS key is disabled",
			fmt.Sprintf("KMS key %s is disabled: the issuer cannot decrypt its key ring and fails to start, test keys cannot be minted, "+
				"and this provider cannot rotate the ring. Enable it (aws kms enable-key --key-id %s).", keyID, keyID))
	}
	state.ID = types.StringPointerValue(out.KeyMetadata.KeyId) // resolved, after an import by alias or ARN
	state.KMSKeyARN = types.StringPointerValue(out.KeyMetadata.Arn)
	if state.Keys.IsNull() || state.Keys.IsUnknown() { // after import: learn the keys from the ring
		doc, diags := r.open(ctx, &state)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		// Every key of the imported ring stays: keys leave only by time,
		// at a later change (see keyring.Document.Retire).
		resp.Diagnostics.Append(setKeys(&state, doc)...)
		if state.RotatedAt.IsNull() {
			newest, _ := doc.Newest()
			state.RotatedAt = types.StringValue(newest.Created.UTC().Format(time.RFC3339))
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *secretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if notConfigured(r.clients, &resp.Diagnostics) {
		return
	}
	var plan, state secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	var secretWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("secret_wo"), &secretWO)...)
	if resp.Diagnostics.HasError() {
		return
	}
	renamed := !plan.FunctionName.Equal(state.FunctionName)
	if renamed || !plan.DecryptRoleARNs.Equal(state.DecryptRoleARNs) {
		// While the ring is re-encrypted, the policy allows both names.
		var old []string
		if renamed {
			old = append(old, state.FunctionName.ValueString())
		}
		if resp.Diagnostics.Append(r.putKeyPolicy(ctx, &plan, old...)...); resp.Diagnostics.HasError() {
			return
		}
	}
	if !plan.Ciphertext.IsUnknown() { // nothing about the ring changes
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	doc, diags := r.open(ctx, &state)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	now := r.now().UTC().Truncate(time.Second)
	if plan.RotatedAt.IsUnknown() && !r.rotationDue(plan, state) { // a rotate_when that was unknown, unchanged
		plan.RotatedAt = state.RotatedAt
	}
	if plan.RotatedAt.IsUnknown() { // rotation
		k, err := newRingKey(now)
		if err != nil {
			resp.Diagnostics.Append(diagnostics.NoRandomness(err))
			return
		}
		doc.Keys = append(doc.Keys, k)
		plan.RotatedAt = types.StringValue(now.Format(time.RFC3339))
	}
	if !plan.SecretWOVersion.Equal(state.SecretWOVersion) {
		doc.SetSeed([]byte(secretWO.ValueString())) // unset: no seed key
	}
	// Keys leave the ring by time only, when no token they signed can
	// still be valid; ModifyPlan refused a change that does not fit.
	if l, ok := lifetimes(plan); ok {
		doc.Retire(now, l)
		if err := doc.CheckCapacity(l); err != nil {
			resp.Diagnostics.AddError("The key ring cannot take another key yet", err.Error())
			return
		}
	}
	resp.Diagnostics.Append(r.seal(ctx, &plan, doc)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if renamed { // the old name's encryption context is no longer needed
		resp.Diagnostics.Append(r.putKeyPolicy(ctx, &plan)...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *secretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if notConfigured(r.clients, &resp.Diagnostics) {
		return
	}
	var state secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !state.ManagesKMSKey.ValueBool() {
		return
	}
	_, err := r.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{
		KeyId: state.ID.ValueStringPointer(), PendingWindowInDays: aws.Int32(int32(min(max(state.DeletionWindowDays.ValueInt64(), 7), 30))), // 7 to 30, as validated
	})
	var nf *kmstypes.NotFoundException
	var invalid *kmstypes.KMSInvalidStateException
	if err != nil && !errors.As(err, &nf) && !errors.As(err, &invalid) {
		resp.Diagnostics.Append(diagnostics.AWSCall("kms:ScheduleKeyDeletion", err,
			fmt.Sprintf("The provider's credentials need kms:ScheduleKeyDeletion on %s.", state.ID.ValueString())))
	}
}

// ImportState takes "<kms_key_id>,<function_name>,<ciphertext>" or
// "<kms_key_id>,<function_name>,lambda:<issuer function>", which reads the
// ciphertext from that function's SECURESTREAM_KEYRING. An imported secret
// never deletes its KMS key.
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
		out, err := r.clients.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			resp.Diagnostics.Append(diagnostics.AWSCall("lambda:GetFunctionConfiguration", err,
				fmt.Sprintf("The import reads SECURESTREAM_KEYRING from the function %q; the provider's credentials need lambda:GetFunctionConfiguration on it.", fn)))
			return
		}
		if out.Environment == nil || out.Environment.Variables["SECURESTREAM_KEYRING"] == "" {
			resp.Diagnostics.AddError("No key ring in the function", fmt.Sprintf("The function %q has no SECURESTREAM_KEYRING variable.", fn))
			return
		}
		ciphertext = out.Environment.Variables["SECURESTREAM_KEYRING"]
	}
	for name, v := range map[string]attr.Value{
		"id": types.StringValue(parts[0]), "kms_key_id": types.StringValue(parts[0]), "function_name": types.StringValue(parts[1]),
		"ciphertext": types.StringValue(ciphertext), "manages_kms_key": types.BoolValue(false),
		"deletion_window_days": types.Int64Value(30), "activation_delay": types.StringValue(defaultActivationDelay),
		"max_token_lifetime": types.StringValue(defaultMaxTokenLifetime), "decrypt_role_arns": types.SetNull(types.StringType),
	} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), v)...)
	}
}
