package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
)

// planInputs is what Create and Update take from the plan before any
// write: the function's package, the settings' environment, and the
// ring's key as an ARN (applyKeyARN, into plan).
func (r *issuerResource) planInputs(ctx context.Context, plan *issuerModel) (pkg []byte, settings map[string]string, diags diag.Diagnostics) {
	pkg, diags = issuerPackage(plan)
	settings, _, d := settingsEnv(ctx, plan.Settings)
	if diags.Append(d...); diags.HasError() {
		return nil, nil, diags
	}
	return pkg, settings, append(diags, r.applyKeyARN(ctx, plan)...)
}

// Create makes, in order: the role and its policy, the KMS grant, the log
// group, the function, its API and the invoke permission. A step that
// fails leaves what the earlier ones made in the state, which Terraform
// marks tainted, so that the next apply or destroy removes it. A create
// that was stopped before it could record anything (Terraform killed) is
// resumed from the role it left (see issuer_resume.go).
func (r *issuerResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan issuerModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}) {
		return
	}
	ctx, done := operation(ctx, "create", plan.Timeouts.Create, defaultIssuerCreateTimeout, &resp.Diagnostics)
	defer done()
	pkg, settings, diags := r.planInputs(ctx, &plan)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return // nothing made yet
	}
	created := plan
	for _, c := range computedNames {
		*created.computed(c) = types.StringNull()
	}
	resumed := false // a role left by an interrupted create was found
	created.Drift = noDrift()
	created.TagsAll = r.tagsAll(created.Tags)
	steps := []func() diag.Diagnostics{
		func() diag.Diagnostics { return r.createRole(ctx, &created, &resumed) },
		func() diag.Diagnostics {
			if !resumed {
				return nil
			}
			return r.clearInterrupted(ctx, &created)
		},
		func() diag.Diagnostics {
			if !created.GrantID.IsNull() { // the interrupted create's
				if grantsCurrent(created.GrantID.ValueString()) {
					return nil
				}
				if d := r.revokeGrant(ctx, created.KMSKeyARN.ValueString(), created.GrantID.ValueString()); d.HasError() {
					return d
				}
			}
			return r.createGrant(ctx, &created)
		},
		func() diag.Diagnostics { return r.createLogGroup(ctx, &created, resumed) },
		func() diag.Diagnostics { return r.sealSecrets(ctx, req.Config, &created, nil) },
		func() diag.Diagnostics {
			return r.createFunction(ctx, &created, pkg, functionEnv(&created, settings))
		},
		func() diag.Diagnostics {
			cors := corsOrigins(ctx, plan.Settings)
			switch created.APIType.ValueString() {
			case apiTypeHTTP:
				return r.createHTTPAPI(ctx, &created, cors)
			case apiTypeREST:
				return r.createRESTAPI(ctx, &created)
			}
			return r.createFunctionURL(ctx, &created, cors)
		},
		func() diag.Diagnostics { return r.addPermission(ctx, &created) },
	}
	for _, step := range steps {
		if resp.Diagnostics.Append(step()...); resp.Diagnostics.HasError() {
			break
		}
	}
	for _, s := range sealedSettings { // not sealed: a step before failed
		if _, ct := created.sealedFields(s); ct.IsUnknown() {
			*ct = types.StringNull()
		}
	}
	setSealedWithPurpose(ctx, resp.Private) // what this version seals has its purpose
	resp.Diagnostics.Append(resp.State.Set(ctx, &created)...)
}

var computedNames = []string{"invoke_url", "function_arn", "role_arn", "api_id", "stage_name", "source_code_hash", "grant_id", "log_group_name", "permission_id",
	"rest_api_key_id", "rest_api_key_value"}

