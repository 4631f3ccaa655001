package provider

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// Revocation (issue 23): with settings.revocation_kvs_arn the issuer's
// role may read and write that one KeyValueStore, and with admin_scope or
// admin_iam too, the API in front gets the admin routes, POST and DELETE
// /revocations/{session_id}, to the same function. A function URL passes
// every path to the function as it is: it needs nothing.

// Settings (issuer_settings.go) this file reads.
const (
	settingRevocationStore = "revocation_kvs_arn"
	settingAdminScope      = "admin_scope"
	settingAdminIAM        = "admin_iam"
)

// kvsActions are what the issuer calls on its store: the ETag, a lookup
// before it mints, the pruning scan and the write.
var kvsActions = []string{"cloudfront-keyvaluestore:DescribeKeyValueStore", "cloudfront-keyvaluestore:GetKey",
	"cloudfront-keyvaluestore:ListKeys", "cloudfront-keyvaluestore:UpdateKeys"}

// kvsStatement lets the role use the store arn, and nothing else.
func kvsStatement(arn string) map[string]any {
	return map[string]any{"Sid": "KeepItsRevocations", "Effect": "Allow", "Action": kvsActions, "Resource": arn}
}

// revocationStore is settings.revocation_kvs_arn, "" when unset or unknown.
func revocationStore(settings types.Object) string {
	return settingText(settings, settingRevocationStore)
}

// settingBool is a known bool setting, false when unset or unknown.
func settingBool(settings types.Object, name string) bool {
	if settings.IsNull() || settings.IsUnknown() {
		return false
	}
	v, _ := settings.Attributes()[name].(types.Bool)
	return v.ValueBool()
}

// adminAccess is how the admin routes are authorised; the zero value is
// no admin routes (the issuer answers them 404 then, as it does without a
// store or without a way to tell an admin).
type adminAccess struct {
	on    bool
	iam   bool   // AWS_IAM on the routes
	scope string // the JWT scope, when not iam
}

func adminOf(m *issuerModel) adminAccess {
	scope, iam := settingText(m.Settings, settingAdminScope), settingBool(m.Settings, settingAdminIAM)
	if revocationStore(m.Settings) == "" || (scope == "" && !iam) {
		return adminAccess{}
	}
	if iam { // a route has one authorization: a scope alone could not pass it
		return adminAccess{on: true, iam: true}
	}
	return adminAccess{on: true, scope: scope}
}

// adminRouteKeys are the HTTP API's admin routes; adminResourcePath and
// adminMethods the REST API's.
var (
	adminRouteKeys = []string{"POST /revocations/{session_id}", "DELETE /revocations/{session_id}"}
	adminMethods   = []string{"POST", "DELETE"}
)

const (
	adminParentPart   = "revocations"
	adminResourcePart = "{session_id}"
	adminResourcePath = "/" + adminParentPart + "/" + adminResourcePart
)

// httpAdminAuth is an HTTP API admin route's authorization: AWS_IAM with
// admin_iam; else with an authorizer, JWT with the admin scope as the
// route's scope (API Gateway checks it before the issuer does); else
// NONE, the issuer checking the token itself (settings.auth = "jwt").
func httpAdminAuth(a adminAccess, jwt bool) (apitypes.AuthorizationType, []string) {
	switch {
	case a.iam:
		return apitypes.AuthorizationTypeAwsIam, nil
	case jwt:
		return apitypes.AuthorizationTypeJwt, []string{a.scope}
	}
	return apitypes.AuthorizationTypeNone, nil
}

// adminChanged says whether the admin routes must be made, changed or
// removed by an update: their access changed, or what they follow
// without admin_iam (the HTTP API's authorizer, the REST API's
// rest_authorization).
func adminChanged(plan, state *issuerModel) bool {
	p, s := adminOf(plan), adminOf(state)
	if p != s {
		return true
	}
	return p.on && !p.iam && ((plan.authorizer() == nil) != (state.authorizer() == nil) || !plan.RESTAuthorization.Equal(state.RESTAuthorization))
}

