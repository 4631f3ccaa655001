package provider

import (
	"context"
	"errors"
	"fmt"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
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
	resp.Diagnostics.Append(validateFront(&m)...)
	env, known, diags := settingsEnv(ctx, m.Settings)
	if resp.Diagnostics.Append(diags...); !known || diags.HasError() {
		return
	}
	env[envKeyring] = "placeholder"
	env[envKMSKeyID] = m.KMSKeyARN.ValueString()
	for _, s := range sealedSettings {
		var wo types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(s.wo), &wo)...)
		if !wo.IsNull() {
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
	var plan, state issuerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
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
	keyChanged := !plan.KMSKeyARN.Equal(state.KMSKeyARN)
	for _, s := range sealedSettings {
		v, ct := plan.sealedFields(s)
		sv, sct := state.sealedFields(s)
		switch {
		case v.IsNull():
			*ct = types.StringNull()
		case creating || keyChanged || !v.Equal(sv) || sct.IsNull() || r.sealedWithoutPurpose(ctx, req.Private, state, *sct):
			*ct = types.StringUnknown() // sealed (again): without a purpose, as versions before it sealed, it no longer opens
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
	if creating || !plan.SecretCiphertext.Equal(state.SecretCiphertext) || keyChanged || !plan.FunctionName.Equal(state.FunctionName) {
		resp.Diagnostics.Append(r.checkRingFor(ctx, plan)...)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// checkRingFor opens the ring at plan as the function will at its cold
// start (the encryption context names the function): a ring sealed for
// another function name, or under another key, would only fail once
// deployed, at every cold start. A key KMS cannot use now (disabled,
// pending deletion, gone, not allowed) is said as such.
func (r *issuerResource) checkRingFor(ctx context.Context, plan issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if r.clients == nil || plan.SecretCiphertext.IsUnknown() || plan.KMSKeyARN.IsUnknown() || plan.FunctionName.IsUnknown() {
		return nil
	}
	kc := keyring.KMS{Client: r.clients.KMS}
	_, err := keyring.Open(ctx, kc, plan.KMSKeyARN.ValueString(), plan.FunctionName.ValueString(), plan.SecretCiphertext.ValueString())
	var call *keyring.CallError
	notThisRing := isA[*kmstypes.InvalidCiphertextException](err) || isA[*kmstypes.IncorrectKeyException](err) // a ring, or a key, other than the function's
	switch {
	case errors.As(err, &call) && keyring.SealedWithoutPurpose(ctx, kc, plan.KMSKeyARN.ValueString(), plan.FunctionName.ValueString(), plan.SecretCiphertext.ValueString()):
		diags.AddAttributeError(path.Root("secret_ciphertext"), "The key ring is sealed without a purpose",
			"securestream_issuer: "+legacyRingFix(call, plan.FunctionName.ValueString()))
	case errors.As(err, &call) && !notThisRing:
		diags.Append(diagnostics.AttributeAWSCall(path.Root("kms_key_arn"), "kms:Decrypt of secret_ciphertext (the issuer's key ring) at plan", call.Err,
			decryptFix(call.Err, plan.FunctionName.ValueString(), plan.KMSKeyARN.ValueString())))
	case errors.As(err, &call):
		diags.AddAttributeError(path.Root("function_name"), "The key ring is not for this function",
			fmt.Sprintf("kms:Decrypt of secret_ciphertext under %s with the encryption context LambdaFunctionName=%s failed (%v): the ring "+
				"must be sealed for this function under this key, as the issuer opens it. Pass securestream_secret.<name>.function_name as "+
				"function_name and its ciphertext and kms_key_arn (and let Terraform's identity use the key: kms:Decrypt).",
				plan.KMSKeyARN.ValueString(), plan.FunctionName.ValueString(), call.Err))
	case err != nil:
		diags.AddAttributeError(path.Root("secret_ciphertext"), "Invalid key ring", err.Error())
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