// computed is a computed string attribute of m by name.
func (m *issuerModel) computed(name string) *types.String {
	return map[string]*types.String{"invoke_url": &m.InvokeURL, "function_arn": &m.FunctionARN, "role_arn": &m.RoleARN,
		"api_id": &m.APIID, "stage_name": &m.StageName, "source_code_hash": &m.SourceCodeHash, "grant_id": &m.GrantID,
		"log_group_name": &m.LogGroupName, "permission_id": &m.PermissionID, "rest_api_key_id": &m.RESTAPIKeyID, "rest_api_key_value": &m.RESTAPIKeyValue}[name]
}

// corsOrigins is settings.cors_origins, for the API's CORS.
func corsOrigins(ctx context.Context, settings types.Object) []string {
	if settings.IsNull() || settings.IsUnknown() {
		return nil
	}
	var out []string
	if l, ok := settings.Attributes()["cors_origins"].(types.List); ok && !l.IsNull() && !l.IsUnknown() {
		_ = l.ElementsAs(ctx, &out, false)
	}
	return out
}

// Read refreshes every object from AWS, reading the settings back from the
// function's environment: an import, or an edit in the console, shows as
// the settings' values.
func (r *issuerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m issuerModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &m}) {
		return
	}
	ctx, done := operation(ctx, "read", m.Timeouts.Read, defaultIssuerReadTimeout, &resp.Diagnostics)
	defer done()
	fn := m.FunctionName.ValueString()
	out, err := r.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	importing, d := req.Private.GetKey(ctx, importKey)
	resp.Diagnostics.Append(d...)
	functionGone := false
	switch {
	case isA[*lambdatypes.ResourceNotFoundException](err) && importing != nil:
		resp.Diagnostics.AddError("No issuer function to import", fmt.Sprintf("There is no Lambda function named %s in %s.", fn, r.clients.Config.Region))
		return
	case isA[*lambdatypes.ResourceNotFoundException](err) && !m.FunctionARN.IsNull():
		// Deleted outside Terraform: the rest stays in the state, for the
		// plan to replace the whole issuer (see ModifyPlan), unless the
		// rest is gone too (a restarted local stack: allGone, below).
		functionGone = true
		m.FunctionARN, m.SourceCodeHash = types.StringNull(), types.StringNull()
	}
	if err != nil && !isA[*lambdatypes.ResourceNotFoundException](err) {
		resp.Diagnostics.Append(diagnostics.AWSCall("lambda:GetFunction", err, "The provider's credentials need lambda:GetFunction."))
		return
	}
	var lambdaDrift []string // the function's environment and role, against the state
	if err == nil && out.Configuration != nil {
		var d diag.Diagnostics
		lambdaDrift, d = r.readFunction(ctx, &m, out, importing != nil)
		resp.Diagnostics.Append(d...)
	}
	resp.Diagnostics.Append(r.readAPI(ctx, &m)...)
	if m.APIType.ValueString() != apiTypeREST {
		m.RESTAuthorization, m.RESTCognitoPoolARNs, m.RESTAPIKeyRequired = types.StringNull(), types.SetNull(types.StringType), types.BoolNull()
		m.RESTAPIKeyID, m.RESTAPIKeyValue = types.StringNull(), types.StringNull()
	}
	if days, found, err := r.logRetention(ctx, fn); err != nil {
		resp.Diagnostics.Append(diagnostics.AWSCall("logs:DescribeLogGroups", err, "The provider's credentials need logs:DescribeLogGroups."))
	} else if found {
		m.LogGroupName, m.LogRetentionDays = types.StringValue(logGroupName(fn)), types.Int64Value(days)
	} else {
		m.LogGroupName = types.StringNull()
	}
	resp.Diagnostics.Append(r.readDrift(ctx, &m, importing != nil)...)
	if len(lambdaDrift) > 0 {
		m.Drift = stringList(append(stringElems(m.Drift), lambdaDrift...))
	}
	// A grant the state does not hold was never made (a create failed
	// before it), unless this is an import. The key is the state's (an
	// import's: the environment's, when it names one).
	// A key that is gone or pending deletion took the grants with it: no
	// kms:ListGrants on it (see ringKeyFate).
	key, keyChecked := keyLive, false
	if m.KMSKeyARN.ValueString() != "" && m.RoleARN.ValueString() != "" && (!m.GrantID.IsNull() || importing != nil) {
		var id string
		var ferr error
		key, ferr = r.ringKeyFate(ctx, m.KMSKeyARN.ValueString())
		keyChecked = ferr == nil
		if key == keyLive {
			var lerr error
			id, lerr = r.findGrant(ctx, m.KMSKeyARN.ValueString(), m.RoleARN.ValueString(), fn)
			if isA[*kmstypes.NotFoundException](lerr) {
				id, lerr = "", nil
			}
			if lerr != nil {
				resp.Diagnostics.Append(diagnostics.AWSCall("kms:ListGrants", lerr, "The provider's credentials need kms:ListGrants on the ring's key."))
			}
		}
		m.GrantID = types.StringNull()
		if id != "" {
			m.GrantID = types.StringValue(id)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if functionGone && importing == nil {
		if gone, missing := r.allGone(ctx, &m, key, keyChecked); gone {
			resp.Diagnostics.AddWarning("The issuer is gone", goneDetail(missing))
			resp.State.RemoveResource(ctx)
			return
		}
		resp.Diagnostics.AddWarning("The issuer's function is gone",
			fmt.Sprintf("The Lambda function %s was deleted outside Terraform. The next apply replaces the issuer: its role, log group, "+
				"KMS grant and API are deleted and made again with the function.", fn))
	}
	if keyChecked && key != keyLive {
		keyGoneWarning(&resp.Diagnostics, key, m.KMSKeyARN.ValueString())
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	if importing != nil {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, importKey, nil)...)
	}
}