// validateRevocation checks at plan what only the provider knows: the
// API's authorization against admin_iam. (The settings the issuer
// refuses, an admin setting without a store or admin_scope with auth =
// "none", config.Validate reports through ValidateConfig.)
func validateRevocation(m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.APIType.IsUnknown() || m.Settings.IsUnknown() || revocationStore(m.Settings) == "" {
		return nil
	}
	iam, scope := settingBool(m.Settings, settingAdminIAM), settingText(m.Settings, settingAdminScope)
	at := path.Root("settings").AtName(settingAdminIAM)
	switch t := m.APIType.ValueString(); {
	case t == apiTypeFunctionURL && iam && !m.FunctionURLAuthType.IsUnknown() && m.FunctionURLAuthType.ValueString() != "AWS_IAM":
		msg := "settings.admin_iam = true lets an IAM identity the function URL verified use the admin routes, but with " +
			"function_url_auth_type = \"NONE\" the URL verifies none: set function_url_auth_type = \"AWS_IAM\" (every caller then signs " +
			"with SigV4), or use settings.admin_scope instead."
		if scope == "" {
			diags.AddAttributeError(at, "Nobody could use the admin routes", msg)
		} else {
			diags.AddAttributeWarning(at, "settings.admin_iam does nothing here", msg)
		}
	case t != apiTypeFunctionURL && iam && scope != "":
		diags.AddAttributeWarning(path.Root("settings").AtName(settingAdminScope), "settings.admin_scope does not reach the API's admin routes",
			"With settings.admin_iam = true the API's admin routes take AWS_IAM authorization, so a request with a token and no SigV4 "+
				"signature is refused before the issuer sees it. Remove settings.admin_scope, or settings.admin_iam to authorise admins by their token.")
	}
	return diags
}

// restIntegrationURI is the Lambda proxy integration's URI of the REST
// API's methods.
func (r *issuerResource) restIntegrationURI(m *issuerModel) string {
	partition, _ := accountOf(m.FunctionARN.ValueString())
	return fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", partition, r.clients.Config.Region, m.FunctionARN.ValueString())
}

