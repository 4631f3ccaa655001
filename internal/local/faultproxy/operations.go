package faultproxy

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Protocol is an AWS wire protocol; it decides how an operation is named
// on the wire and how an error is answered.
type Protocol int

// The protocols of the services the provider calls.
const (
	// Unknown: the request matched no protocol this package knows.
	Unknown Protocol = iota
	// JSON is awsJson 1.0/1.1 (KMS, CloudWatch Logs): X-Amz-Target names the operation.
	JSON
	// Query is the query protocol (IAM, STS): the Action form field names it.
	Query
	// REST is restJson1 (Lambda, API Gateway): the method and path name it.
	REST
)

// Operation names the AWS operation of r, as "service:Operation"
// (iam:CreateRole, lambda:CreateFunction, apigatewayv2:CreateRoute,
// apigateway:CreateRestApi, logs:CreateLogGroup, kms:Decrypt,
// sts:GetCallerIdentity). form is the request's body when it is a query
// protocol form. A request it cannot name gives "service:METHOD /path", so
// that a test's failure shows what to map.
func Operation(r *http.Request, form []byte) (op string, p Protocol) {
	service := signingService(r)
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, name, _ := strings.Cut(target, ".")
		if service == "" {
			service = targetServices[prefix]
		}
		return service + ":" + name, JSON
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(form)); err == nil && v.Get("Action") != "" {
			return service + ":" + v.Get("Action"), Query
		}
	}
	if service == "apigateway" && strings.HasPrefix(r.URL.Path, "/v2/") {
		service = "apigatewayv2"
	}
	for _, rt := range restRoutes[service] {
		if rt.method == r.Method && rt.path.MatchString(r.URL.EscapedPath()) {
			return service + ":" + rt.op, REST
		}
	}
	if service == "lambda" || strings.HasPrefix(service, "apigateway") {
		return service + ":" + r.Method + " " + r.URL.Path, REST
	}
	return service + ":" + r.Method + " " + r.URL.Path, Unknown
}

// credentialScope finds the service in SigV4's Credential=AKID/date/region/service/aws4_request.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

// signingService is the service the request was signed for: the one
// thing every protocol's requests carry.
func signingService(r *http.Request) string {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

// targetServices names the services of unsigned JSON protocol requests.
var targetServices = map[string]string{
	"TrentService":                     "kms",
	"Logs_20140328":                    "logs",
	"AWSSecurityTokenServiceV20110615": "sts",
}

type restRoute struct {
	method, op string
	path       *regexp.Regexp
}

// routes compiles "METHOD /path/{param} Operation" lines; {param} is one
// path segment.
func routes(lines ...string) []restRoute {
	out := make([]restRoute, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(l)
		segs := strings.Split(f[1], "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = `[^/]+`
			} else {
				segs[i] = regexp.QuoteMeta(s)
			}
		}
		out = append(out, restRoute{method: f[0], op: f[2], path: regexp.MustCompile("^" + strings.Join(segs, "/") + "/?$")})
	}
	return out
}