// readDrift compares, into m.Drift, what no other attribute shows: the
// role's policies (issuer_owner.go), the HTTP API routes' authorization,
// and the admin routes (issuer_revocation.go).
func (r *issuerResource) readDrift(ctx context.Context, m *issuerModel, importing bool) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.RoleARN.IsNull() { // a create failed before the role
		return nil
	}
	drift, d := r.readRoleDrift(ctx, m, importing)
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	if m.APIType.ValueString() == apiTypeHTTP && !m.APIID.IsNull() {
		routes, err := r.inspectRoutes(ctx, m.APIID.ValueStringPointer(), !m.JWTAuthorizer.IsNull(), adminOf(m))
		if err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:GetRoutes (the routes' authorization)", err, "The provider's credentials need apigateway:GET on the API."))
			return diags
		}
		for _, rt := range routes {
			drift = append(drift, rt.describe())
		}
	}
	if m.APIType.ValueString() == apiTypeREST && !m.APIID.IsNull() {
		admin, err := r.inspectRESTAdmin(ctx, m)
		if err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:GetResources (the REST API's admin routes)", err, "The provider's credentials need apigateway:GET on the REST API."))
			return diags
		}
		drift = append(drift, admin...)
	}
	m.Drift = stringList(drift)
	return diags
}

// noDrift is the drift attribute when all is as the provider made it.
func noDrift() types.List { return types.ListValueMust(types.StringType, []attr.Value{}) }

// importKey, in private state, marks the first read after an import.
const importKey = "importing"

