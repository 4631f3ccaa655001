package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file is api_type = "rest": a regional REST API whose root resource
// proxies GET, POST and OPTIONS to the function (payload 1.0; the issuer
// answers the CORS preflight itself), deployed to the stage "live". GET
// and POST take rest_authorization (NONE, AWS_IAM, or a Cognito user
// pools authorizer) and may require an API key, which the issuer then
// manages with its usage plan; OPTIONS stays open, as browsers send the
// preflight without credentials.

const (
	apiTypeREST = "rest"
	restStage   = "live"
	// restAllMethods is the method settings key for every method.
	restAllMethods = "*/*"

	restAuthNone    = "NONE"
	restAuthIAM     = "AWS_IAM"
	restAuthCognito = "COGNITO_USER_POOLS"
)

// restAuthorizedMethods are the methods rest_authorization and
// rest_api_key_required apply to.
var restAuthorizedMethods = []string{"GET", "POST"}

var cognitoPoolARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[\w-]+_[0-9A-Za-z]+$`)

// poolARNs is rest_cognito_user_pool_arns, sorted.
func (m *issuerModel) poolARNs() []string {
	if m.RESTCognitoPoolARNs.IsNull() || m.RESTCognitoPoolARNs.IsUnknown() {
		return nil
	}
	out := stringElems(m.RESTCognitoPoolARNs)
	slices.Sort(out)
	return out
}

func (m *issuerModel) restAPIKeyRequired() bool {
	return m.APIType.ValueString() == apiTypeREST && m.RESTAPIKeyRequired.ValueBool()
}

var restFix = "The provider's credentials need apigateway:POST, PUT, PATCH and GET on /restapis and its children, and apigateway:TagResource."

func (r *issuerResource) createRESTAPI(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	api, err := r.clients.APIGateway.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(fn),
		Description:           aws.String(apiDescription(m)),
		EndpointConfiguration: &resttypes.EndpointConfiguration{Types: []resttypes.EndpointType{resttypes.EndpointTypeRegional}}, Tags: r.tags(m)})
	if awsFailed(&diags, err, "apigateway:CreateRestApi (step 4 of the issuer: its REST API)", restFix) {
		return diags
	}
	m.APIID = types.StringPointerValue(api.Id)
	root, err := r.restRoot(ctx, api.Id)
	if awsFailed(&diags, err, "apigateway:GetResources (the REST API's root)", restFix) {
		return diags
	}
	var authorizerID *string
	if m.RESTAuthorization.ValueString() == restAuthCognito {
		if authorizerID, diags = r.createRESTAuthorizer(ctx, m); diags.HasError() {
			return diags
		}
	}
	uri := r.restIntegrationURI(m)
	for _, method := range corsMethods {
		in := &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String(method), AuthorizationType: aws.String(restAuthNone)}
		if slices.Contains(restAuthorizedMethods, method) {
			in.AuthorizationType, in.AuthorizerId, in.ApiKeyRequired = m.RESTAuthorization.ValueStringPointer(), authorizerID, m.RESTAPIKeyRequired.ValueBool()
		}
		if _, err := r.clients.APIGateway.PutMethod(ctx, in); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:PutMethod ("+method+" /)", err, restFix))
			return diags
		}
		if _, err := r.clients.APIGateway.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: root,
			HttpMethod: aws.String(method), Type: resttypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(uri)}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:PutIntegration ("+method+" /)", err, restFix))
			return diags
		}
	}
	if adminOf(m).on {
		if _, diags = r.syncRESTAdmin(ctx, m); diags.HasError() {
			return diags
		}
	}
	if _, err := r.clients.APIGateway.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String(restStage)}); err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:CreateDeployment (stage "+restStage+")", err, restFix))
		return diags
	}
	m.StageName = types.StringValue(restStage)
	m.InvokeURL = types.StringValue(fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s/", aws.ToString(api.Id), r.clients.Config.Region, restStage))
	if diags = r.putAccessLog(ctx, m, false); diags.HasError() {
		return diags
	}
	if m.Tracing.ValueString() == tracingActive {
		if diags = r.putRESTTracing(ctx, m); diags.HasError() {
			return diags
		}
	}
	if diags = r.updateRESTThrottling(ctx, m); diags.HasError() || !m.restAPIKeyRequired() {
		return diags
	}
	return r.ensureRESTAPIKey(ctx, m)
}

// createRESTAuthorizer creates the Cognito user pools authorizer, named
// after the function.
func (r *issuerResource) createRESTAuthorizer(ctx context.Context, m *issuerModel) (*string, diag.Diagnostics) {
	var diags diag.Diagnostics
	out, err := r.clients.APIGateway.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: m.APIID.ValueStringPointer(),
		Name: m.FunctionName.ValueStringPointer(), Type: resttypes.AuthorizerTypeCognitoUserPools, ProviderARNs: m.poolARNs(),
		IdentitySource: aws.String("method.request.header.Authorization")})
	if err != nil {
		diags.Append(diagnostics.AttributeAWSCall(pathRESTPools, "apigateway:CreateAuthorizer (the REST API's Cognito authorizer)", err, restFix))
		return nil, diags
	}
	return out.Id, diags
}

var (
	pathRESTAuthorization = path.Root("rest_authorization")
	pathRESTPools         = path.Root("rest_cognito_user_pool_arns")
	pathRESTAPIKey        = path.Root("rest_api_key_required")
)

// findRESTAuthorizer is the issuer's authorizer (named after the
// function), nil when there is none.
func (r *issuerResource) findRESTAuthorizer(ctx context.Context, m *issuerModel) (*resttypes.Authorizer, error) {
	in := &apigateway.GetAuthorizersInput{RestApiId: m.APIID.ValueStringPointer()}
	for {
		out, err := r.clients.APIGateway.GetAuthorizers(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, a := range out.Items {
			if aws.ToString(a.Name) == m.FunctionName.ValueString() {
				return &a, nil
			}
		}
		if in.Position = out.Position; aws.ToString(in.Position) == "" {
			return nil, nil
		}
	}
}

// findRESTUsagePlans are the issuer's usage plans: named after the
// function, on the API's stage. Every caller stops on its diagnostic.
func (r *issuerResource) findRESTUsagePlans(ctx context.Context, m *issuerModel) ([]resttypes.UsagePlan, diag.Diagnostics) {
	var found []resttypes.UsagePlan
	in := &apigateway.GetUsagePlansInput{}
	for {
		out, err := r.clients.APIGateway.GetUsagePlans(ctx, in)
		if err != nil {
			var diags diag.Diagnostics
			diags.Append(diagnostics.AWSCall("apigateway:GetUsagePlans", err, restKeyFix))
			return nil, diags
		}
		for _, p := range out.Items {
			if aws.ToString(p.Name) == m.FunctionName.ValueString() && slices.ContainsFunc(p.ApiStages, func(s resttypes.ApiStage) bool {
				return aws.ToString(s.ApiId) == m.APIID.ValueString() && aws.ToString(s.Stage) == restStage
			}) {
				found = append(found, p)
			}
		}
		if in.Position = out.Position; aws.ToString(in.Position) == "" {
			return found, nil
		}
	}
}

// usagePlanKeys are the ids of the keys in a usage plan.
func (r *issuerResource) usagePlanKeys(ctx context.Context, plan *string) ([]string, error) {
	var ids []string
	in := &apigateway.GetUsagePlanKeysInput{UsagePlanId: plan}
	for {
		out, err := r.clients.APIGateway.GetUsagePlanKeys(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, k := range out.Items {
			ids = append(ids, aws.ToString(k.Id))
		}
		if in.Position = out.Position; aws.ToString(in.Position) == "" {
			return ids, nil
		}
	}
}

var restKeyFix = "The provider's credentials need apigateway:POST, GET, PATCH and DELETE on /apikeys and /usageplans and their children, and apigateway:TagResource."

// ensureRESTAPIKey makes what is missing of the API key, the usage plan on
// the stage (with the stage's throttling) and the key's place in it,
// saving the key's id and value in m as soon as it exists.
func (r *issuerResource) ensureRESTAPIKey(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	if m.RESTAPIKeyID.IsNull() || m.RESTAPIKeyID.IsUnknown() {
		key, err := r.clients.APIGateway.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String(fn), Enabled: true,
			Description: aws.String("securestream stream key issuer " + fn), Tags: r.tags(m)})
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(pathRESTAPIKey, "apigateway:CreateApiKey (the REST API's key)", err, restKeyFix))
			return diags
		}
		m.RESTAPIKeyID, m.RESTAPIKeyValue = types.StringPointerValue(key.Id), types.StringPointerValue(key.Value)
	}
	plans, d := r.findRESTUsagePlans(ctx, m)
	if diags.Append(d...); d.HasError() {
		return diags
	}
	var planID *string
	if len(plans) > 0 {
		planID = plans[0].Id
	} else {
		out, err := r.clients.APIGateway.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String(fn),
			Description: aws.String("securestream stream key issuer " + fn),
			ApiStages:   []resttypes.ApiStage{{ApiId: m.APIID.ValueStringPointer(), Stage: aws.String(restStage)}},
			Throttle:    &resttypes.ThrottleSettings{RateLimit: m.ThrottleRateLimit.ValueFloat64(), BurstLimit: int32Of(m.ThrottleBurstLimit)},
			Tags:        r.tags(m)})
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(pathRESTAPIKey, "apigateway:CreateUsagePlan (the API key's usage plan on stage "+restStage+")", err, restKeyFix))
			return diags
		}
		planID = out.Id
	}
	keys, err := r.usagePlanKeys(ctx, planID)
	if awsFailed(&diags, err, "apigateway:GetUsagePlanKeys", restKeyFix) {
		return diags
	}
	if slices.Contains(keys, m.RESTAPIKeyID.ValueString()) {
		return diags
	}
	if _, err := r.clients.APIGateway.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: planID,
		KeyId: m.RESTAPIKeyID.ValueStringPointer(), KeyType: aws.String("API_KEY")}); err != nil {
		diags.Append(diagnostics.AttributeAWSCall(pathRESTAPIKey, "apigateway:CreateUsagePlanKey (the API key in its usage plan)", err, restKeyFix))
	}
	return diags
}

// deleteRESTAPIKey deletes the issuer's usage plans (their keys, then
// their stages, then the plans: AWS refuses to delete a plan in use) and
// the API key; deleting the REST API deletes none of them.
func (r *issuerResource) deleteRESTAPIKey(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if !m.APIID.IsNull() {
		plans, d := r.findRESTUsagePlans(ctx, m)
		if diags.Append(d...); d.HasError() {
			return diags
		}
		for _, p := range plans {
			keys, err := r.usagePlanKeys(ctx, p.Id)
			for _, k := range keys {
				if err == nil {
					if _, err = r.clients.APIGateway.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: aws.String(k)}); isA[*resttypes.NotFoundException](err) {
						err = nil
					}
				}
			}
			if awsFailed(&diags, err, "apigateway:DeleteUsagePlanKey", restKeyFix) {
				return diags
			}
			var ops []resttypes.PatchOperation
			for _, s := range p.ApiStages {
				ops = append(ops, resttypes.PatchOperation{Op: resttypes.OpRemove, Path: aws.String("/apiStages"),
					Value: aws.String(aws.ToString(s.ApiId) + ":" + aws.ToString(s.Stage))})
			}
			if _, err := r.clients.APIGateway.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: p.Id, PatchOperations: ops}); err != nil && !isA[*resttypes.NotFoundException](err) {
				diags.Append(diagnostics.AWSCall("apigateway:UpdateUsagePlan (removing its stage)", err, restKeyFix))
				return diags
			}
			if _, err := r.clients.APIGateway.DeleteUsagePlan(ctx, &apigateway.DeleteUsagePlanInput{UsagePlanId: p.Id}); err != nil && !isA[*resttypes.NotFoundException](err) {
				diags.Append(diagnostics.AWSCall("apigateway:DeleteUsagePlan", err, restKeyFix))
				return diags
			}
		}
	}
	if id := m.RESTAPIKeyID.ValueString(); id != "" {
		if _, err := r.clients.APIGateway.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(id)}); err != nil && !isA[*resttypes.NotFoundException](err) {
			diags.Append(diagnostics.AWSCall("apigateway:DeleteApiKey", err, restKeyFix))
			return diags
		}
	}
	m.RESTAPIKeyID, m.RESTAPIKeyValue = types.StringNull(), types.StringNull()
	return diags
}

// updateREST applies throttling, authorization and API key changes: the
// authorizer and the key are made first, the methods then changed
// (UpdateMethod) and the stage deployed again so that the change takes
// effect, the admin routes brought to the plan (issuer_revocation.go),
// and what is no longer used deleted last.
func (r *issuerResource) updateREST(ctx context.Context, plan, state *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	api := plan.APIID.ValueStringPointer()
	throttled := !plan.ThrottleRateLimit.Equal(state.ThrottleRateLimit) || !plan.ThrottleBurstLimit.Equal(state.ThrottleBurstLimit)
	if throttled {
		if diags = r.updateRESTThrottling(ctx, plan); diags.HasError() {
			return diags
		}
	}
	cognito := plan.RESTAuthorization.ValueString() == restAuthCognito
	var authorizer *resttypes.Authorizer
	if cognito || state.RESTAuthorization.ValueString() != restAuthNone {
		a, err := r.findRESTAuthorizer(ctx, plan)
		if awsFailed(&diags, err, "apigateway:GetAuthorizers", restFix) {
			return diags
		}
		authorizer = a
	}
	var authorizerID *string
	switch {
	case !cognito:
	case authorizer == nil:
		if authorizerID, diags = r.createRESTAuthorizer(ctx, plan); diags.HasError() {
			return diags
		}
	default:
		authorizerID = authorizer.Id
		var ops []resttypes.PatchOperation
		want, have := plan.poolARNs(), authorizer.ProviderARNs
		for _, arn := range want {
			if !slices.Contains(have, arn) {
				ops = append(ops, resttypes.PatchOperation{Op: resttypes.OpAdd, Path: aws.String("/providerARNs"), Value: aws.String(arn)})
			}
		}
		for _, arn := range have {
			if !slices.Contains(want, arn) {
				ops = append(ops, resttypes.PatchOperation{Op: resttypes.OpRemove, Path: aws.String("/providerARNs"), Value: aws.String(arn)})
			}
		}
		if len(ops) > 0 {
			if _, err := r.clients.APIGateway.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: authorizerID,
				PatchOperations: ops}); err != nil {
				diags.Append(diagnostics.AttributeAWSCall(pathRESTPools, "apigateway:UpdateAuthorizer (its user pools)", err, restFix))
				return diags
			}
		}
	}
	if plan.restAPIKeyRequired() && (plan.RESTAPIKeyID.IsUnknown() || plan.RESTAPIKeyID.IsNull()) {
		plan.RESTAPIKeyID, plan.RESTAPIKeyValue = types.StringNull(), types.StringNull()
		if diags = r.ensureRESTAPIKey(ctx, plan); diags.HasError() {
			return diags
		}
	} else if plan.restAPIKeyRequired() && throttled {
		if diags = r.updateUsagePlanThrottling(ctx, plan); diags.HasError() {
			return diags
		}
	}
	if !plan.RESTAuthorization.Equal(state.RESTAuthorization) || !plan.RESTAPIKeyRequired.Equal(state.RESTAPIKeyRequired) {
		root, err := r.restRoot(ctx, api)
		if awsFailed(&diags, err, "apigateway:GetResources (the REST API's root)", restFix) {
			return diags
		}
		ops := []resttypes.PatchOperation{
			{Op: resttypes.OpReplace, Path: aws.String("/authorizationType"), Value: plan.RESTAuthorization.ValueStringPointer()},
			{Op: resttypes.OpReplace, Path: aws.String("/apiKeyRequired"), Value: aws.String(strconv.FormatBool(plan.RESTAPIKeyRequired.ValueBool()))},
		}
		if cognito {
			ops = append(ops, resttypes.PatchOperation{Op: resttypes.OpReplace, Path: aws.String("/authorizerId"), Value: authorizerID})
		} else if authorizer != nil {
			ops = append(ops, resttypes.PatchOperation{Op: resttypes.OpReplace, Path: aws.String("/authorizerId"), Value: aws.String("")})
		}
		for _, method := range restAuthorizedMethods {
			if _, err := r.clients.APIGateway.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api, ResourceId: root,
				HttpMethod: aws.String(method), PatchOperations: ops}); err != nil {
				diags.Append(diagnostics.AttributeAWSCall(pathRESTAuthorization, "apigateway:UpdateMethod ("+method+" /)", err, restFix))
				return diags
			}
		}
		if _, err := r.clients.APIGateway.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api, StageName: aws.String(restStage),
			Description: aws.String("securestream: methods' authorization changed")}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:CreateDeployment (stage "+restStage+", for the methods' new authorization)", err, restFix))
			return diags
		}
	}
	if adminChanged(plan, state) { // before an authorizer their methods may name is deleted
		if diags = r.updateAdmin(ctx, plan); diags.HasError() {
			return diags
		}
	}
	if !cognito && authorizer != nil {
		_, err := r.clients.APIGateway.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api, AuthorizerId: authorizer.Id})
		if err != nil && !isA[*resttypes.NotFoundException](err) {
			diags.Append(diagnostics.AWSCall("apigateway:DeleteAuthorizer", err, restFix))
			return diags
		}
	}
	if !plan.restAPIKeyRequired() && (!state.RESTAPIKeyID.IsNull() || state.RESTAPIKeyRequired.ValueBool()) {
		keep := plan.RESTAPIKeyID
		plan.RESTAPIKeyID = state.RESTAPIKeyID
		if diags = r.deleteRESTAPIKey(ctx, plan); diags.HasError() {
			plan.RESTAPIKeyID = keep
			return diags
		}
	}
	return diags
}

// updateUsagePlanThrottling gives the usage plans the stage's throttling.
func (r *issuerResource) updateUsagePlanThrottling(ctx context.Context, m *issuerModel) diag.Diagnostics {
	plans, diags := r.findRESTUsagePlans(ctx, m)
	if diags.HasError() {
		return diags
	}
	ops := []resttypes.PatchOperation{
		{Op: resttypes.OpReplace, Path: aws.String("/throttle/rateLimit"), Value: aws.String(strconv.FormatFloat(m.ThrottleRateLimit.ValueFloat64(), 'f', -1, 64))},
		{Op: resttypes.OpReplace, Path: aws.String("/throttle/burstLimit"), Value: aws.String(strconv.FormatInt(m.ThrottleBurstLimit.ValueInt64(), 10))},
	}
	for _, p := range plans {
		if _, err := r.clients.APIGateway.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: p.Id, PatchOperations: ops}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:UpdateUsagePlan (throttling)", err, restKeyFix))
			return diags
		}
	}
	return diags
}

// restRoot is the id of the API's "/" resource.
func (r *issuerResource) restRoot(ctx context.Context, api *string) (*string, error) {
	out, err := r.clients.APIGateway.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api})
	if err != nil {
		return nil, err
	}
	for _, res := range out.Items {
		if aws.ToString(res.Path) == "/" {
			return res.Id, nil
		}
	}
	return nil, errors.New("the REST API has no root resource")
}

// updateRESTThrottling sets the stage's throttling for every method.
func (r *issuerResource) updateRESTThrottling(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	ops := []resttypes.PatchOperation{
		{Op: resttypes.OpReplace, Path: aws.String("/" + restAllMethods + "/throttling/rateLimit"),
			Value: aws.String(strconv.FormatFloat(m.ThrottleRateLimit.ValueFloat64(), 'f', -1, 64))},
		{Op: resttypes.OpReplace, Path: aws.String("/" + restAllMethods + "/throttling/burstLimit"),
			Value: aws.String(strconv.FormatInt(m.ThrottleBurstLimit.ValueInt64(), 10))},
	}
	if _, err := r.clients.APIGateway.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: m.APIID.ValueStringPointer(),
		StageName: aws.String(restStage), PatchOperations: ops}); err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:UpdateStage (throttling of stage "+restStage+")", err, restFix))
	}
	return diags
}

func (r *issuerResource) deleteRESTAPI(ctx context.Context, apiID string) diag.Diagnostics {
	var diags diag.Diagnostics
	_, err := r.clients.APIGateway.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: aws.String(apiID)})
	if err != nil && !isA[*resttypes.NotFoundException](err) {
		// moto answers a 500 for an API that is gone (AWS: NotFound).
		if _, gerr := r.clients.APIGateway.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)}); isA[*resttypes.NotFoundException](gerr) {
			return nil
		}
		diags.Append(diagnostics.AWSCall("apigateway:DeleteRestApi", err, "The provider's credentials need apigateway:DELETE on the REST API."))
	}
	return diags
}

// findRESTAPIFix is the fix of a findRESTAPI that failed.
const findRESTAPIFix = "The provider's credentials need apigateway:GET on /restapis."

// findRESTAPI finds the issuer's REST API by its tag (import).
func (r *issuerResource) findRESTAPI(ctx context.Context, function string) (*string, error) {
	p := apigateway.NewGetRestApisPaginator(r.clients.APIGateway, &apigateway.GetRestApisInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Items {
			if a.Tags[issuerTag] == function {
				return a.Id, nil
			}
		}
	}
	return nil, nil
}

// restInvokeURL is the invoke URL of the issuer's REST API (its stage);
// the securestream_issuer data source shares it.
func restInvokeURL(apiID, region string) string {
	return fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s/", apiID, region, restStage)
}

// readRESTAPI reads the invoke URL and the stage's throttling into m.
func (r *issuerResource) readRESTAPI(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	st, err := r.clients.APIGateway.GetStage(ctx, &apigateway.GetStageInput{RestApiId: m.APIID.ValueStringPointer(), StageName: aws.String(restStage)})
	if isA[*resttypes.NotFoundException](err) { // deleted outside Terraform: ModifyPlan replaces the issuer
		m.APIID, m.InvokeURL = types.StringNull(), types.StringNull()
		return nil
	}
	if awsFailed(&diags, err, "apigateway:GetStage", "The provider's credentials need apigateway:GET on the REST API.") {
		return diags
	}
	m.StageName = types.StringValue(restStage)
	m.InvokeURL = types.StringValue(restInvokeURL(m.APIID.ValueString(), r.clients.Config.Region))
	m.AccessLog = types.ObjectNull(accessLogTypes)
	if s := st.AccessLogSettings; s != nil {
		m.AccessLog = accessLogValue(s.DestinationArn, s.Format)
	}
	if s, ok := st.MethodSettings[restAllMethods]; ok {
		m.ThrottleRateLimit, m.ThrottleBurstLimit = types.Float64Value(s.ThrottlingRateLimit), types.Int64Value(int64(s.ThrottlingBurstLimit))
	}
	if diags.Append(r.readRESTMethods(ctx, m)...); diags.HasError() {
		return diags
	}
	return r.readRESTAPIKey(ctx, m)
}

// readRESTMethods reads the authorization of GET and POST, and the
// authorizer's user pools, into m. Methods that disagree (one changed
// outside Terraform) read as a value no configuration has, so that the
// plan sets both again.
func (r *issuerResource) readRESTMethods(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	api := m.APIID.ValueStringPointer()
	root, err := r.restRoot(ctx, api)
	if awsFailed(&diags, err, "apigateway:GetResources (the REST API's root)", restFix) {
		return diags
	}
	var auth, authorizer []string
	var keyRequired []bool
	for _, method := range restAuthorizedMethods {
		out, err := r.clients.APIGateway.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String(method)})
		switch {
		case isA[*resttypes.NotFoundException](err):
			out = &apigateway.GetMethodOutput{AuthorizationType: aws.String("missing")}
		case err != nil:
			diags.Append(diagnostics.AWSCall("apigateway:GetMethod ("+method+" /)", err, "The provider's credentials need apigateway:GET on the REST API."))
			return diags
		}
		auth, keyRequired = append(auth, aws.ToString(out.AuthorizationType)), append(keyRequired, aws.ToBool(out.ApiKeyRequired))
		authorizer = append(authorizer, aws.ToString(out.AuthorizerId))
	}
	m.RESTAuthorization = types.StringValue(auth[0])
	if auth[0] != auth[1] || authorizer[0] != authorizer[1] {
		m.RESTAuthorization = types.StringValue(fmt.Sprintf("GET %s (authorizer %q), POST %s (authorizer %q)", auth[0], authorizer[0], auth[1], authorizer[1]))
	}
	m.RESTAPIKeyRequired = types.BoolValue(keyRequired[0])
	if keyRequired[0] != keyRequired[1] { // read as the opposite of the state, so that the plan changes it
		m.RESTAPIKeyRequired = types.BoolValue(!m.RESTAPIKeyRequired.ValueBool())
	}
	m.RESTCognitoPoolARNs = types.SetNull(types.StringType)
	if authorizer[0] == "" {
		return diags
	}
	a, err := r.clients.APIGateway.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: api, AuthorizerId: aws.String(authorizer[0])})
	if awsFailed(&diags, err, "apigateway:GetAuthorizer", "The provider's credentials need apigateway:GET on the REST API.") {
		return diags
	}
	var vs []attr.Value
	for _, arn := range a.ProviderARNs {
		vs = append(vs, types.StringValue(arn))
	}
	m.RESTCognitoPoolARNs = types.SetValueMust(types.StringType, vs)
	return diags
}

// readRESTAPIKey reads the API key: the one in the issuer's usage plan,
// else the one in the state if it still exists (a create that failed
// before the plan), with its value.
func (r *issuerResource) readRESTAPIKey(ctx context.Context, m *issuerModel) diag.Diagnostics {
	plans, diags := r.findRESTUsagePlans(ctx, m)
	if diags.HasError() {
		return diags
	}
	id := m.RESTAPIKeyID.ValueString()
	for _, p := range plans {
		keys, err := r.usagePlanKeys(ctx, p.Id)
		if awsFailed(&diags, err, "apigateway:GetUsagePlanKeys", restKeyFix) {
			return diags
		}
		if len(keys) > 0 && !slices.Contains(keys, id) {
			id = keys[0]
		}
	}
	m.RESTAPIKeyID, m.RESTAPIKeyValue = types.StringNull(), types.StringNull()
	if id == "" {
		return diags
	}
	key, err := r.clients.APIGateway.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(id), IncludeValue: aws.Bool(true)})
	if isA[*resttypes.NotFoundException](err) {
		return diags
	}
	if awsFailed(&diags, err, "apigateway:GetApiKey", restKeyFix) {
		return diags
	}
	m.RESTAPIKeyID, m.RESTAPIKeyValue = types.StringPointerValue(key.Id), types.StringPointerValue(key.Value)
	return diags
}
