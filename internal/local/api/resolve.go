package api

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// resolve finds what serves method and path, reading moto each time so
// that what Terraform changes applies at once.
func (s *Server) resolve(ctx context.Context, method, path string) (*target, error) {
	first, rest := split(path)
	switch first {
	case "":
		return nil, missing("the path names no API: use /<api id>/<stage>/<path> for API Gateway or /fn/<function name>/<path> for a function URL")
	case "fn":
		return s.resolveFunctionURL(ctx, rest)
	}
	api, err := s.httpAPIs.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(first)})
	if err == nil {
		return s.resolveHTTPAPI(ctx, aws.ToString(api.ApiId), method, rest)
	}
	if !isNotFound(err) {
		return nil, fmt.Errorf("apigatewayv2 GetApi %s: %w", first, err)
	}
	if _, err := s.restAPIs.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(first)}); err == nil {
		return s.resolveRESTAPI(ctx, first, method, rest)
	} else if !isNotFound(err) {
		return nil, fmt.Errorf("apigateway GetRestApi %s: %w", first, err)
	}
	return nil, missing("no HTTP API or REST API has the id %q in moto at %s: the path starts with the API's id (terraform output, or aws apigatewayv2 get-apis)", first, s.opts.Endpoint)
}

func (s *Server) resolveFunctionURL(ctx context.Context, rest string) (*target, error) {
	name, path := split(rest)
	cfg, err := s.lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		return nil, missing("function %q has no function URL in moto (or does not exist): /fn/<name>/ serves functions with a URL; call an API's functions through /<api id>/<stage>/", name)
	}
	if err != nil {
		return nil, fmt.Errorf("lambda GetFunctionUrlConfig %s: %w", name, err)
	}
	id := name
	if u, err := url.Parse(aws.ToString(cfg.FunctionUrl)); err == nil && u.Host != "" {
		id, _, _ = strings.Cut(u.Host, ".") // <url id>.lambda-url.<region>.on.aws
	}
	t := &target{kind: functionURL, apiID: id, stage: "$default", routeKey: "$default", path: path, function: name, payload: "2.0"}
	t.access, err = s.routeAccess(ctx, t, string(cfg.AuthType), "", nil, false)
	return t, err
}

func (s *Server) resolveHTTPAPI(ctx context.Context, apiID, method, rest string) (*target, error) {
	stages, err := s.httpAPIs.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: aws.String(apiID), MaxResults: aws.String("500")})
	if err != nil {
		return nil, fmt.Errorf("apigatewayv2 GetStages %s: %w", apiID, err)
	}
	first, below := split(rest)
	t := &target{kind: httpAPI, apiID: apiID}
	var names []string
	for _, st := range stages.Items {
		name := aws.ToString(st.StageName)
		names = append(names, name)
		switch {
		case name == first:
			t.stage, t.path = name, below
		case name == "$default" && t.stage == "":
			t.stage, t.path = name, rest
		}
	}
	if t.stage == "" {
		return nil, missing("HTTP API %s has no stage %q and no $default stage (its stages: %s)", apiID, first, list(names))
	}
	routes, err := s.httpAPIs.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(apiID), MaxResults: aws.String("500")})
	if err != nil {
		return nil, fmt.Errorf("apigatewayv2 GetRoutes %s: %w", apiID, err)
	}
	var rs []route
	for _, r := range routes.Items {
		rt := parseRouteKey(aws.ToString(r.RouteKey))
		rt.ref = strings.TrimPrefix(aws.ToString(r.Target), "integrations/")
		rt.authType, rt.authorizer, rt.scopes = string(r.AuthorizationType), aws.ToString(r.AuthorizerId), r.AuthorizationScopes
		rs = append(rs, rt)
	}
	rt, params, err := pick(rs, method, t.path)
	if err != nil {
		return nil, missing("HTTP API %s: %v", apiID, err)
	}
	t.params = params
	t.routeKey = "$default"
	if rt.method != "" {
		t.routeKey = rt.method + " " + rt.template
	}
	if rt.ref == "" {
		return nil, missing("HTTP API %s: route %q has no integration", apiID, t.routeKey)
	}
	in, err := s.httpAPIs.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: aws.String(apiID), IntegrationId: aws.String(rt.ref)})
	if err != nil {
		return nil, fmt.Errorf("apigatewayv2 GetIntegration %s of API %s: %w", rt.ref, apiID, err)
	}
	if t.function, err = functionName(aws.ToString(in.IntegrationUri)); err != nil {
		return nil, fmt.Errorf("HTTP API %s, route %q: %w (only Lambda proxy integrations run locally)", apiID, t.routeKey, err)
	}
	t.payload = aws.ToString(in.PayloadFormatVersion)
	if t.payload == "" {
		t.payload = "2.0"
	}
	if t.access, err = s.routeAccess(ctx, t, rt.authType, rt.authorizer, rt.scopes, false); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Server) resolveRESTAPI(ctx context.Context, apiID, method, rest string) (*target, error) {
	stage, path := split(rest)
	if _, err := s.restAPIs.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)}); isNotFound(err) {
		return nil, missing("REST API %s has no stage %q: the path is /<api id>/<stage>/<resource path>", apiID, stage)
	} else if err != nil {
		return nil, fmt.Errorf("apigateway GetStage %s of %s: %w", stage, apiID, err)
	}
	res, err := s.restAPIs.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Embed: []string{"methods"}, Limit: aws.Int32(500)})
	if err != nil {
		return nil, fmt.Errorf("apigateway GetResources %s: %w", apiID, err)
	}
	var rs []route
	for _, r := range res.Items {
		for m, def := range r.ResourceMethods {
			rs = append(rs, route{method: m, template: aws.ToString(r.Path), ref: aws.ToString(r.Id),
				authType: aws.ToString(def.AuthorizationType), authorizer: aws.ToString(def.AuthorizerId), scopes: def.AuthorizationScopes,
				apiKey: aws.ToBool(def.ApiKeyRequired)})
		}
	}
	rt, params, err := pick(rs, method, path)
	if err != nil {
		return nil, missing("REST API %s: %v", apiID, err)
	}
	in, err := s.restAPIs.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: aws.String(apiID), ResourceId: aws.String(rt.ref), HttpMethod: aws.String(rt.method)})
	if err != nil {
		return nil, fmt.Errorf("apigateway GetIntegration %s %s of %s: %w", rt.method, rt.template, apiID, err)
	}
	if in.Type != "AWS_PROXY" {
		return nil, missing("REST API %s: %s %s integrates %s; only Lambda proxy (AWS_PROXY) integrations run locally", apiID, rt.method, rt.template, in.Type)
	}
	name, err := functionName(aws.ToString(in.Uri))
	if err != nil {
		return nil, fmt.Errorf("REST API %s, %s %s: %w", apiID, rt.method, rt.template, err)
	}
	t := &target{kind: restAPI, apiID: apiID, stage: stage, routeKey: rt.template, path: path, params: params, function: name, payload: "1.0"}
	if t.access, err = s.routeAccess(ctx, t, rt.authType, rt.authorizer, rt.scopes, rt.apiKey); err != nil {
		return nil, err
	}
	return t, nil
}

// isNotFound reports whether err is AWS's answer that a thing does not
// exist, in any of the services' words.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NotFoundException", "ResourceNotFoundException":
		return true
	}
	return false
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