// readFunction reads the function's configuration, code hash,
// concurrency, settings and invoke permission into m. What the provider
// sets in the environment from other attributes (the ring, its key, the
// sealed secrets) and the role are the state's, read from the function
// only on import: an edit of the environment in the console (a variable
// removed, changed or added) or another role is returned as drift, for the
// plan to show and the apply to put back (updateFunction sets the whole
// environment and the role), and the refresh never takes an empty key id
// from an edited environment to KMS.
func (r *issuerResource) readFunction(ctx context.Context, m *issuerModel, out *lambda.GetFunctionOutput, importing bool) ([]string, diag.Diagnostics) {
	var diags diag.Diagnostics
	c := out.Configuration
	m.ID = m.FunctionName
	m.FunctionARN, m.SourceCodeHash = types.StringPointerValue(c.FunctionArn), types.StringPointerValue(c.CodeSha256)
	m.MemorySize, m.Timeout = types.Int64Value(int64(aws.ToInt32(c.MemorySize))), types.Int64Value(int64(aws.ToInt32(c.Timeout)))
	if len(c.Architectures) > 0 {
		m.Architecture = types.StringValue(string(c.Architectures[0]))
	}
	m.Description = types.StringValue(defaultIssuerDescription)
	if d := aws.ToString(c.Description); d != "" {
		m.Description = types.StringValue(d)
	}
	m.Tracing = types.StringValue(tracingPassThrough)
	if c.TracingConfig != nil && c.TracingConfig.Mode == lambdatypes.TracingModeActive {
		m.Tracing = types.StringValue(tracingActive)
	}
	r.readTags(m, out.Tags)
	m.ReservedConcurrency = types.Int64Null()
	if out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil {
		m.ReservedConcurrency = types.Int64Value(int64(*out.Concurrency.ReservedConcurrentExecutions))
	}
	env := map[string]string{}
	if c.Environment != nil && c.Environment.Variables != nil {
		env = c.Environment.Variables
	}
	var drift []string
	if importing || m.RoleARN.IsNull() {
		m.RoleARN = types.StringPointerValue(c.Role)
	} else if live := aws.ToString(c.Role); live != m.RoleARN.ValueString() {
		drift = append(drift, "lambda: role "+live+" (not the issuer's)")
	}
	if importing {
		// The ring, its key and the function it is for, as the function has them.
		keyID := envValue(env, envKMSKeyID)
		m.KeyRing, m.KMSKeyARN = keyRingValue(envValue(env, envKeyring), keyID, m.FunctionName), keyID
		if id := keyID.ValueString(); id != "" && !keyARNRE.MatchString(id) {
			arn, d := r.resolveKeyARN(ctx, id)
			if diags.Append(d...); !d.HasError() {
				m.KMSKeyARN = types.StringValue(arn)
			}
		}
		for _, s := range sealedSettings {
			_, ct := m.sealedFields(s)
			*ct = envValue(env, s.env)
			if !ct.IsNull() { // the version is not in AWS: 1, for the configuration to keep the secret with
				m.setSealedVersion(s, types.Int64Value(1))
			}
		}
	}
	m.Settings, diags = settingsFromEnv(env)
	want, _, d := settingsEnv(ctx, m.Settings)
	diags.Append(d...)
	drift = append(drift, environmentDrift(env, functionEnv(m, want))...)
	has, err := r.hasPermission(ctx, m.FunctionName.ValueString())
	if err != nil {
		diags.Append(diagnostics.AWSCall("lambda:GetPolicy", err, "The provider's credentials need lambda:GetPolicy."))
	}
	m.PermissionID = types.StringNull()
	if has {
		m.PermissionID = types.StringValue(permissionID)
	}
	return drift, diags
}

// envValue is a variable of env, null when it is not set.
func envValue(env map[string]string, name string) types.String {
	if v, ok := env[name]; ok {
		return types.StringValue(v)
	}
	return types.StringNull()
}

// environmentDrift compares the function's environment, live, with the
// one the provider sets, want: each variable removed, changed or added,
// by name only (the values include the ring and the sealed secrets), in
// the order of their names. A setting changed to a value the settings
// hold shows as settings instead (settingsFromEnv); what shows here is
// what no attribute does.
func environmentDrift(live, want map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := live[k]
		switch {
		case !ok:
			out = append(out, "lambda: environment "+k+" removed")
		case v != want[k]:
			out = append(out, "lambda: environment "+k+" changed")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(live)) {
		if _, ok := want[k]; ok {
			continue
		}
		if issuerVariable(k) { // one the settings cannot hold as it is written
			out = append(out, "lambda: environment "+k+" changed")
		} else {
			out = append(out, "lambda: environment "+k+" added (not the provider's)")
		}
	}
	return out
}

