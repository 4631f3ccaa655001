package provider

import (
	"context"
	"errors"
	"fmt"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// ValidateConfig checks the settings as the issuer checks them when it
// starts (config.Load), so that a configuration the function would
// refuse fails at plan instead of at its first cold start.
func (r *issuerResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m issuerModel
	if resp.Diagnostics.Append(req.Config.Get(ctx, &m)...); resp.Diagnostics.HasError() {
		return
	}
	if t := m.APIType.ValueString(); t != "" && t != apiTypeHTTP && !m.JWTAuthorizer.IsNull() {
		resp.Diagnostics.AddAttributeError(pathJWTAuthorizer, "A JWT authorizer needs an HTTP API",
			"jwt_authorizer is for api_type = \"http\"; with "+t+", use settings.auth = \"jwt\" (the issuer checks the token).")
	}
	resp.Diagnostics.Append(validateREST(&m)...)
	resp.Diagnostics.Append(validateTags(&m)...)
	resp.Diagnostics.Append(validateAccessLog(&m)...)
	resp.Diagnostics.Append(validateFront(&m)...)
	resp.Diagnostics.Append(validateRevocation(&m)...)
	resp.Diagnostics.Append(ringFunctionMismatch(&m)...)
	env, known, diags := settingsEnv(ctx, m.Settings)
	if resp.Diagnostics.Append(diags...); !known || diags.HasError() {
		return
	}
	env[envKeyring] = "placeholder"
	env[envKMSKeyID] = m.ringKeyID().ValueString()
	for _, s := range sealedSettings {
		var wo types.String
		var version types.Int64
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(s.wo), &wo)...)
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(s.version()), &version)...)
		// A version alone: the secret of an imported issuer (its version
		// reads as 1), or one ModifyPlan asks for when it must be sealed.
		if !wo.IsNull() || !version.IsNull() {
			env[s.env] = "placeholder"
		}
	}
	env["AWS_LAMBDA_FUNCTION_NAME"] = "placeholder"
	resp.Diagnostics.Append(settingsDiagnostics(config.Validate(func(k string) string { return env[k] }))...)
}

