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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

var (
	_ resource.Resource                   = (*secretResource)(nil)
	_ resource.ResourceWithConfigure      = (*secretResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*secretResource)(nil)
	_ resource.ResourceWithImportState    = (*secretResource)(nil)
	_ resource.ResourceWithValidateConfig = (*secretResource)(nil)
)

// NewSecretResource is securestream_secret.
func NewSecretResource() resource.Resource { return &secretResource{} }

type secretResource struct{ resourceBase }

type secretModel struct {
	ID                   types.String   `tfsdk:"id"`
	FunctionName         types.String   `tfsdk:"function_name"`
	KMSKeyID             types.String   `tfsdk:"kms_key_id"`
	KMSKeyARN            types.String   `tfsdk:"kms_key_arn"`
	ManagesKMSKey        types.Bool     `tfsdk:"manages_kms_key"`
	DeletionWindowInDays types.Int64    `tfsdk:"deletion_window_in_days"`
	EnableKeyRotation    types.Bool     `tfsdk:"enable_key_rotation"`
	Alias                types.String   `tfsdk:"alias"`
	Tags                 types.Map      `tfsdk:"tags"`
	TagsAll              types.Map      `tfsdk:"tags_all"`
	DecryptRoleARNs      types.Set      `tfsdk:"decrypt_role_arns"`
	RotationTriggers     types.Map      `tfsdk:"rotation_triggers"`
	RotationDays         types.Int64    `tfsdk:"rotation_days"`
	ActivationDelay      types.String   `tfsdk:"activation_delay"`
	MaxTokenLifetime     types.String   `tfsdk:"max_token_lifetime"`
	SecretWO             types.String   `tfsdk:"secret_wo"`
	SecretWOVersion      types.Int64    `tfsdk:"secret_wo_version"`
	Ciphertext           types.String   `tfsdk:"ciphertext"`
	Keys                 types.List     `tfsdk:"keys"`
	NewestKeyID          types.String   `tfsdk:"newest_key_id"`
	RotatedAt            types.String   `tfsdk:"rotated_at"`
	KeyRing              types.Object   `tfsdk:"key_ring"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
}

var keyObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"kid": types.StringType, "created": types.StringType, "seed": types.BoolType,
}}

// The defaults of the lifetime settings, as Terraform shows them ("10m",
// "24h"); their values are the key ring's.
var (
	defaultActivationDelay  = durationtext.Short(keyring.DefaultActivationDelay)
	defaultMaxTokenLifetime = durationtext.Short(keyring.DefaultMaxTokenLifetime)
)

// Settings of a KMS key the resource creates.
const (
	defaultDeletionWindowDays = 30
	// functionTag names the issuer function on the key, for people who
	// find the key in the console.
	functionTag = "securestream:function"
)

var (
	// iamPrincipalRE matches the ARN of an IAM role or user, with a path.
	iamPrincipalRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$`)
	// aliasRE is a KMS alias name; alias/aws/ is AWS's own.
	aliasRE = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)
)