// issuerVariable says whether name is one of the issuer's variables.
func issuerVariable(name string) bool {
	return slices.ContainsFunc(config.Variables, func(v config.Variable) bool { return v.Name == name })
}

// readAPI reads the API in front; on import (api_type unknown) it finds
// a function URL, or the HTTP API by its tag.
func (r *issuerResource) readAPI(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueStringPointer()
	if m.APIType.IsNull() || m.APIType.ValueString() == apiTypeFunctionURL {
		u, err := r.clients.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: fn})
		switch {
		case err == nil:
			m.APIType, m.InvokeURL, m.FunctionURLAuthType = types.StringValue(apiTypeFunctionURL), types.StringPointerValue(u.FunctionUrl), types.StringValue(string(u.AuthType))
			m.APIID, m.StageName = types.StringNull(), types.StringNull()
			m.ThrottleRateLimit, m.ThrottleBurstLimit = types.Float64Null(), types.Int64Null() // no throttling: refused with a function URL
			return nil
		case !isA[*lambdatypes.ResourceNotFoundException](err):
			diags.Append(diagnostics.AWSCall("lambda:GetFunctionUrlConfig", err, "The provider's credentials need lambda:GetFunctionUrlConfig."))
			return diags
		case m.APIType.ValueString() == apiTypeFunctionURL:
			m.InvokeURL = types.StringNull()
			return nil
		}
	}
	if m.APIID.IsNull() && m.APIType.ValueString() != apiTypeREST {
		api, err := r.findHTTPAPI(ctx, *fn)
		if awsFailed(&diags, err, "apigateway:GetApis", findHTTPAPIFix) {
			return diags
		}
		if api != nil {
			m.APIType, m.APIID = types.StringValue(apiTypeHTTP), types.StringPointerValue(api.ApiId)
		}
	}
	if m.APIID.IsNull() && m.APIType.ValueString() != apiTypeHTTP {
		id, err := r.findRESTAPI(ctx, *fn)
		if awsFailed(&diags, err, "apigateway:GetRestApis", findRESTAPIFix) {
			return diags
		}
		if id != nil {
			m.APIType, m.APIID = types.StringValue(apiTypeREST), types.StringPointerValue(id)
		}
	}
	if m.APIType.ValueString() != apiTypeFunctionURL && !m.APIType.IsNull() {
		m.FunctionURLAuthType = types.StringNull() // refused with an API
	}
	if m.APIID.IsNull() {
		return nil
	}
	if m.APIType.ValueString() == apiTypeREST {
		m.JWTAuthorizer = types.ObjectNull(jwtAuthorizerTypes)
		return r.readRESTAPI(ctx, m)
	}
	api := m.APIID.ValueStringPointer()
	got, err := r.clients.APIGatewayV2.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: api})
	if isA[*apitypes.NotFoundException](err) { // deleted outside Terraform: ModifyPlan replaces the issuer
		m.APIID, m.InvokeURL = types.StringNull(), types.StringNull()
		return nil
	}
	if err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:GetApi", err, "The provider's credentials need apigateway:GET on the API."))
		return diags
	}
	m.InvokeURL, m.StageName = types.StringValue(httpInvokeURL(got.ApiEndpoint)), types.StringValue(defaultStage)
	if st, err := r.clients.APIGatewayV2.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: api, StageName: aws.String(defaultStage)}); err == nil {
		if s := st.DefaultRouteSettings; s != nil && s.ThrottlingRateLimit != nil && s.ThrottlingBurstLimit != nil {
			m.ThrottleRateLimit, m.ThrottleBurstLimit = types.Float64Value(*s.ThrottlingRateLimit), types.Int64Value(int64(*s.ThrottlingBurstLimit))
		}
		m.AccessLog = types.ObjectNull(accessLogTypes)
		if s := st.AccessLogSettings; s != nil {
			m.AccessLog = accessLogValue(s.DestinationArn, s.Format)
		}
	}
	m.JWTAuthorizer = types.ObjectNull(jwtAuthorizerTypes)
	id, err := r.authorizerID(ctx, api)
	if err == nil && id != nil {
		var a *apigatewayv2.GetAuthorizerOutput
		if a, err = r.clients.APIGatewayV2.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: api, AuthorizerId: id}); err == nil && a.JwtConfiguration != nil {
			var d diag.Diagnostics
			m.JWTAuthorizer, d = types.ObjectValue(jwtAuthorizerTypes, map[string]attr.Value{
				"issuer": types.StringPointerValue(a.JwtConfiguration.Issuer), "audiences": stringList(a.JwtConfiguration.Audience)})
			diags.Append(d...)
		}
	}
	if err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:GetRoutes/GetAuthorizer", err, "The provider's credentials need apigateway:GET on the API."))
	}
	return diags
}

