package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// The issuer behind an HTTP API (API Gateway v2): its Lambda integration,
// routes, JWT authorizer and $default stage.

const defaultStage = "$default"

// issuerRoutes are the methods the issuer answers (see the issuer guide).
var issuerRoutes = []string{"GET /", "POST /", "OPTIONS /"}

// createHTTPAPI creates the API, its Lambda integration (payload 2.0), the
// optional JWT authorizer, the routes and the auto-deployed $default
// stage, saving each id in m as it goes.
func (r *issuerResource) createHTTPAPI(ctx context.Context, m *issuerModel, cors []string) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	fix := "The provider's credentials need apigateway:POST on /apis and its children, and apigateway:TagResource."
	api, err := r.clients.APIGatewayV2.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(fn), ProtocolType: apitypes.ProtocolTypeHttp,
		CorsConfiguration: corsConfig(cors), Tags: r.tags(m), Description: aws.String(apiDescription(m))})
	if awsFailed(&diags, err, "apigateway:CreateApi (step 4 of the issuer: its HTTP API)", fix) {
		return diags
	}
	m.APIID, m.InvokeURL = types.StringPointerValue(api.ApiId), types.StringValue(aws.ToString(api.ApiEndpoint)+"/")
	integ, err := r.clients.APIGatewayV2.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: api.ApiId,
		IntegrationType: apitypes.IntegrationTypeAwsProxy, IntegrationUri: m.FunctionARN.ValueStringPointer(), PayloadFormatVersion: aws.String("2.0")})
	if awsFailed(&diags, err, "apigateway:CreateIntegration (the HTTP API's Lambda integration)", fix) {
		return diags
	}
	var authorizerID *string
	if a := m.authorizer(); a != nil {
		out, err := r.clients.APIGatewayV2.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: api.ApiId, Name: aws.String(fn),
			AuthorizerType: apitypes.AuthorizerTypeJwt, IdentitySource: []string{"$request.header.Authorization"}, JwtConfiguration: a})
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(pathJWTAuthorizer, "apigateway:CreateAuthorizer (the HTTP API's JWT authorizer)", err, fix))
			return diags
		}
		authorizerID = out.AuthorizerId
	}
	for _, key := range issuerRoutes {
		in := &apigatewayv2.CreateRouteInput{ApiId: api.ApiId, RouteKey: aws.String(key), Target: aws.String("integrations/" + aws.ToString(integ.IntegrationId))}
		// Browsers send the CORS preflight without credentials.
		if authorizerID != nil && key != "OPTIONS /" {
			in.AuthorizationType, in.AuthorizerId = apitypes.AuthorizationTypeJwt, authorizerID
		}
		if _, err := r.clients.APIGatewayV2.CreateRoute(ctx, in); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:CreateRoute ("+key+")", err, fix))
			return diags
		}
	}
	for _, d := range adminRouteDrift(nil, adminOf(m), authorizerID != nil, authorizerID, "integrations/"+aws.ToString(integ.IntegrationId)) {
		if diags.Append(r.createRoute(ctx, api.ApiId, d, fix)...); diags.HasError() {
			return diags
		}
	}
	if _, err := r.clients.APIGatewayV2.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: api.ApiId, StageName: aws.String(defaultStage),
		AutoDeploy: aws.Bool(true), DefaultRouteSettings: routeSettings(m), Tags: r.tags(m), AccessLogSettings: httpAccessLog(m)}); err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:CreateStage ($default)", err, fix))
		return diags
	}
	m.StageName = types.StringValue(defaultStage)
	return diags
}

func corsConfig(origins []string) *apitypes.Cors {
	if len(origins) == 0 {
		return nil
	}
	return &apitypes.Cors{AllowOrigins: origins, AllowMethods: corsMethods, AllowHeaders: corsHeaders}
}

func routeSettings(m *issuerModel) *apitypes.RouteSettings {
	return &apitypes.RouteSettings{ThrottlingRateLimit: aws.Float64(m.ThrottleRateLimit.ValueFloat64()),
		ThrottlingBurstLimit: aws.Int32(int32Of(m.ThrottleBurstLimit))}
}