// restAdminResources are the REST API's resources, with their methods.
func (r *issuerResource) restAdminResources(ctx context.Context, api *string) (map[string]resttypes.Resource, error) {
	out := map[string]resttypes.Resource{}
	p := apigateway.NewGetResourcesPaginator(r.clients.APIGateway, &apigateway.GetResourcesInput{RestApiId: api, Embed: []string{"methods"}, Limit: aws.Int32(500)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, res := range page.Items {
			out[aws.ToString(res.Path)] = res
		}
	}
	return out, nil
}

// restAdminAuth is a REST admin method's authorization: AWS_IAM with
// admin_iam, else rest_authorization's (the issuer checks the scope).
// The API key is for the players' usage plan: never on these.
func (r *issuerResource) restAdminAuth(ctx context.Context, m *issuerModel) (string, *string, error) {
	a := adminOf(m)
	if a.iam {
		return restAuthIAM, nil, nil
	}
	auth := m.RESTAuthorization.ValueString()
	if auth != restAuthCognito {
		return auth, nil, nil
	}
	authorizer, err := r.findRESTAuthorizer(ctx, m)
	if err != nil || authorizer == nil {
		return auth, nil, err
	}
	return auth, authorizer.Id, nil
}

// inspectRESTAdmin says what of the REST API's admin methods is not as
// the provider makes them (drift): only asked when the admin routes are
// on, so that an issuer without them makes no more calls.
func (r *issuerResource) inspectRESTAdmin(ctx context.Context, m *issuerModel) ([]string, error) {
	if !adminOf(m).on {
		return nil, nil
	}
	resources, err := r.restAdminResources(ctx, m.APIID.ValueStringPointer())
	if err != nil {
		return nil, err
	}
	auth, authorizer, err := r.restAdminAuth(ctx, m)
	if err != nil {
		return nil, err
	}
	// GET and POST / that disagree read as a rest_authorization no
	// configuration has (readRESTMethods): that drift is shown there.
	known := slices.Contains([]string{restAuthNone, restAuthIAM, restAuthCognito}, auth)
	res, ok := resources[adminResourcePath]
	if !ok {
		return []string{"rest: resource " + adminResourcePath + " missing"}, nil
	}
	var drift []string
	for _, method := range adminMethods {
		got, ok := res.ResourceMethods[method]
		switch {
		case !ok:
			drift = append(drift, "rest: "+method+" "+adminResourcePath+" missing")
		case known && (aws.ToString(got.AuthorizationType) != auth || aws.ToString(got.AuthorizerId) != aws.ToString(authorizer)):
			drift = append(drift, fmt.Sprintf("rest: %s %s: authorization %s, want %s", method, adminResourcePath, aws.ToString(got.AuthorizationType), auth))
		}
	}
	return drift, nil
}

// syncRESTAdmin makes the REST API's admin resources and methods as m
// wants them, or removes them (the child first: moto 5 leaves a child
// of a deleted resource behind, and then fails GetResources on the
// whole API); changed says whether the stage must be deployed again.
func (r *issuerResource) syncRESTAdmin(ctx context.Context, m *issuerModel) (changed bool, diags diag.Diagnostics) {
	api := m.APIID.ValueStringPointer()
	resources, err := r.restAdminResources(ctx, api)
	if awsFailed(&diags, err, "apigateway:GetResources (the REST API's admin routes)", restFix) {
		return false, diags
	}
	parent, hasParent := resources["/"+adminParentPart]
	if !adminOf(m).on {
		for _, p := range []string{adminResourcePath, "/" + adminParentPart} {
			res, ok := resources[p]
			if !ok {
				continue
			}
			_, err := r.clients.APIGateway.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: api, ResourceId: res.Id})
			if err != nil && !isA[*resttypes.NotFoundException](err) {
				diags.Append(diagnostics.AWSCall("apigateway:DeleteResource ("+p+", the admin routes)", err, restFix))
				return changed, diags
			}
			changed = true
		}
		return changed, diags
	}
	auth, authorizer, err := r.restAdminAuth(ctx, m)
	if awsFailed(&diags, err, "apigateway:GetAuthorizers", restFix) {
		return false, diags
	}
	if !hasParent {
		out, err := r.clients.APIGateway.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api, ParentId: resources["/"].Id, PathPart: aws.String(adminParentPart)})
		if awsFailed(&diags, err, "apigateway:CreateResource (/"+adminParentPart+")", restFix) {
			return false, diags
		}
		parent, changed = resttypes.Resource{Id: out.Id}, true
	}
	res, ok := resources[adminResourcePath]
	if !ok {
		out, err := r.clients.APIGateway.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api, ParentId: parent.Id, PathPart: aws.String(adminResourcePart)})
		if awsFailed(&diags, err, "apigateway:CreateResource ("+adminResourcePath+")", restFix) {
			return changed, diags
		}
		res, changed = resttypes.Resource{Id: out.Id}, true
	}
	for _, method := range adminMethods {
		got, ok := res.ResourceMethods[method]
		call := method + " " + adminResourcePath
		if ok && (aws.ToString(got.AuthorizationType) != auth || aws.ToString(got.AuthorizerId) != aws.ToString(authorizer)) {
			// Made again rather than patched: the method holds nothing
			// but its authorization and integration (and moto 5 has no
			// UpdateMethod).
			_, err := r.clients.APIGateway.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String(method)})
			if err != nil && !isA[*resttypes.NotFoundException](err) {
				diags.Append(diagnostics.AWSCall("apigateway:DeleteMethod ("+call+", to set its authorization "+auth+")", err, restFix))
				return changed, diags
			}
			ok, changed = false, true
		}
		if !ok {
			if _, err := r.clients.APIGateway.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String(method),
				AuthorizationType: aws.String(auth), AuthorizerId: authorizer}); err != nil {
				diags.Append(diagnostics.AWSCall("apigateway:PutMethod ("+call+")", err, restFix))
				return changed, diags
			}
			changed = true
		} else if got.MethodIntegration != nil {
			continue
		}
		if _, err := r.clients.APIGateway.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String(method),
			Type: resttypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(r.restIntegrationURI(m))}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:PutIntegration ("+call+")", err, restFix))
			return changed, diags
		}
		changed = true
	}
	return changed, diags
}