// httpInvokeURL is the invoke URL of the issuer's HTTP API ($default
// stage); the securestream_issuer data source shares it.
func httpInvokeURL(endpoint *string) string { return aws.ToString(endpoint) + "/" }

func stringList(items []string) types.List {
	var vs []attr.Value
	for _, s := range items {
		vs = append(vs, types.StringValue(s))
	}
	return types.ListValueMust(types.StringType, vs)
}

// Update changes in place what AWS lets change: the grant and policy when
// the key changes, the secrets, the function's code, configuration and
// environment, the log retention, the API's CORS, authorizer and
// throttling, and the invoke permission when it went missing.
func (r *issuerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state issuerModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "update", plan.Timeouts.Update, defaultIssuerUpdateTimeout, &resp.Diagnostics)
	defer done()
	pkg, settings, diags := r.planInputs(ctx, &plan)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	plan.SourceCodeHash = types.StringValue(issuerpkg.SourceCodeHash(pkg))
	newCors, oldCors := corsOrigins(ctx, plan.Settings), corsOrigins(ctx, state.Settings)
	steps := []func() diag.Diagnostics{
		func() diag.Diagnostics {
			// Drift the refresh found (the plan takes it back to empty).
			if len(state.Drift.Elements()) == 0 {
				return nil
			}
			if d := r.repairRole(ctx, &plan); d.HasError() {
				return d
			}
			if plan.APIType.ValueString() == apiTypeREST && !adminOf(&plan).on {
				return nil // (a REST API's admin routes are read only while on)
			}
			return r.updateAdmin(ctx, &plan) // the HTTP API's routes, and the REST API's admin routes
		},
		func() diag.Diagnostics { return r.updateBoundary(ctx, &plan, &state) },
		func() diag.Diagnostics {
			if plan.KMSKeyARN.Equal(state.KMSKeyARN) && !plan.GrantID.IsUnknown() && plan.Tracing.Equal(state.Tracing) &&
				revocationStore(plan.Settings) == revocationStore(state.Settings) {
				return nil // (grants remade: the policy of this version, with the purposes, too)
			}
			return r.putRolePolicy(ctx, &plan)
		},
		func() diag.Diagnostics {
			if !plan.GrantID.IsUnknown() {
				return nil
			}
			if d := r.revokeGrant(ctx, state.KMSKeyARN.ValueString(), state.GrantID.ValueString()); d.HasError() {
				return d
			}
			return r.createGrant(ctx, &plan)
		},
		func() diag.Diagnostics { return r.sealSecrets(ctx, req.Config, &plan, &state) },
		func() diag.Diagnostics {
			switch {
			case state.LogGroupName.IsNull(): // deleted outside Terraform
				return r.createLogGroup(ctx, &plan, false)
			case plan.LogRetentionDays.Equal(state.LogRetentionDays):
				return nil
			}
			return r.putRetention(ctx, &plan)
		},
		func() diag.Diagnostics {
			return r.updateFunction(ctx, &plan, &state, functionEnv(&plan, settings), pkg)
		},
		func() diag.Diagnostics {
			switch plan.APIType.ValueString() {
			case apiTypeHTTP:
				return r.updateHTTPAPI(ctx, &plan, &state, newCors, oldCors)
			case apiTypeREST:
				return r.updateREST(ctx, &plan, &state)
			}
			if plan.FunctionURLAuthType.Equal(state.FunctionURLAuthType) && slices.Equal(newCors, oldCors) {
				return nil
			}
			return r.updateFunctionURL(ctx, &plan, newCors)
		},
		func() diag.Diagnostics { return r.updateAPIDescription(ctx, &plan, &state) },
		func() diag.Diagnostics { return r.updateStageExtras(ctx, &plan, &state) },
		func() diag.Diagnostics { return r.updateTags(ctx, &plan, &state) },
		func() diag.Diagnostics {
			switch want := wantPermission(&plan); {
			case want.Equal(state.PermissionID):
				return nil
			case want.IsNull():
				return r.removePermission(ctx, plan.FunctionName.ValueString())
			}
			return r.addPermission(ctx, &plan)
		},
	}
	for _, step := range steps {
		if resp.Diagnostics.Append(step()...); resp.Diagnostics.HasError() {
			// What did change is read back by the next refresh.
			return
		}
	}
	// A computed value the plan could not know and no step set (an
	// object gone outside Terraform) keeps what the refresh found.
	for _, c := range computedNames {
		if p := plan.computed(c); p.IsUnknown() {
			*p = *state.computed(c)
		}
	}
	setSealedWithPurpose(ctx, resp.Private) // every secret re-sealed (sealSecrets), if it had no purpose
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete removes, in reverse order, what the state says was created; an
// object already gone is no error.
func (r *issuerResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m issuerModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &m}) {
		return
	}
	ctx, done := operation(ctx, "delete", m.Timeouts.Delete, defaultIssuerDeleteTimeout, &resp.Diagnostics)
	defer done()
	resp.Diagnostics.Append(r.deleteIssuer(ctx, &m)...)
}

