package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// This file plans securestream_secret's changes. Every decision that
// depends on the clock (is a rotation due, which keys retire) is taken at
// the time of the last refresh, kept in the resource's private state, so
// that a saved plan applied later does exactly what it showed: the
// apply keeps the keys the plan listed and makes the one it listed as
// unknown.

// checkedAtKey is the private-state key of the last refresh's time.
const checkedAtKey = "checked_at"

// sealedKey is the private-state key that says the ring was sealed with a
// purpose in its encryption context (keyring.Context), by this version:
// a state without it was written by an earlier version, or imported from a
// ring sealed without one, and its ring is re-sealed at the next apply.
const sealedKey = "sealed_with_purpose"

// setSealedWithPurpose records that the state's ring has a purpose.
func setSealedWithPurpose(ctx context.Context, p privateWriter) {
	_ = p.SetKey(ctx, sealedKey, []byte("true"))
}

// sealedWithPurpose: the state's ring was sealed with a purpose. Without
// private state (outside a real request) it is taken as sealed.
func sealedWithPurpose(ctx context.Context, p privateState) bool {
	if p == nil {
		return true
	}
	b, d := p.GetKey(ctx, sealedKey)
	return d.HasError() || string(b) == "true"
}

// resealDetail explains the re-seal of a ring sealed without a purpose.
func resealDetail(function string) string {
	return fmt.Sprintf("The key ring of function_name %q was sealed without a Purpose in its KMS encryption context (by a provider "+
		"version before it, or by the original deployment). This apply re-seals it in place, with the same keys, under "+
		"{LambdaFunctionName = %q, Purpose = \"key-ring\"} (kms:Decrypt, then kms:Encrypt), and gives a KMS key this resource "+
		"created the key policy of this version; the issuer and the edge function follow the new ciphertext. Nothing opens the "+
		"old form any more: keep this apply with the securestream_issuer and securestream_function that use the ring.", function, function)
}

// privateState is the part of the framework's private state used here.
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateWriter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// setCheckedAt records t as the time of the last refresh or apply. Where
// it cannot be recorded (the framework gives no private state outside a
// real request), plans fall back to the clock.
func setCheckedAt(ctx context.Context, p privateWriter, t time.Time) {
	b, _ := json.Marshal(t.UTC().Format(time.RFC3339Nano))
	_ = p.SetKey(ctx, checkedAtKey, b)
}

// checkedAt is the time of the last refresh (or apply); the clock when
// the state has none (a state written by an older version).
func (r *secretResource) checkedAt(ctx context.Context, p privateState) time.Time {
	if p != nil {
		if b, d := p.GetKey(ctx, checkedAtKey); !d.HasError() && len(b) > 0 {
			var s string
			if json.Unmarshal(b, &s) == nil {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					return t
				}
			}
		}
	}
	return r.now()
}

// ModifyPlan shows what an apply will do to the KMS key and the ring, and
// refuses or warns of what would hurt; then plans key_ring from the
// planned ciphertext.
func (r *secretResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.modifyPlan(ctx, req, resp)
	if !req.Plan.Raw.IsNull() && !resp.Plan.Raw.IsNull() && !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(planKeyRing(ctx, resp)...)
	}
}

// planKeyRing plans key_ring from the planned ciphertext, kms_key_arn and
// function_name: unknown when the ciphertext is (a new secret, a rotation,
// a re-seal), and otherwise known, also for a state written before
// key_ring existed (null there), so that consumers plan no change.
func planKeyRing(ctx context.Context, resp *resource.ModifyPlanResponse) diag.Diagnostics {
	var ct, arn, fn types.String
	var diags diag.Diagnostics
	diags.Append(resp.Plan.GetAttribute(ctx, path.Root("ciphertext"), &ct)...)
	diags.Append(resp.Plan.GetAttribute(ctx, path.Root("kms_key_arn"), &arn)...)
	diags.Append(resp.Plan.GetAttribute(ctx, path.Root("function_name"), &fn)...)
	if diags.HasError() {
		return diags
	}
	if arn.IsUnknown() || fn.IsUnknown() {
		ct = types.StringUnknown()
	}
	return append(diags, resp.Plan.SetAttribute(ctx, path.Root("key_ring"), keyRingValue(ct, arn, fn))...)
}