// updateHTTPAPI applies CORS, authorizer, throttling and admin route
// changes.
func (r *issuerResource) updateHTTPAPI(ctx context.Context, plan, state *issuerModel, cors, oldCors []string) diag.Diagnostics {
	var diags diag.Diagnostics
	api := plan.APIID.ValueStringPointer()
	if fmt.Sprint(cors) != fmt.Sprint(oldCors) {
		var err error
		if len(cors) == 0 {
			_, err = r.clients.APIGatewayV2.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: api})
		} else {
			_, err = r.clients.APIGatewayV2.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: api, CorsConfiguration: corsConfig(cors)})
		}
		if awsFailed(&diags, err, "apigateway:UpdateApi (CORS)", "The provider's credentials need apigateway:PATCH and apigateway:DELETE on the API.") {
			return diags
		}
	}
	if a := plan.authorizer(); a != nil && !plan.JWTAuthorizer.Equal(state.JWTAuthorizer) {
		id, err := r.authorizerID(ctx, api)
		if err == nil && id == nil {
			err = errors.New("the API has no authorizer: it was removed outside Terraform; replace the issuer (terraform apply -replace)")
		}
		if err == nil {
			_, err = r.clients.APIGatewayV2.UpdateAuthorizer(ctx, &apigatewayv2.UpdateAuthorizerInput{ApiId: api, AuthorizerId: id, JwtConfiguration: a})
		}
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(pathJWTAuthorizer, "apigateway:UpdateAuthorizer", err, "The provider's credentials need apigateway:GET and apigateway:PATCH on the API."))
			return diags
		}
	}
	if !plan.ThrottleRateLimit.Equal(state.ThrottleRateLimit) || !plan.ThrottleBurstLimit.Equal(state.ThrottleBurstLimit) {
		if _, err := r.clients.APIGatewayV2.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: api, StageName: aws.String(defaultStage),
			DefaultRouteSettings: routeSettings(plan)}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:UpdateStage (throttling)", err, "The provider's credentials need apigateway:PATCH on the API's stages."))
			return diags
		}
	}
	if adminChanged(plan, state) {
		diags.Append(r.updateAdmin(ctx, plan)...)
	}
	return diags
}

// authorizerID finds the authorizer through the routes that use it (which
// moto, unlike GetAuthorizers, serves); nil when there is none.
func (r *issuerResource) authorizerID(ctx context.Context, api *string) (*string, error) {
	out, err := r.clients.APIGatewayV2.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: api})
	if err != nil {
		return nil, err
	}
	for _, rt := range out.Items {
		if aws.ToString(rt.AuthorizerId) != "" {
			return rt.AuthorizerId, nil
		}
	}
	return nil, nil
}

// routeDrift is a route whose authorization is not what the provider
// made: with an authorizer, JWT with it on GET and POST; NONE otherwise,
// and always on OPTIONS (the preflight).
type routeDrift struct {
	id, key        string
	got            string
	want           apitypes.AuthorizationType
	wantAuthorizer *string
	// For the admin routes (issuer_revocation.go): the route's scopes and
	// integration (target); a route missing, or one to delete.
	scopes          []string
	target          string
	missing, remove bool
}

func (d routeDrift) describe() string {
	switch {
	case d.remove:
		return fmt.Sprintf("route %s: present, want none", d.key)
	case d.missing:
		return fmt.Sprintf("route %s: missing, want authorization %s", d.key, d.want)
	}
	return fmt.Sprintf("route %s: authorization %s, want %s", d.key, d.got, d.want)
}

// createRoute makes the route d is about, with its authorization.
func (r *issuerResource) createRoute(ctx context.Context, api *string, d routeDrift, fix string) diag.Diagnostics {
	var diags diag.Diagnostics
	in := &apigatewayv2.CreateRouteInput{ApiId: api, RouteKey: aws.String(d.key), Target: aws.String(d.target),
		AuthorizationType: d.want, AuthorizerId: d.wantAuthorizer, AuthorizationScopes: d.scopes}
	if _, err := r.clients.APIGatewayV2.CreateRoute(ctx, in); err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:CreateRoute ("+d.key+")", err, fix))
	}
	return diags
}

// inspectRoutes reads the authorization of every route (not only the
// first with an authorizer: one route switched to NONE outside Terraform
// would mint for anyone). jwt says whether the issuer has an authorizer;
// its id is the one the routes name. admin says which admin routes there
// should be (adminRouteDrift).
func (r *issuerResource) inspectRoutes(ctx context.Context, api *string, jwt bool, admin adminAccess) ([]routeDrift, error) {
	var routes []apitypes.Route
	in := &apigatewayv2.GetRoutesInput{ApiId: api}
	for {
		out, err := r.clients.APIGatewayV2.GetRoutes(ctx, in)
		if err != nil {
			return nil, err
		}
		routes = append(routes, out.Items...)
		if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
			break
		}
	}
	var authorizer *string
	for _, rt := range routes {
		if aws.ToString(rt.AuthorizerId) != "" {
			authorizer = rt.AuthorizerId
			break
		}
	}
	var drift []routeDrift
	target := ""
	for _, rt := range routes {
		key := aws.ToString(rt.RouteKey)
		if !slices.Contains(issuerRoutes, key) {
			continue
		}
		if target == "" {
			target = aws.ToString(rt.Target)
		}
		want, wantID := apitypes.AuthorizationTypeNone, (*string)(nil)
		if jwt && key != "OPTIONS /" {
			want, wantID = apitypes.AuthorizationTypeJwt, authorizer
		}
		got := rt.AuthorizationType
		if got == "" {
			got = apitypes.AuthorizationTypeNone
		}
		if got == want && (want != apitypes.AuthorizationTypeJwt || aws.ToString(rt.AuthorizerId) == aws.ToString(wantID)) {
			continue
		}
		desc := string(got)
		if got == apitypes.AuthorizationTypeJwt || got == apitypes.AuthorizationTypeCustom {
			desc += " (authorizer " + aws.ToString(rt.AuthorizerId) + ")"
		}
		drift = append(drift, routeDrift{id: aws.ToString(rt.RouteId), key: key, got: desc, want: want, wantAuthorizer: wantID})
	}
	drift = append(drift, adminRouteDrift(routes, admin, jwt, authorizer, target)...)
	slices.SortFunc(drift, func(a, b routeDrift) int { return strings.Compare(a.key, b.key) })
	return drift, nil
}