// ModifyPlan plans what the resource computes: the package's hash (so a
// new provider version, or a package replaced by hand, shows as a code
// change), the ciphertexts of the write-only secrets, the grant, and the
// invoke permission (so that one removed outside Terraform comes back).
func (r *issuerResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, state, config issuerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !creating && state.FunctionARN.IsNull() {
		// The function was deleted outside Terraform (Read kept the rest):
		// replace the issuer, so that its role, log group, grant and API
		// go with it instead of being left behind or colliding.
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("function_arn"))
		plan.FunctionARN = types.StringUnknown() // changed from the state's null, which the replacement needs
	}
	plan.ID = plan.FunctionName
	planFront(&plan, &config)
	plan.TagsAll = r.tagsAll(plan.Tags)
	plan.SourceCodeHash = types.StringUnknown()
	if !plan.PackagePath.IsUnknown() && !plan.Architecture.IsUnknown() {
		if pkg, diags := issuerPackage(&plan); !diags.HasError() {
			plan.SourceCodeHash = types.StringValue(issuerpkg.SourceCodeHash(pkg))
		} else {
			resp.Diagnostics.Append(diags...)
		}
	}
	if !plan.FunctionName.IsUnknown() {
		plan.LogGroupName = types.StringValue(logGroupName(plan.FunctionName.ValueString()))
	}
	if resp.Diagnostics.Append(r.planKeyARN(ctx, &plan, &state, creating)...); resp.Diagnostics.HasError() {
		return
	}
	keyChanged := !plan.KMSKeyARN.Equal(state.KMSKeyARN)
	for _, s := range sealedSettings {
		v, ct := plan.sealedFields(s)
		sv, sct := state.sealedFields(s)
		switch {
		case v.IsNull():
			*ct = types.StringNull()
		case creating || keyChanged || !v.Equal(sv) || sct.IsNull():
			*ct = types.StringUnknown() // sealed from the write-only value, which must be set
			var wo types.String
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(s.wo), &wo)...)
			if wo.IsNull() {
				resp.Diagnostics.AddAttributeError(path.Root(s.wo), "The secret is not set",
					fmt.Sprintf("%s is set and the secret must be encrypted (a new issuer, a new version, or a new KMS key), so %s must be "+
						"set too. After an import, %s reads as 1: set %s with it, or leave %s at 1 to keep the secret the function has.",
						s.version(), s.wo, s.version(), s.wo, s.version()))
			}
		case r.sealedWithoutPurpose(ctx, req.Private, state, *sct):
			*ct = types.StringUnknown() // sealed again: without a purpose, as versions before it sealed, it no longer opens
		default:
			*ct = *sct
		}
	}
	if creating || keyChanged || state.GrantID.IsNull() || !grantsCurrent(state.GrantID.ValueString()) {
		plan.GrantID = types.StringUnknown()
	}
	plan.PermissionID = wantPermission(&plan)
	// Drift the refresh found is planned away: the apply repairs it.
	plan.Drift = state.Drift
	if creating || len(state.Drift.Elements()) > 0 {
		plan.Drift = noDrift()
	}
	// An API deleted outside Terraform: the routes, integration and
	// stage go with it, so the issuer is made again.
	if !creating && state.APIID.IsNull() && !state.FunctionARN.IsNull() && plan.APIType.ValueString() != apiTypeFunctionURL {
		plan.APIID, plan.InvokeURL = types.StringUnknown(), types.StringUnknown()
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("api_id"))
	}
	switch {
	case !plan.restAPIKeyRequired():
		plan.RESTAPIKeyID, plan.RESTAPIKeyValue = types.StringNull(), types.StringNull()
	case creating || state.RESTAPIKeyID.IsNull() || plan.APIID.IsUnknown():
		plan.RESTAPIKeyID, plan.RESTAPIKeyValue = types.StringUnknown(), types.StringUnknown()
	default:
		plan.RESTAPIKeyID, plan.RESTAPIKeyValue = state.RESTAPIKeyID, state.RESTAPIKeyValue
	}
	switch plan.APIType.ValueString() {
	case apiTypeFunctionURL:
		plan.StageName, plan.APIID = types.StringNull(), types.StringNull()
	case apiTypeREST:
		plan.StageName = types.StringValue(restStage)
	}
	// The ring the function runs with was checked when it was applied: it
	// is opened again only when it, its key or the function name changes,
	// so that a key disabled for a while fails no plan that leaves the
	// ring alone.
	ringChanged := !plan.ringCiphertext().Equal(state.ringCiphertext()) || !plan.ringKeyID().Equal(state.ringKeyID())
	if (creating || ringChanged || keyChanged || !plan.FunctionName.Equal(state.FunctionName)) && !ringFunctionMismatch(&plan).HasError() {
		resp.Diagnostics.Append(r.checkRingFor(ctx, plan)...)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planFront plans the arguments that apply to one api_type only: the
// default where they apply and are not set, null where they do not
// (ValidateConfig refuses them set there), so that no plan shows a value
// that could never apply.
func planFront(plan, config *issuerModel) {
	if plan.APIType.IsUnknown() {
		return
	}
	t := plan.APIType.ValueString()
	api, url, rest := t != apiTypeFunctionURL, t == apiTypeFunctionURL, t == apiTypeREST
	planDefault(&plan.ThrottleRateLimit, config.ThrottleRateLimit, api, types.Float64Null(), types.Float64Value(defaultThrottleRate))
	planDefault(&plan.ThrottleBurstLimit, config.ThrottleBurstLimit, api, types.Int64Null(), types.Int64Value(defaultThrottleBurst))
	planDefault(&plan.FunctionURLAuthType, config.FunctionURLAuthType, url, types.StringNull(), types.StringValue(string(lambdatypes.FunctionUrlAuthTypeNone)))
	planDefault(&plan.RESTAuthorization, config.RESTAuthorization, rest, types.StringNull(), types.StringValue(restAuthNone))
	planDefault(&plan.RESTAPIKeyRequired, config.RESTAPIKeyRequired, rest, types.BoolNull(), types.BoolValue(false))
}

// planDefault plans an argument that is not set (config null): def where
// it applies, null where it does not.
func planDefault[T interface{ IsNull() bool }](plan *T, config T, applies bool, null, def T) {
	if !config.IsNull() {
		return
	}
	*plan = null
	if applies {
		*plan = def
	}
}

// checkRingFor opens the ring at plan as the function will at its cold
// start (the encryption context names the function): a ring sealed for
// another function name, or under another key, would only fail once
// deployed, at every cold start. A key KMS cannot use now (disabled,
// pending deletion, gone, not allowed) is said as such.
func (r *issuerResource) checkRingFor(ctx context.Context, plan issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	ct := plan.ringCiphertext()
	if r.clients == nil || ct.IsUnknown() || plan.KMSKeyARN.IsUnknown() || plan.FunctionName.IsUnknown() {
		return nil
	}
	kc := keyring.KMS{Client: r.clients.KMS}
	_, err := keyring.Open(ctx, kc, plan.KMSKeyARN.ValueString(), plan.FunctionName.ValueString(), ct.ValueString())
	var call *keyring.CallError
	notThisRing := isA[*kmstypes.InvalidCiphertextException](err) || isA[*kmstypes.IncorrectKeyException](err) // a ring, or a key, other than the function's
	switch {
	case errors.As(err, &call) && keyring.SealedWithoutPurpose(ctx, kc, plan.KMSKeyARN.ValueString(), plan.FunctionName.ValueString(), ct.ValueString()):
		diags.AddAttributeError(keyRingPath.AtName("ciphertext"), "The key ring is sealed without a purpose",
			"securestream_issuer: "+legacyRingFix(call, plan.FunctionName.ValueString()))
	case errors.As(err, &call) && !notThisRing:
		diags.Append(diagnostics.AttributeAWSCall(keyRingPath.AtName("kms_key_id"), "kms:Decrypt of key_ring.ciphertext (the issuer's key ring) at plan", call.Err,
			decryptFix(call.Err, plan.FunctionName.ValueString(), plan.KMSKeyARN.ValueString())))
	case errors.As(err, &call):
		diags.AddAttributeError(path.Root("function_name"), "The key ring is not for this function",
			fmt.Sprintf("kms:Decrypt of key_ring.ciphertext under %s with the encryption context LambdaFunctionName=%s failed (%v): the ring "+
				"must be sealed for this function under this key, as the issuer opens it. Pass key_ring = securestream_secret.<name>.key_ring "+
				"with function_name = securestream_secret.<name>.function_name (and let Terraform's identity use the key: kms:Decrypt).",
				plan.KMSKeyARN.ValueString(), plan.FunctionName.ValueString(), call.Err))
	case err != nil:
		diags.AddAttributeError(keyRingPath.AtName("ciphertext"), "Invalid key ring", err.Error())
	}
	return diags
}

// sealPurpose is the purpose a write-only secret is sealed for.
func sealPurpose(s sealedSetting) string {
	if s.wo == "origin_secret_wo" {
		return keyring.PurposeOriginSecret
	}
	return keyring.PurposeJWTHS256Key
}

// sealedWithoutPurpose: the state's ciphertext ct was sealed by a version
// before the purpose (issue 18), which the issuer no longer opens. Asked
// of KMS (a kms:Decrypt under the legacy context, whose plaintext is
// dropped) until an apply of this version records in the private state
// that every secret has its purpose; a KMS failure counts as no.
func (r *issuerResource) sealedWithoutPurpose(ctx context.Context, p privateState, state issuerModel, ct types.String) bool {
	if r.clients == nil || ct.IsNull() || ct.IsUnknown() || state.KMSKeyARN.IsNull() || sealedWithPurpose(ctx, p) {
		return false
	}
	return keyring.SealedWithoutPurpose(ctx, keyring.KMS{Client: r.clients.KMS}, state.KMSKeyARN.ValueString(), state.FunctionName.ValueString(), ct.ValueString())
}

// sealSecrets encrypts each write-only secret whose ciphertext the plan
// left unknown, with the ring's key, for the function and the secret's
// purpose. One whose version, key and function did not change (prev, the
// state, at an update) is re-sealed from its ciphertext instead: what an
// earlier version sealed without a purpose is sealed again with it, the
// write-only value aside (keyring.Reseal).
func (r *issuerResource) sealSecrets(ctx context.Context, config tfsdk.Config, m *issuerModel, prev *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	kc := keyring.KMS{Client: r.clients.KMS}
	for _, s := range sealedSettings {
		v, ct := m.sealedFields(s)
		if !ct.IsUnknown() {
			continue
		}
		purpose := sealPurpose(s)
		if prev != nil {
			pv, pct := prev.sealedFields(s)
			if v.Equal(pv) && !pct.IsNull() && m.KMSKeyARN.Equal(prev.KMSKeyARN) && m.FunctionName.Equal(prev.FunctionName) {
				sealed, _, err := keyring.Reseal(ctx, kc, m.KMSKeyARN.ValueString(), m.FunctionName.ValueString(), purpose, pct.ValueString())
				if err != nil {
					diags.Append(diagnostics.AttributeAWSCall(path.Root(s.ciphertext()), "re-sealing "+s.ciphertext()+" with the purpose "+purpose+" (kms:Decrypt, kms:Encrypt)", err,
						fmt.Sprintf("The provider's credentials need kms:Decrypt and kms:Encrypt on %s under the encryption context "+
							"LambdaFunctionName=%s. Or change %s to seal the current %s anew.", m.KMSKeyARN.ValueString(), m.FunctionName.ValueString(), s.version(), s.wo)))
					return diags
				}
				*ct = types.StringValue(sealed)
				continue
			}
		}
		var wo types.String
		if diags.Append(config.GetAttribute(ctx, path.Root(s.wo), &wo)...); diags.HasError() {
			return diags
		}
		if wo.IsNull() {
			diags.AddAttributeError(path.Root(s.wo), "The secret is not set",
				fmt.Sprintf("%s changed (or the KMS key did), so %s must be set to be encrypted again.", s.version(), s.wo))
			return diags
		}
		sealed, err := keyring.SealSecret(ctx, kc, m.KMSKeyARN.ValueString(), m.FunctionName.ValueString(), purpose, []byte(wo.ValueString()))
		var call *keyring.CallError
		if errors.As(err, &call) {
			err = call.Err
		}
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(path.Root(s.wo), "kms:Encrypt (sealing "+s.wo+")", err,
				fmt.Sprintf("The provider's credentials need kms:Encrypt on %s under the encryption context LambdaFunctionName=%s, Purpose=%s.",
					m.KMSKeyARN.ValueString(), m.FunctionName.ValueString(), purpose)))
			return diags
		}
		*ct = types.StringValue(sealed)
	}
	return diags
}