func (r *secretResource) modifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req, resp)
		return
	}
	var plan, config secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		// Whether the resource owns its key is known from the
		// configuration; a key the user names is checked now.
		manages, tags := types.BoolValue(config.KMSKeyID.IsNull()), r.tagsAll(config, config.KMSKeyID.IsNull())
		switch {
		case config.KMSKeyID.IsUnknown():
			manages, tags = types.BoolUnknown(), types.MapUnknown(types.StringType)
		case !config.KMSKeyID.IsNull() && r.clients != nil:
			_, diags := r.checkUserKey(ctx, config.KMSKeyID.ValueString())
			resp.Diagnostics.Append(diags...)
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("manages_kms_key"), manages)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("tags_all"), tags)...)
		return
	}
	var state secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.planKeyChange(ctx, config, state, resp); resp.Diagnostics.HasError() || len(resp.RequiresReplace) > 0 {
		return
	}
	manages := state.ManagesKMSKey.ValueBool()
	switch {
	case manages && !config.KMSKeyID.IsNull():
		manages = false
		resp.Diagnostics.AddAttributeWarning(path.Root("kms_key_id"), "The KMS key is handed over to you",
			fmt.Sprintf("kms_key_id names the KMS key %s, which this resource created: from this apply on it is yours, and destroying "+
				"the secret no longer schedules it for deletion. Its alias, tags and key policy stay as they are.", state.ID.ValueString()))
	case !manages && config.KMSKeyID.IsNull():
		resp.Diagnostics.AddAttributeWarning(path.Root("kms_key_id"), "The secret keeps your KMS key", keepsYourKey(state.ID.ValueString()))
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("manages_kms_key"), types.BoolValue(manages))...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("tags_all"), r.tagsAll(config, manages))...)
	resp.Diagnostics.Append(r.planRing(ctx, req, plan, state, resp)...)
}

// keepsYourKey is the warning of a configuration without kms_key_id for a
// secret whose KMS key is the user's (named in kms_key_id before, or
// imported with a key securestream did not create). Its fix, naming the
// key in kms_key_id, conflicts with the arguments that manage a created
// key: it says so, and why.
func keepsYourKey(keyID string) string {
	return fmt.Sprintf("The configuration has no kms_key_id, but the secret's ring is encrypted under KMS key %s, which this resource does "+
		"not manage (a key named in kms_key_id, or handed over to you, or imported without the %s tag naming function_name that a key "+
		"this resource creates carries): it is not deleted with the secret. To keep it, and end "+
		"this warning, set kms_key_id = %q. That key is then yours alone, so remove alias, tags, deletion_window_in_days, "+
		"enable_key_rotation and decrypt_role_arns, which conflict with kms_key_id: they manage a key this resource creates, and "+
		"the alias, tags, rotation and key policy of your key are left to you (as aws_kms_key, aws_kms_alias and aws_kms_key_policy "+
		"manage them). To move to a key this resource creates instead, replace the secret (terraform apply -replace=...), which makes "+
		"new keys: every stream key handed out stops working.", keyID, functionTag, keyID)
}

// planDestroy says what a destroy does to a key the resource owns.
func (r *secretResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state secretModel
	if req.State.Raw.IsNull() || req.State.Get(ctx, &state).HasError() || !state.ManagesKMSKey.ValueBool() {
		return
	}
	resp.Diagnostics.AddWarning("Destroying the secret deletes its KMS key",
		fmt.Sprintf("KMS key %s will be scheduled for deletion in %d days; the issuer and the edge function can no longer use the "+
			"ring once it is gone. Until then: aws kms cancel-key-deletion --key-id %s", state.ID.ValueString(), deletionWindow(state), state.ID.ValueString()))
}

// planKeyChange replaces the secret when kms_key_id names another key than
// the one in use, and warns that it does; another spelling of the same key
// (id, ARN, alias) is not a change. A key named anew is checked now.
func (r *secretResource) planKeyChange(ctx context.Context, config, state secretModel, resp *resource.ModifyPlanResponse) {
	if config.KMSKeyID.IsNull() || config.KMSKeyID.IsUnknown() || config.KMSKeyID.Equal(state.KMSKeyID) {
		return
	}
	if r.clients != nil {
		meta, diags := r.checkUserKey(ctx, config.KMSKeyID.ValueString())
		if resp.Diagnostics.Append(diags...); diags.HasError() {
			return
		}
		if aws.ToString(meta.KeyId) == state.ID.ValueString() {
			return
		}
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("kms_key_id"))
	resp.Diagnostics.AddAttributeWarning(path.Root("kms_key_id"), "The secret is replaced, with new keys",
		fmt.Sprintf("kms_key_id names another KMS key than %s: the secret is replaced by one with new keys, and every stream key "+
			"handed out stops working once the edge function has the new ring.", state.ID.ValueString()))
}

// tagsAll is the planned tags_all: default_tags and tags, for a key the
// resource owns.
func (r *secretResource) tagsAll(config secretModel, manages bool) types.Map {
	if !manages {
		return types.MapNull(types.StringType)
	}
	if config.Tags.IsUnknown() {
		return types.MapUnknown(types.StringType)
	}
	m, _ := types.MapValueFrom(context.Background(), types.StringType, r.tagsWith(stringMap(config.Tags)))
	return m
}