// repairRoutes puts each route's authorization back.
func (r *issuerResource) repairRoutes(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	api := m.APIID.ValueStringPointer()
	fix := "The provider's credentials need apigateway:GET and apigateway:PATCH on the API's routes."
	drift, err := r.inspectRoutes(ctx, api, m.authorizer() != nil, adminOf(m))
	if awsFailed(&diags, err, "apigateway:GetRoutes (repairing the routes' authorization)", fix) {
		return diags
	}
	for _, d := range drift {
		if slices.Contains(adminRouteKeys, d.key) {
			// An admin route authorised otherwise is made again: its
			// scopes would otherwise have to be emptied first.
			if !d.missing {
				_, err := r.clients.APIGatewayV2.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: api, RouteId: aws.String(d.id)})
				if err != nil && !isA[*apitypes.NotFoundException](err) {
					diags.Append(diagnostics.AWSCall("apigateway:DeleteRoute ("+d.key+")", err, "The provider's credentials need apigateway:DELETE on the API's routes."))
					return diags
				}
			}
			if d.remove {
				continue
			}
			if d.target == "" || (d.want == apitypes.AuthorizationTypeJwt && d.wantAuthorizer == nil) {
				diags.AddError("The admin route cannot be made",
					fmt.Sprintf("No route of the API %s names the issuer's integration or authorizer any more (changed outside Terraform), so %s cannot be made. "+
						"Replace the issuer: terraform apply -replace=<address of this securestream_issuer>.", m.APIID.ValueString(), d.key))
				return diags
			}
			if diags.Append(r.createRoute(ctx, api, d, "The provider's credentials need apigateway:POST on the API's routes.")...); diags.HasError() {
				return diags
			}
			continue
		}
		if d.want == apitypes.AuthorizationTypeJwt && d.wantAuthorizer == nil {
			diags.AddAttributeError(pathJWTAuthorizer, "The HTTP API's authorizer is gone",
				fmt.Sprintf("No route of the API %s names an authorizer any more (changed outside Terraform), so %s cannot be put back. "+
					"Replace the issuer: terraform apply -replace=<address of this securestream_issuer>.", m.APIID.ValueString(), d.key))
			return diags
		}
		in := &apigatewayv2.UpdateRouteInput{ApiId: api, RouteId: aws.String(d.id), AuthorizationType: d.want, AuthorizerId: d.wantAuthorizer}
		if _, err := r.clients.APIGatewayV2.UpdateRoute(ctx, in); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:UpdateRoute ("+d.key+": authorization "+string(d.want)+")", err, fix))
			return diags
		}
	}
	return diags
}

func (r *issuerResource) deleteHTTPAPI(ctx context.Context, apiID string) diag.Diagnostics {
	var diags diag.Diagnostics
	_, err := r.clients.APIGatewayV2.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: aws.String(apiID)})
	if err != nil && !isA[*apitypes.NotFoundException](err) {
		diags.Append(diagnostics.AWSCall("apigateway:DeleteApi", err, "The provider's credentials need apigateway:DELETE on the API."))
	}
	return diags
}

// findHTTPAPIFix is the fix of a findHTTPAPI that failed.
const findHTTPAPIFix = "The provider's credentials need apigateway:GET on /apis."

// findHTTPAPI finds the issuer's API by its tag (import).
func (r *issuerResource) findHTTPAPI(ctx context.Context, function string) (*apitypes.Api, error) {
	var next *string
	for {
		out, err := r.clients.APIGatewayV2.GetApis(ctx, &apigatewayv2.GetApisInput{NextToken: next})
		if err != nil {
			return nil, err
		}
		for _, a := range out.Items {
			if a.Tags[issuerTag] == function {
				return &a, nil
			}
		}
		if next = out.NextToken; next == nil {
			return nil, nil
		}
	}
}