// restRoutes are the REST operations of the services behind the issuer
// resource; a more specific path comes before a shorter one it extends.
var restRoutes = map[string][]restRoute{
	"lambda": routes(
		"POST /2015-03-31/functions CreateFunction",
		"GET /2015-03-31/functions ListFunctions",
		"GET /2015-03-31/functions/{f} GetFunction",
		"DELETE /2015-03-31/functions/{f} DeleteFunction",
		"GET /2015-03-31/functions/{f}/configuration GetFunctionConfiguration",
		"PUT /2015-03-31/functions/{f}/configuration UpdateFunctionConfiguration",
		"PUT /2015-03-31/functions/{f}/code UpdateFunctionCode",
		"POST /2015-03-31/functions/{f}/policy AddPermission",
		"GET /2015-03-31/functions/{f}/policy GetPolicy",
		"DELETE /2015-03-31/functions/{f}/policy/{sid} RemovePermission",
		"POST /2015-03-31/functions/{f}/versions PublishVersion",
		"GET /2015-03-31/functions/{f}/versions ListVersionsByFunction",
		"POST /2015-03-31/functions/{f}/invocations Invoke",
		"POST /2015-03-31/functions/{f}/aliases CreateAlias",
		"GET /2015-03-31/functions/{f}/aliases/{a} GetAlias",
		"PUT /2015-03-31/functions/{f}/aliases/{a} UpdateAlias",
		"DELETE /2015-03-31/functions/{f}/aliases/{a} DeleteAlias",
		"POST /2021-10-31/functions/{f}/url CreateFunctionUrlConfig",
		"GET /2021-10-31/functions/{f}/url GetFunctionUrlConfig",
		"PUT /2021-10-31/functions/{f}/url UpdateFunctionUrlConfig",
		"DELETE /2021-10-31/functions/{f}/url DeleteFunctionUrlConfig",
		"PUT /2017-10-31/functions/{f}/concurrency PutFunctionConcurrency",
		"DELETE /2017-10-31/functions/{f}/concurrency DeleteFunctionConcurrency",
		"GET /2019-09-30/functions/{f}/concurrency GetFunctionConcurrency",
		"GET /2020-06-30/functions/{f}/code-signing-config GetFunctionCodeSigningConfig",
		"POST /2017-03-31/tags/{arn} TagResource",
		"DELETE /2017-03-31/tags/{arn} UntagResource",
		"GET /2017-03-31/tags/{arn} ListTags",
	),
	"apigatewayv2": routes(
		"POST /v2/apis CreateApi",
		"GET /v2/apis GetApis",
		"GET /v2/apis/{api} GetApi",
		"PATCH /v2/apis/{api} UpdateApi",
		"DELETE /v2/apis/{api} DeleteApi",
		"POST /v2/apis/{api}/integrations CreateIntegration",
		"GET /v2/apis/{api}/integrations GetIntegrations",
		"GET /v2/apis/{api}/integrations/{id} GetIntegration",
		"PATCH /v2/apis/{api}/integrations/{id} UpdateIntegration",
		"DELETE /v2/apis/{api}/integrations/{id} DeleteIntegration",
		"POST /v2/apis/{api}/routes CreateRoute",
		"GET /v2/apis/{api}/routes GetRoutes",
		"GET /v2/apis/{api}/routes/{id} GetRoute",
		"PATCH /v2/apis/{api}/routes/{id} UpdateRoute",
		"DELETE /v2/apis/{api}/routes/{id} DeleteRoute",
		"POST /v2/apis/{api}/stages CreateStage",
		"GET /v2/apis/{api}/stages GetStages",
		"GET /v2/apis/{api}/stages/{id} GetStage",
		"PATCH /v2/apis/{api}/stages/{id} UpdateStage",
		"DELETE /v2/apis/{api}/stages/{id} DeleteStage",
		"POST /v2/apis/{api}/deployments CreateDeployment",
		"GET /v2/apis/{api}/deployments GetDeployments",
		"DELETE /v2/apis/{api}/deployments/{id} DeleteDeployment",
		"POST /v2/apis/{api}/authorizers CreateAuthorizer",
		"GET /v2/apis/{api}/authorizers/{id} GetAuthorizer",
		"PATCH /v2/apis/{api}/authorizers/{id} UpdateAuthorizer",
		"DELETE /v2/apis/{api}/authorizers/{id} DeleteAuthorizer",
		"POST /v2/tags/{arn} TagResource",
		"GET /v2/tags/{arn} GetTags",
		"DELETE /v2/tags/{arn} UntagResource",
	),
	"apigateway": routes(
		"POST /restapis CreateRestApi",
		"GET /restapis GetRestApis",
		"GET /restapis/{api} GetRestApi",
		"PATCH /restapis/{api} UpdateRestApi",
		"DELETE /restapis/{api} DeleteRestApi",
		"GET /restapis/{api}/resources GetResources",
		"POST /restapis/{api}/resources/{parent} CreateResource",
		"GET /restapis/{api}/resources/{id} GetResource",
		"PATCH /restapis/{api}/resources/{id} UpdateResource",
		"DELETE /restapis/{api}/resources/{id} DeleteResource",
		"PUT /restapis/{api}/resources/{id}/methods/{m} PutMethod",
		"GET /restapis/{api}/resources/{id}/methods/{m} GetMethod",
		"PATCH /restapis/{api}/resources/{id}/methods/{m} UpdateMethod",
		"DELETE /restapis/{api}/resources/{id}/methods/{m} DeleteMethod",
		"PUT /restapis/{api}/resources/{id}/methods/{m}/responses/{code} PutMethodResponse",
		"PUT /restapis/{api}/resources/{id}/methods/{m}/integration PutIntegration",
		"GET /restapis/{api}/resources/{id}/methods/{m}/integration GetIntegration",
		"PATCH /restapis/{api}/resources/{id}/methods/{m}/integration UpdateIntegration",
		"DELETE /restapis/{api}/resources/{id}/methods/{m}/integration DeleteIntegration",
		"PUT /restapis/{api}/resources/{id}/methods/{m}/integration/responses/{code} PutIntegrationResponse",
		"POST /restapis/{api}/deployments CreateDeployment",
		"GET /restapis/{api}/deployments GetDeployments",
		"DELETE /restapis/{api}/deployments/{id} DeleteDeployment",
		"POST /restapis/{api}/stages CreateStage",
		"GET /restapis/{api}/stages GetStages",
		"GET /restapis/{api}/stages/{id} GetStage",
		"PATCH /restapis/{api}/stages/{id} UpdateStage",
		"DELETE /restapis/{api}/stages/{id} DeleteStage",
		"POST /restapis/{api}/authorizers CreateAuthorizer",
		"GET /restapis/{api}/authorizers GetAuthorizers",
		"GET /restapis/{api}/authorizers/{id} GetAuthorizer",
		"PATCH /restapis/{api}/authorizers/{id} UpdateAuthorizer",
		"DELETE /restapis/{api}/authorizers/{id} DeleteAuthorizer",
		"POST /apikeys CreateApiKey",
		"GET /apikeys GetApiKeys",
		"GET /apikeys/{id} GetApiKey",
		"DELETE /apikeys/{id} DeleteApiKey",
		"POST /usageplans CreateUsagePlan",
		"GET /usageplans GetUsagePlans",
		"PATCH /usageplans/{id} UpdateUsagePlan",
		"DELETE /usageplans/{id} DeleteUsagePlan",
		"POST /usageplans/{id}/keys CreateUsagePlanKey",
		"GET /usageplans/{id}/keys GetUsagePlanKeys",
		"DELETE /usageplans/{id}/keys/{key} DeleteUsagePlanKey",
		"PUT /tags/{arn} TagResource",
		"GET /tags/{arn} GetTags",
		"DELETE /tags/{arn} UntagResource",
	),
}

// readOnly lists the operations that change nothing in AWS although their
// names do not start with Get, List or Describe.
var readOnly = map[string]bool{
	"kms:Decrypt": true, "kms:Encrypt": true, "kms:GenerateDataKey": true, "kms:GenerateRandom": true,
	"sts:AssumeRole": true, "sts:AssumeRoleWithWebIdentity": true,
}

// IsWrite reports whether op may change state in AWS: every operation but
// Get*, List*, Describe* and a few that only compute (kms:Decrypt,
// kms:Encrypt, sts:AssumeRole...). An operation it cannot name counts as a
// write, so that "no write call" never passes by mistake.
func IsWrite(op string) bool {
	_, name, ok := strings.Cut(op, ":")
	if !ok || strings.Contains(name, " ") {
		return true
	}
	for _, p := range []string{"Get", "List", "Describe"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return !readOnly[op]
}