// validateFront checks the front door against the issuer's own check of
// the caller: throttling only where API Gateway applies it, no authorizer
// standing alone in front of an issuer that mints for anyone, and a
// warning for a function URL that lets anyone mint.
func validateFront(m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.APIType.IsUnknown() {
		return nil
	}
	t, auth := m.APIType.ValueString(), settingText(m.Settings, "auth")
	if t != apiTypeFunctionURL && !m.FunctionURLAuthType.IsNull() {
		shown := t
		if shown == "" {
			shown = apiTypeHTTP
		}
		diags.AddAttributeError(path.Root("function_url_auth_type"), "Only for a function URL",
			"function_url_auth_type is for api_type = \"function_url\"; this issuer's api_type is \""+shown+"\". Remove it (the API's "+
				"authorization is jwt_authorizer with \"http\", rest_authorization with \"rest\"), or set api_type = \"function_url\" "+
				"(which replaces the issuer).")
	}
	if t == apiTypeFunctionURL {
		for _, a := range []struct {
			name string
			v    attr.Value
		}{{"throttle_rate_limit", m.ThrottleRateLimit}, {"throttle_burst_limit", m.ThrottleBurstLimit}} {
			if !a.v.IsNull() {
				diags.AddAttributeError(path.Root(a.name), "Throttling needs API Gateway",
					a.name+" is for api_type = \"http\" and \"rest\", whose stage throttles; a function URL has no throttling to set, "+
						"so the value would never apply (and every plan would show it again). Remove it. To cap the issuer behind a function "+
						"URL, set reserved_concurrency (the most runs at once); for a request rate, use api_type = \"http\" or \"rest\" "+
						"(which replaces the issuer).")
			}
		}
		guarded := settingText(m.Settings, "client_ip_source") == "cloudfront-viewer-address" && settingText(m.Settings, "origin_secret_header") != ""
		if auth == string(config.AuthNone) && m.FunctionURLAuthType.ValueString() != "AWS_IAM" && !m.FunctionURLAuthType.IsUnknown() && !guarded {
			diags.AddAttributeWarning(path.Root("api_type"), "A public, unthrottled stream key issuer",
				"api_type = \"function_url\" with function_url_auth_type = \"NONE\" and settings.auth = \"none\": anyone who finds the "+
					"URL gets a stream key for every URL the settings allow, and nothing limits how fast (a function URL has no "+
					"throttling), so each call is billed and spends KMS and Lambda quota. If that is meant, set reserved_concurrency to "+
					"cap the runs at once. Otherwise check the caller: settings.auth = \"jwt\", function_url_auth_type = \"AWS_IAM\", "+
					"or api_type = \"http\" with jwt_authorizer and settings.auth = \"authorizer\" (throttled by its stage).")
		}
	}
	if (t == "" || t == apiTypeHTTP) && !m.JWTAuthorizer.IsNull() && auth == string(config.AuthNone) {
		diags.AddAttributeError(pathJWTAuthorizer, "An authorizer in front of an issuer that mints for anyone",
			"jwt_authorizer with settings.auth = \"none\": the issuer would trust every request it gets, so the authorizer alone "+
				"would stand between the internet and a stream key, and a route switched to NONE or the authorizer removed outside "+
				"Terraform would make the issuer mint for anyone. Set settings.auth = \"authorizer\": the issuer then also refuses a "+
				"request that no authorizer checked.")
	}
	return diags
}