// planRing plans the ring: rotation, the seed key, retirement and a new
// encryption context. The key list is planned as it will be, with the new
// key unknown, so that nothing downstream changes for keys that stay.
func (r *secretResource) planRing(ctx context.Context, req resource.ModifyPlanRequest, plan, state secretModel, resp *resource.ModifyPlanResponse) diag.Diagnostics {
	var diags diag.Diagnostics
	at := r.checkedAt(ctx, req.Private)
	due, age := dueByDays(plan, state, at)
	if due {
		diags.AddAttributeWarning(path.Root("rotation_days"), "Rotation due",
			fmt.Sprintf("The newest key is %d days old (rotation_days = %d): this apply adds a key.", age, plan.RotationDays.ValueInt64()))
	}
	rotate := due || triggersChanged(plan, state)
	maybe := !mapKnown(plan.RotationTriggers) && !state.RotationTriggers.IsNull()
	seedChange := !plan.SecretWOVersion.Equal(state.SecretWOVersion)
	reseal := !sealedWithPurpose(ctx, req.Private)
	if reseal {
		diags.AddAttributeWarning(path.Root("ciphertext"), "The key ring is re-sealed with a purpose", resealDetail(plan.FunctionName.ValueString()))
	}
	if !rotate && !maybe && !seedChange && !reseal && plan.FunctionName.Equal(state.FunctionName) {
		return diags
	}
	set := func(p string, v any) { diags.Append(resp.Plan.SetAttribute(ctx, path.Root(p), v)...) }
	set("ciphertext", types.StringUnknown())
	if maybe { // rotation_triggers is known only at apply
		set("keys", types.ListUnknown(keyObjectType))
		set("newest_key_id", types.StringUnknown())
		set("rotated_at", types.StringUnknown())
		return diags
	}
	l, ok := lifetimes(plan)
	if !ok || state.Keys.IsNull() || state.Keys.IsUnknown() {
		set("keys", types.ListUnknown(keyObjectType))
		set("newest_key_id", types.StringUnknown())
		if rotate {
			set("rotated_at", types.StringUnknown())
		}
		return diags
	}
	doc, d := stateKeys(ctx, state)
	if diags.Append(d...); d.HasError() {
		return diags
	}
	if seedChange {
		doc.SetSeed([]byte(configuredSecretWO(ctx, req.Config, &diags).ValueString())) // a stand-in secret: only the key list matters here
	}
	doc.Retire(at, l)
	count := &keyring.Document{Keys: append([]keyring.Key(nil), doc.Keys...)}
	if rotate {
		count.Keys = append(count.Keys, keyring.Key{ID: "(new)", Created: at})
	}
	if err := count.CheckCapacity(l); err != nil {
		// A warning here, the error at apply: terraform destroy refreshes
		// with a normal plan of the configuration first (which the
		// provider cannot tell from another plan), and a destroy must not
		// fail for a rotation it will never make.
		diags.AddAttributeWarning(ringFullAt(due, rotate), ringFull, err.Error()+"\n\nAn apply of this plan fails, changing nothing; "+
			"destroying the secret is not affected.")
	}
	list, d := keyList(doc.Keys, rotate)
	diags.Append(d...)
	set("keys", list)
	if rotate {
		set("newest_key_id", types.StringUnknown())
		set("rotated_at", types.StringUnknown())
	} else {
		newest, _ := doc.Newest()
		set("newest_key_id", types.StringValue(newest.ID))
	}
	return diags
}

// ringFull is the summary of a change that would put more keys in the
// ring than the edge function holds.
const ringFull = "The key ring cannot take another key yet"

// ringFullAt is the argument that asks for the key that does not fit.
func ringFullAt(due, rotate bool) path.Path {
	switch {
	case due:
		return path.Root("rotation_days")
	case rotate:
		return path.Root("rotation_triggers")
	}
	return path.Root("secret_wo_version")
}

// stateKeys is the ring as the state lists it: ids and times, no secret.
func stateKeys(ctx context.Context, state secretModel) (*keyring.Document, diag.Diagnostics) {
	var listed []plannedKey
	diags := state.Keys.ElementsAs(ctx, &listed, false)
	doc := &keyring.Document{}
	for _, k := range listed {
		created, _ := time.Parse(time.RFC3339, k.Created.ValueString())
		doc.Keys = append(doc.Keys, keyring.Key{ID: k.ID.ValueString(), Created: created, Seed: k.Seed.ValueBool()})
	}
	return doc, diags
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

// triggersChanged: a value of rotation_triggers changed. Setting them
// where they were unset (as after an import), or removing them, does not
// rotate.
func triggersChanged(plan, state secretModel) bool {
	return !plan.RotationTriggers.IsNull() && mapKnown(plan.RotationTriggers) && !state.RotationTriggers.IsNull() &&
		!plan.RotationTriggers.Equal(state.RotationTriggers)
}

// mapKnown: the map and every value in it are known.
func mapKnown(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// dueByDays: the newest key is rotation_days old at the time at; age is
// its age in whole days.
func dueByDays(plan, state secretModel, at time.Time) (due bool, age int) {
	if plan.RotationDays.IsNull() || plan.RotationDays.IsUnknown() {
		return false, 0
	}
	rotated, err := time.Parse(time.RFC3339, state.RotatedAt.ValueString())
	if err != nil {
		return false, 0
	}
	return !at.Before(rotated.Add(time.Duration(plan.RotationDays.ValueInt64()) * 24 * time.Hour)), int(at.Sub(rotated) / (24 * time.Hour))
}