// deleteIssuer removes, in reverse order, what m says was created; each
// step takes an object already gone as done (after a restart of the local
// stack, every one is).
func (r *issuerResource) deleteIssuer(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	steps := []func() diag.Diagnostics{
		func() diag.Diagnostics {
			switch {
			case m.APIType.ValueString() == apiTypeREST:
				// The usage plan and the API key outlive the API.
				if d := r.deleteRESTAPIKey(ctx, m); d.HasError() || m.APIID.IsNull() {
					return d
				}
				return r.deleteRESTAPI(ctx, m.APIID.ValueString())
			case m.APIID.IsNull():
				return nil
			}
			return r.deleteHTTPAPI(ctx, m.APIID.ValueString())
		},
		// The function URL and the permission go with the function.
		func() diag.Diagnostics {
			if m.FunctionARN.IsNull() {
				return nil
			}
			return r.deleteFunction(ctx, fn)
		},
		func() diag.Diagnostics {
			if m.LogGroupName.IsNull() {
				return nil
			}
			return r.deleteLogGroup(ctx, fn)
		},
		func() diag.Diagnostics { return r.revokeGrant(ctx, m.KMSKeyARN.ValueString(), m.GrantID.ValueString()) },
		func() diag.Diagnostics {
			if m.RoleARN.IsNull() {
				return nil
			}
			return r.deleteRole(ctx, fn)
		},
	}
	for _, step := range steps {
		if diags.Append(step()...); diags.HasError() {
			return diags
		}
	}
	return diags
}