// settingText is a known string setting, "" when unset or unknown.
func settingText(settings types.Object, name string) string {
	if settings.IsNull() || settings.IsUnknown() {
		return ""
	}
	v, _ := settings.Attributes()[name].(types.String)
	return v.ValueString()
}

// validateREST checks the rest_ attributes: for api_type = "rest" only,
// and the user pools with COGNITO_USER_POOLS only.
func validateREST(m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if !m.APIType.IsUnknown() && m.APIType.ValueString() != apiTypeREST {
		t := m.APIType.ValueString()
		if t == "" {
			t = apiTypeHTTP
		}
		for p, v := range map[string]attr.Value{"rest_authorization": m.RESTAuthorization, "rest_cognito_user_pool_arns": m.RESTCognitoPoolARNs,
			"rest_api_key_required": m.RESTAPIKeyRequired} {
			if !v.IsNull() {
				diags.AddAttributeError(path.Root(p), "Only for a REST API",
					p+" is for api_type = \"rest\"; this issuer's api_type is \""+t+"\". Remove it, or set api_type = \"rest\" (which replaces the issuer).")
			}
		}
		return diags
	}
	if m.RESTAuthorization.IsUnknown() || m.RESTCognitoPoolARNs.IsUnknown() {
		return diags
	}
	cognito := m.RESTAuthorization.ValueString() == restAuthCognito
	switch {
	case cognito && m.RESTCognitoPoolARNs.IsNull():
		diags.AddAttributeError(pathRESTPools, "The Cognito user pools are missing",
			"rest_authorization = \"COGNITO_USER_POOLS\" needs rest_cognito_user_pool_arns: the user pools whose tokens the authorizer accepts.")
	case !cognito && !m.RESTCognitoPoolARNs.IsNull():
		diags.AddAttributeError(pathRESTPools, "Cognito user pools without their authorizer",
			"rest_cognito_user_pool_arns is for rest_authorization = \"COGNITO_USER_POOLS\"; set that, or remove the user pools.")
	}
	return diags
}