func (r *secretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (r *secretResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The key ring that signs stream keys, and the KMS key that keeps it encrypted. (The name: a " +
			"securestream *secret* is the signing secret of a deployment, which is a ring of keys so that it can rotate.) The ring " +
			"holds keys of 32 random bytes each, encrypted with KMS under the encryption context " +
			"`{\"LambdaFunctionName\": function_name, \"Purpose\": \"key-ring\"}`. **No plaintext secret is stored in the state**: the state holds key ids, " +
			"times and the KMS ciphertext only; whatever needs the keys decrypts them through KMS when it runs.\n\n" +
			"Rotation adds a key; the issuer starts signing with it only after `activation_delay`, once the edge function has it. " +
			"A previous key leaves the ring only once no token it signed can still be valid: `activation_delay` + " +
			"`max_token_lifetime` + 30 s of clock leeway after its successor was created. A rotation that would need more than " +
			"8 keys (the edge function's limit, the seed key included) is refused at plan with the time it fits.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The KMS key's id (resolved from `kms_key_id` when that is an alias or ARN)."},
			"function_name": schema.StringAttribute{Required: true,
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`),
					"must be a Lambda function name: 1 to 64 of A-Z a-z 0-9 _ - (the name, not the ARN)")},
				MarkdownDescription: "Name of the issuer's Lambda function. The key ring is encrypted with the encryption context " +
					"`LambdaFunctionName` = this name (and `Purpose` = `key-ring`), which the issuer uses to decrypt it. Changing it re-encrypts the ring in place " +
					"(and updates a created key's description, tag and policy)."},
			"kms_key_id": schema.StringAttribute{Optional: true, Computed: true,
				PlanModifiers: keep, // ModifyPlan replaces the secret when it names another key
				MarkdownDescription: "A symmetric KMS key to use (id, ARN or alias), in the provider's region. When set, the key is " +
					"yours: it is not deleted with this resource, and `manages_kms_key` is false. When unset, the resource creates a " +
					"key and schedules it for deletion when destroyed; `kms_key_id` then stays null (the created key is `id` and `kms_key_arn`). Naming another key replaces the secret (new keys: every stream " +
					"key handed out stops working); another spelling of the same key changes nothing, and naming the key this resource " +
					"created hands it over to you (it is no longer deleted with the resource)."},
			"kms_key_arn": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "ARN of the KMS key (grant the issuer's role `kms:Decrypt` on it)."},
			"manages_kms_key": schema.BoolAttribute{Computed: true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Whether this resource created the KMS key and still owns it, and so deletes it. An import " +
					"reads it from the key: a key this resource created carries the tag `" + functionTag + "` = `function_name`."},
			"deletion_window_in_days": schema.Int64Attribute{Optional: true,
				Validators: []validator.Int64{int64validator.Between(7, 30), notForYourKey},
				MarkdownDescription: fmt.Sprintf("Waiting period, in days (7 to 30), before KMS deletes a key this resource created, "+
					"as `aws_kms_key`'s. Default %d. Not for a key named in `kms_key_id`.", defaultDeletionWindowDays)},
			"enable_key_rotation": schema.BoolAttribute{Optional: true,
				Validators: []validator.Bool{notForYourKey},
				MarkdownDescription: "Whether KMS rotates the created key's material yearly (security baselines expect it; the ring's " +
					"ciphertext stays valid). Default true. Not for a key named in `kms_key_id`."},
			"alias": schema.StringAttribute{Optional: true,
				Validators: []validator.String{notForYourKey,
					stringvalidator.RegexMatches(aliasRE, "must be alias/ followed by 1 to 250 of A-Z a-z 0-9 / _ -"),
					stringvalidator.RegexMatches(regexp.MustCompile(`^alias/(?:[^a]|a[^w]|aw[^s]|aws[^/])`), "must not start with alias/aws/, which AWS reserves")},
				MarkdownDescription: "An alias for the created key, such as `alias/video-keys`. Not for a key named in `kms_key_id`."},
			"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
				Validators:          []validator.Map{notForYourKey},
				MarkdownDescription: "Tags of the created key, merged over the provider's `default_tags`. Not for a key named in `kms_key_id`."},
			"tags_all": schema.MapAttribute{Computed: true, ElementType: types.StringType,
				MarkdownDescription: "The created key's tags: the provider's `default_tags` and `tags` (which win). The key also " +
					"carries `" + functionTag + "` = `function_name`."},
			"decrypt_role_arns": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(iamPrincipalRE,
					"must be an IAM role or user ARN, such as arn:aws:iam::123456789012:role/issuer")), notForYourKey},
				MarkdownDescription: "IAM roles (or users) that may decrypt the key ring, besides the identity Terraform runs as: the " +
					"issuer's execution role. Used in the key policy of the created key (see **Key policy** below). Not for a key named " +
					"in `kms_key_id`: its policy is yours."},
			"rotation_triggers": schema.MapAttribute{Optional: true, ElementType: types.StringType,
				Validators: []validator.Map{mapvalidator.ValueStringsAre(stringNotNull)},
				MarkdownDescription: "Arbitrary values (as `triggers` and `keepers` elsewhere); changing any of them rotates the ring. " +
					"Setting them where they were unset (as after an import), or removing them, does not rotate."},
			"rotation_days": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)},
				MarkdownDescription: "Rotate when the newest key is at least this many days old. Whether it is due is decided when " +
					"Terraform refreshes the state (as `time_rotating` does), so a saved plan applies what it showed."},
			"activation_delay": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultActivationDelay),
				Validators: []validator.String{durationValidator},
				MarkdownDescription: "How old a key must be before the issuer signs with it, so that every edge location has it " +
					"first: a duration such as `10m`. Default `" + defaultActivationDelay + "`."},
			"max_token_lifetime": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultMaxTokenLifetime),
				Validators: []validator.String{lifetimeValidator},
				MarkdownDescription: "The longest lifetime the issuer gives a stream key (its `SECURESTREAM_MAX_TTL`): a duration of " +
					"whole seconds from `1m` to `24h`. A previous key stays in the ring until its successor is `activation_delay` + " +
					"this + 30 s old, so that no key handed out is refused because of a rotation. Default `" + defaultMaxTokenLifetime + "`."},
			"secret_wo": schema.StringAttribute{Optional: true, WriteOnly: true, Sensitive: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(streamkey.MinSecretBytes),
					stringvalidator.AlsoRequires(path.MatchRoot("secret_wo_version"))},
				MarkdownDescription: "The secret of an original (blog post) deployment, to keep its stream keys working during a " +
					"migration. Write-only: it is never stored in the plan or the state. It joins the ring as the seed-format key " +
					"`seed`, which verifies seed-format keys only. Needs `secret_wo_version`; change the version to change the secret."},
			"secret_wo_version": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)},
				MarkdownDescription: "Version of `secret_wo` (1 or more); changing it applies the current `secret_wo` (or removes the " +
					"seed key when `secret_wo` is unset)."},
			// Not sensitive: KMS ciphertext, which opens only through the key
			// policy (as aws_kms_ciphertext's ciphertext_blob). A sensitive
			// value reaching securestream_function's required ciphertext
			// would make terraform plan -generate-config-out write it as
			// null, and an imported function plan a change of sensitivity.
			"ciphertext": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The key ring, encrypted with KMS, in base64: the issuer's `SECURESTREAM_KEYRING`. Not marked " +
					"sensitive: it is KMS ciphertext, which only the principals of the key policy can decrypt, and only under its encryption context."},
			"keys": schema.ListNestedAttribute{Computed: true,
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"kid":     schema.StringAttribute{Computed: true, MarkdownDescription: "The key id, which every token it signs carries."},
					"created": schema.StringAttribute{Computed: true, MarkdownDescription: "When the key was made (RFC 3339); the seed key's is 1970-01-01T00:00:00Z."},
					"seed":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether this is the original deployment's secret (`secret_wo`)."},
				}},
				MarkdownDescription: "The keys of the ring, oldest first. No secret."},
			"newest_key_id": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "Id of the newest key (which the issuer signs with once it is `activation_delay` old)."},
			"rotated_at": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "When the ring was created or last rotated (RFC 3339)."},
			// Planned by ModifyPlan from the planned ciphertext: known
			// whenever the ciphertext is, so that consumers plan no change
			// until the ring does.
			"key_ring": schema.SingleNestedAttribute{Computed: true,
				Attributes: map[string]schema.Attribute{
					"ciphertext":    schema.StringAttribute{Computed: true, MarkdownDescription: "The ring's KMS ciphertext: `ciphertext`."},
					"kms_key_id":    schema.StringAttribute{Computed: true, MarkdownDescription: "The KMS key the ring is encrypted under, as its ARN: `kms_key_arn`."},
					"function_name": schema.StringAttribute{Computed: true, MarkdownDescription: "The issuer's function name the ring is encrypted for: `function_name`."},
				},
				MarkdownDescription: "The key ring as its consumers take it, in one object: pass it whole, " +
					"`key_ring = securestream_secret.<name>.key_ring`, to `securestream_issuer`, `securestream_function`, and the data " +
					"sources `securestream_function_code` and `securestream_stream_key` (and the ephemeral `securestream_stream_key`). " +
					"It holds `ciphertext`, `kms_key_id` (the key's ARN) and `function_name`, and changes exactly when `ciphertext` does " +
					"(a rotation or a re-seal)."},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// ValidateConfig warns of settings that work but hurt.
func (r *secretResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var delay types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("activation_delay"), &delay)...)
	if d, err := time.ParseDuration(delay.ValueString()); err == nil && !delay.IsUnknown() && !delay.IsNull() && d == 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root("activation_delay"), "New keys sign at once",
			"With activation_delay = \"0s\" the issuer signs with a new key as soon as it has it, before every edge location has "+
				"the function that knows it: players are refused (403) until the edge catches up. Keep a delay longer than the "+
				"function's propagation (minutes).")
	}
}

// configuredSecretWO is secret_wo as the configuration gives it: a
// write-only argument is in neither the plan nor the state.
func configuredSecretWO(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) types.String {
	var wo types.String
	diags.Append(config.GetAttribute(ctx, path.Root("secret_wo"), &wo)...)
	return wo
}

func (r *secretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan secretModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}) {
		return
	}
	secretWO := configuredSecretWO(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, done := operation(ctx, "create", plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer done()
	now := r.now().UTC().Truncate(time.Second)

	if plan.KMSKeyID.IsNull() || plan.KMSKeyID.IsUnknown() {
		resp.Diagnostics.Append(r.createKey(ctx, &plan)...)
	} else {
		meta, diags := r.checkUserKey(ctx, plan.KMSKeyID.ValueString())
		resp.Diagnostics.Append(diags...)
		if meta != nil {
			// id is the resolved key id; kms_key_id keeps the user's
			// spelling (an alias or ARN), as Terraform requires of a
			// configured value.
			plan.ID, plan.KMSKeyARN = types.StringPointerValue(meta.KeyId), types.StringPointerValue(meta.Arn)
		}
		plan.ManagesKMSKey = types.BoolValue(false)
	}
	if resp.Diagnostics.HasError() {
		r.cleanUpFailedCreate(ctx, &plan, &resp.Diagnostics)
		return
	}

	doc := &keyring.Document{Version: keyring.Version}
	k, err := newRingKey(now)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.NoRandomness(err))
		r.cleanUpFailedCreate(ctx, &plan, &resp.Diagnostics)
		return
	}
	doc.Keys = append(doc.Keys, k)
	doc.SetSeed([]byte(secretWO.ValueString()))
	plan.RotatedAt = types.StringValue(now.Format(time.RFC3339))
	resp.Diagnostics.Append(r.seal(ctx, &plan, doc)...)
	if resp.Diagnostics.HasError() {
		r.cleanUpFailedCreate(ctx, &plan, &resp.Diagnostics)
		return
	}
	setCheckedAt(ctx, resp.Private, now)
	setSealedWithPurpose(ctx, resp.Private)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
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
	m.KeyRing = keyRingValue(m.Ciphertext, m.KMSKeyARN, m.FunctionName)
	return append(diags, setKeys(m, doc)...)
}

// keyList is the ring's key list (ids and times, no secret), oldest first;
// unknown, when set, is a key not made yet, listed last.
func keyList(keys []keyring.Key, unknown bool) (types.List, diag.Diagnostics) {
	keys = append([]keyring.Key(nil), keys...)
	sort.SliceStable(keys, func(a, b int) bool { return keys[a].Created.Before(keys[b].Created) })
	var objs []attr.Value
	for _, k := range keys {
		o, d := types.ObjectValue(keyObjectType.AttrTypes, map[string]attr.Value{
			"kid": types.StringValue(k.ID), "created": types.StringValue(k.Created.UTC().Format(time.RFC3339)), "seed": types.BoolValue(k.Seed)})
		if d.HasError() {
			return types.ListNull(keyObjectType), d
		}
		objs = append(objs, o)
	}
	if unknown {
		objs = append(objs, types.ObjectUnknown(keyObjectType.AttrTypes))
	}
	return types.ListValue(keyObjectType, objs)
}

// setKeys lists the ring's keys in the model.
func setKeys(m *secretModel, doc *keyring.Document) diag.Diagnostics {
	list, d := keyList(doc.Keys, false)
	m.Keys = list
	newest, _ := doc.Newest()
	m.NewestKeyID = types.StringValue(newest.ID)
	return d
}

// open decrypts the state's key ring. legacy allows a ring sealed before
// the purpose (the resource's own ring, written by an earlier version or
// imported, about to be re-sealed); it reports whether it was one.
func (r *secretResource) open(ctx context.Context, m *secretModel, legacy bool) (doc *keyring.Document, wasLegacy bool, diags diag.Diagnostics) {
	doc, diags = decryptRing(ctx, r.clients, m.Ciphertext.ValueString(), m.FunctionName.ValueString(), m.ID.ValueString())
	if !diags.HasError() || !legacy {
		return doc, false, diags
	}
	pt, err := keyring.OpenLegacy(ctx, keyring.KMS{Client: r.clients.KMS}, m.ID.ValueString(), m.FunctionName.ValueString(), m.Ciphertext.ValueString())
	if err != nil {
		return nil, false, diags // the purpose-bound open's diagnostics say why
	}
	defer clear(pt)
	if doc, err = keyring.Parse(pt); err != nil {
		var d diag.Diagnostics
		d.AddError("The decrypted key ring is invalid", err.Error())
		return nil, true, d
	}
	return doc, true, nil
}

func (r *secretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state secretModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "read", state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer done()
	keyID := state.ID.ValueString()
	out, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err == nil && out.KeyMetadata == nil {
		err = errors.New("the answer has no key metadata")
	}
	switch {
	case isA[*kmstypes.NotFoundException](err):
		// No deletion to cancel: the key does not exist (deleted long ago,
		// another account or region, or a local stack that restarted empty).
		resp.Diagnostics.AddWarning("The KMS key is gone",
			fmt.Sprintf("KMS key %s no longer exists (kms:DescribeKey: NotFoundException): it was deleted outside Terraform, or the "+
				"local stack restarted (moto starts empty). The key ring encrypted with it can no longer be decrypted, so the secret "+
				"is removed from the state and the next apply creates it again, with a new KMS key and new signing keys; stream keys "+
				"signed with the old ones stop working once the edge function has the new ring.", keyID))
		resp.State.RemoveResource(ctx)
		return
	case err == nil && out.KeyMetadata.KeyState == kmstypes.KeyStatePendingDeletion:
		resp.Diagnostics.AddWarning("The KMS key is gone",
			fmt.Sprintf("KMS key %s was scheduled for deletion outside Terraform, so the key ring encrypted with it can no longer "+
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
		// An imported ring may be sealed without a purpose (by an earlier
		// version, or the original deployment's): it is accepted, and the
		// next apply re-seals it (ModifyPlan), as the private state says.
		doc, legacy, diags := r.open(ctx, &state, true)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		if legacy {
			resp.Diagnostics.AddWarning("The imported key ring is re-sealed at the next apply", resealDetail(state.FunctionName.ValueString()))
		} else {
			setSealedWithPurpose(ctx, resp.Private)
		}
		// Every key of the imported ring stays: keys leave only by time,
		// at a later change (see keyring.Document.Retire).
		resp.Diagnostics.Append(setKeys(&state, doc)...)
		if resp.Diagnostics.Append(r.readImportedKey(ctx, &state)...); resp.Diagnostics.HasError() {
			return
		}
		if state.RotatedAt.IsNull() {
			newest, _ := doc.Newest()
			state.RotatedAt = types.StringValue(newest.Created.UTC().Format(time.RFC3339))
		}
	}
	// Filled here too in a state written before key_ring (null there).
	state.KeyRing = keyRingValue(state.Ciphertext, state.KMSKeyARN, state.FunctionName)
	// The time of this refresh is the time the next plan judges
	// rotation_days and retirement by, so that a saved plan applies
	// exactly what it showed.
	setCheckedAt(ctx, resp.Private, r.now())
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *secretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state secretModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}, decode{req.State, &state}) {
		return
	}
	secretWO := configuredSecretWO(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, done := operation(ctx, "update", plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer done()
	renamed := !plan.FunctionName.Equal(state.FunctionName)
	legacy := !sealedWithPurpose(ctx, req.Private)
	// The key's settings first: while the ring is re-encrypted for a new
	// function name, the key policy allows both names. A ring an earlier
	// version sealed gets the policy of this one (issue 18) too.
	if resp.Diagnostics.Append(r.updateKey(ctx, &plan, &state, legacy)...); resp.Diagnostics.HasError() {
		return
	}
	now := r.now().UTC().Truncate(time.Second)
	sealed := !legacy
	if plan.Ciphertext.IsUnknown() {
		doc, _, diags := r.open(ctx, &state, legacy)
		if resp.Diagnostics.Append(diags...); diags.HasError() {
			return
		}
		if resp.Diagnostics.Append(r.changeRing(doc, &plan, &state, secretWO, now)...); resp.Diagnostics.HasError() {
			return
		}
		if resp.Diagnostics.Append(r.seal(ctx, &plan, doc)...); resp.Diagnostics.HasError() {
			return
		}
		sealed = true
	}
	if renamed && plan.ManagesKMSKey.ValueBool() { // the old name's encryption context is no longer needed
		resp.Diagnostics.Append(r.putKeyPolicy(ctx, &plan)...)
	}
	setCheckedAt(ctx, resp.Private, now)
	if sealed {
		setSealedWithPurpose(ctx, resp.Private)
	}
	plan.KeyRing = keyRingValue(plan.Ciphertext, plan.KMSKeyARN, plan.FunctionName)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// changeRing makes the planned change to the ring: the keys the plan
// lists stay (retirement was decided at plan), a key the plan lists as
// unknown is made, and the seed key follows secret_wo.
func (r *secretResource) changeRing(doc *keyring.Document, plan, state *secretModel, secretWO types.String, now time.Time) diag.Diagnostics {
	var diags diag.Diagnostics
	if !plan.SecretWOVersion.Equal(state.SecretWOVersion) {
		doc.SetSeed([]byte(secretWO.ValueString())) // unset: no seed key
	}
	rotate := plan.RotatedAt.IsUnknown()
	if plan.Keys.IsUnknown() {
		// rotation_triggers was unknown at plan: rotate if it changed,
		// and retire by the clock.
		rotate = rotate && triggersChanged(*plan, *state)
		if l, ok := lifetimes(*plan); ok {
			doc.Retire(now, l)
		}
	} else {
		// The planned list: the keys that stay, and an unknown element
		// for the key to make.
		keepIDs := map[string]bool{}
		for _, e := range plan.Keys.Elements() {
			o, ok := e.(types.Object)
			if !ok || o.IsUnknown() {
				continue
			}
			if id, ok := o.Attributes()["kid"].(types.String); ok && !id.IsUnknown() {
				keepIDs[id.ValueString()] = true
			}
		}
		kept := doc.Keys[:0:0]
		for _, k := range doc.Keys {
			if keepIDs[k.ID] {
				kept = append(kept, k)
			}
		}
		doc.Keys = kept
	}
	if !rotate {
		plan.RotatedAt = state.RotatedAt
	} else {
		k, err := newRingKey(now)
		if err != nil {
			diags.Append(diagnostics.NoRandomness(err))
			return diags
		}
		doc.Keys = append(doc.Keys, k)
		plan.RotatedAt = types.StringValue(now.Format(time.RFC3339))
	}
	if l, ok := lifetimes(*plan); ok {
		if err := doc.CheckCapacity(l); err != nil {
			diags.AddAttributeError(ringFullAt(rotate && !triggersChanged(*plan, *state), rotate), ringFull, err.Error())
		}
	}
	return diags
}

// plannedKey is an element of the planned key list, whose values may be
// unknown (a key not made yet).
type plannedKey struct {
	ID      types.String `tfsdk:"kid"`
	Created types.String `tfsdk:"created"`
	Seed    types.Bool   `tfsdk:"seed"`
}

func (r *secretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state secretModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &state}) || !state.ManagesKMSKey.ValueBool() {
		return
	}
	ctx, done := operation(ctx, "delete", state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer done()
	resp.Diagnostics.Append(r.deleteKey(ctx, &state)...)
}