// updateAdmin brings the admin routes to the plan (an update that changed
// them, or drift): the HTTP API's through repairRoutes, the REST API's
// through syncRESTAdmin and a new deployment.
func (r *issuerResource) updateAdmin(ctx context.Context, m *issuerModel) diag.Diagnostics {
	if m.APIID.IsNull() || m.APIID.IsUnknown() {
		return nil
	}
	switch m.APIType.ValueString() {
	case apiTypeHTTP:
		return r.repairRoutes(ctx, m)
	case apiTypeREST:
		changed, diags := r.syncRESTAdmin(ctx, m)
		if diags.HasError() || !changed {
			return diags
		}
		// Deployed, then the stage pointed at it: a deployment that names
		// the stage makes moto 5 make the stage anew, without its
		// throttling, access log and tracing.
		api := m.APIID.ValueStringPointer()
		out, err := r.clients.APIGateway.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api,
			Description: aws.String("securestream: admin routes changed")})
		if awsFailed(&diags, err, "apigateway:CreateDeployment (for the admin routes)", restFix) {
			return diags
		}
		_, err = r.clients.APIGateway.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api, StageName: aws.String(restStage),
			PatchOperations: []resttypes.PatchOperation{{Op: resttypes.OpReplace, Path: aws.String("/deploymentId"), Value: out.Id}}})
		awsFailed(&diags, err, "apigateway:UpdateStage (stage "+restStage+" to the deployment with the admin routes)", restFix)
		return diags
	}
	return nil
}

// adminRouteDrift is the part of inspectRoutes about the admin routes:
// each one missing (while on), left (while off), or authorised otherwise.
// target is the issuer's integration, for a route to be made again.
func adminRouteDrift(routes []apitypes.Route, a adminAccess, jwt bool, authorizer *string, target string) []routeDrift {
	var drift []routeDrift
	want, scopes := httpAdminAuth(a, jwt)
	for _, key := range adminRouteKeys {
		i := slices.IndexFunc(routes, func(rt apitypes.Route) bool { return aws.ToString(rt.RouteKey) == key })
		switch {
		case i < 0 && a.on:
			drift = append(drift, routeDrift{key: key, got: "missing", want: want, wantAuthorizer: authorizerFor(want, authorizer), scopes: scopes, target: target, missing: true})
		case i < 0:
		case !a.on:
			drift = append(drift, routeDrift{id: aws.ToString(routes[i].RouteId), key: key, got: "present", remove: true})
		default:
			rt := routes[i]
			got := rt.AuthorizationType
			if got == "" {
				got = apitypes.AuthorizationTypeNone
			}
			wantID := authorizerFor(want, authorizer)
			if got == want && aws.ToString(rt.AuthorizerId) == aws.ToString(wantID) && slices.Equal(rt.AuthorizationScopes, scopes) {
				continue
			}
			desc := string(got)
			if len(rt.AuthorizationScopes) > 0 {
				desc += fmt.Sprintf(" (scopes %v)", rt.AuthorizationScopes)
			}
			drift = append(drift, routeDrift{id: aws.ToString(rt.RouteId), key: key, got: desc, want: want, wantAuthorizer: wantID, scopes: scopes, target: target})
		}
	}
	return drift
}

func authorizerFor(t apitypes.AuthorizationType, authorizer *string) *string {
	if t == apitypes.AuthorizationTypeJwt {
		return authorizer
	}
	return nil
}
