package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// issuerAPI is the issuer's attributes in s, and its api_id.
func issuerAPI(s *terraform.State) (map[string]string, *string, error) {
	a, err := attrs(s, "securestream_issuer.i")
	return a, aws.String(a["api_id"]), err
}

// restRoot is the id of a REST API's "/" resource, as the provider finds it.
func (e *accEnv) restRoot(ctx context.Context, api *string) (*string, error) {
	return (&issuerResource{resourceBase: resourceBase{providerData{clients: e.clients}}}).restRoot(ctx, api)
}

// checkREST checks the REST API: GET, POST and OPTIONS on / proxied to
// the function, the stage's throttling, and the permission naming it.
func (e *accEnv) checkREST(rate float64, burst int32) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, api, err := issuerAPI(s)
		if err != nil {
			return err
		}
		root, err := e.restRoot(ctx, api)
		if err != nil {
			return err
		}
		for _, m := range []string{"GET", "POST", "OPTIONS"} {
			integ, err := e.clients.APIGateway.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String(m)})
			if err != nil || integ.Type != "AWS_PROXY" || !strings.Contains(aws.ToString(integ.Uri), a["function_arn"]) {
				return fmt.Errorf("%s /: integration %v %v", m, integ, err)
			}
		}
		st, err := e.clients.APIGateway.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api, StageName: aws.String(restStage)})
		if err != nil {
			return fmt.Errorf("apigateway:GetStage: %w", err)
		}
		if got := st.MethodSettings[restAllMethods]; got.ThrottlingRateLimit != rate || got.ThrottlingBurstLimit != burst {
			return fmt.Errorf("stage throttling %v/%v, want %v/%v", got.ThrottlingRateLimit, got.ThrottlingBurstLimit, rate, burst)
		}
		return e.checkPermissionScoped(a)
	}
}

func TestAccIssuer_rest(t *testing.T) {
	const originSecret = "origin-secret-0123456789abcdef"
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, pkg := testPackage(t, "echo one")
	cfg := func(rate, burst int) string {
		return issuerConfig(e, fn, pkgPath, fmt.Sprintf(`  api_type                 = "rest"
  throttle_rate_limit      = %d
  throttle_burst_limit     = %d
  origin_secret_wo         = %q
  origin_secret_wo_version = 1
  settings = {
    auth                 = "none"
    allowed_hosts        = ["media.example.com"]
    cors_origins         = ["https://app.example.com"]
    client_ip_source     = "cloudfront-viewer-address"
    origin_secret_header = "x-origin-secret"
  }
`, rate, burst, originSecret))
	}
	want := map[string]string{"SECURESTREAM_AUTH": "none", "SECURESTREAM_CORS_ORIGINS": "https://app.example.com",
		"SECURESTREAM_ORIGIN_SECRET_HEADER": "x-origin-secret"}
	var firstAPI string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				// The origin secret without its header: refused at plan.
				Config:      strings.Replace(cfg(50, 100), `origin_secret_header = "x-origin-secret"`, "", 1),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`settings\.origin_secret_header\s+and\s+origin_secret_wo\s+go\s+together`),
			},
			{
				Config: cfg(50, 100),
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, true), e.checkREST(50, 100), e.checkSealed(sealedSettings[1], originSecret),
					resource.TestCheckResourceAttr("securestream_issuer.i", "stage_name", restStage),
					resource.TestMatchResourceAttr("securestream_issuer.i", "invoke_url", regexp.MustCompile(`^https://\w+\.execute-api\.us-east-1\.amazonaws\.com/live/$`)),
					capture("securestream_issuer.i", "api_id", &firstAPI)),
			},
			{
				Config:           cfg(5, 10),
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check:            e.checkREST(5, 10),
			},
			importIssuer(fn, "package_path"), // origin_secret_wo_version = 1 reads back as 1
			{
				// The API deleted outside Terraform: the issuer is made again.
				PreConfig: func() {
					if _, err := e.clients.APIGateway.DeleteRestApi(context.Background(), &apigateway.DeleteRestApiInput{RestApiId: aws.String(firstAPI)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(5, 10),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, true), e.checkREST(5, 10)),
			},
		},
	})
}

// restKeysLeft lists the usage plans and API keys named after function
// (deleting the REST API deletes neither).
func (e *accEnv) restKeysLeft(function string) []string {
	ctx := context.Background()
	var left []string
	plans, err := e.clients.APIGateway.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err != nil {
		return []string{fmt.Sprintf("usage plans (apigateway:GetUsagePlans: %v)", err)}
	}
	for _, p := range plans.Items {
		if aws.ToString(p.Name) == function {
			left = append(left, "usage plan "+aws.ToString(p.Id))
		}
	}
	keys, err := e.clients.APIGateway.GetApiKeys(ctx, &apigateway.GetApiKeysInput{})
	if err != nil {
		return append(left, fmt.Sprintf("API keys (apigateway:GetApiKeys: %v)", err))
	}
	for _, k := range keys.Items {
		if aws.ToString(k.Name) == function {
			left = append(left, "API key "+aws.ToString(k.Id))
		}
	}
	return left
}

// checkRESTAuth checks, through the SDK, the authorization of the REST
// API's methods (GET and POST: auth and keyRequired; OPTIONS: open), its
// Cognito authorizer (with pools) or its absence, and the API key, its
// usage plan on the stage (with the stage's throttling) and the key in it,
// or their absence.
func (e *accEnv) checkRESTAuth(auth string, pools []string, keyRequired bool) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, api, err := issuerAPI(s)
		if err != nil {
			return err
		}
		fn := a["function_name"]
		root, err := e.restRoot(ctx, api)
		if err != nil {
			return err
		}
		authorizers, err := e.clients.APIGateway.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: api})
		if err != nil {
			return fmt.Errorf("apigateway:GetAuthorizers: %w", err)
		}
		var authorizerID string
		switch {
		case auth != restAuthCognito && len(authorizers.Items) > 0:
			return fmt.Errorf("authorizers left with %s: %+v", auth, authorizers.Items)
		case auth == restAuthCognito:
			if len(authorizers.Items) != 1 {
				return fmt.Errorf("%d authorizers, want 1", len(authorizers.Items))
			}
			z := authorizers.Items[0]
			got := slices.Sorted(slices.Values(z.ProviderARNs))
			if z.Type != "COGNITO_USER_POOLS" || !slices.Equal(got, pools) || aws.ToString(z.IdentitySource) != "method.request.header.Authorization" {
				return fmt.Errorf("authorizer %s %v %s; want COGNITO_USER_POOLS %v on the Authorization header", z.Type, got, aws.ToString(z.IdentitySource), pools)
			}
			authorizerID = aws.ToString(z.Id)
		}
		for _, m := range []string{"GET", "POST", "OPTIONS"} {
			got, err := e.clients.APIGateway.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String(m)})
			if err != nil {
				return fmt.Errorf("apigateway:GetMethod %s: %w", m, err)
			}
			wantAuth, wantKey, wantAuthorizer := auth, keyRequired, authorizerID
			if m == "OPTIONS" {
				wantAuth, wantKey, wantAuthorizer = restAuthNone, false, ""
			}
			if aws.ToString(got.AuthorizationType) != wantAuth || aws.ToBool(got.ApiKeyRequired) != wantKey || aws.ToString(got.AuthorizerId) != wantAuthorizer {
				return fmt.Errorf("%s /: authorization %s, authorizer %q, API key required %v; want %s, %q, %v", m, aws.ToString(got.AuthorizationType),
					aws.ToString(got.AuthorizerId), aws.ToBool(got.ApiKeyRequired), wantAuth, wantAuthorizer, wantKey)
			}
		}
		if !keyRequired {
			if left := e.restKeysLeft(fn); len(left) > 0 || a["rest_api_key_id"] != "" || a["rest_api_key_value"] != "" {
				return fmt.Errorf("no API key required, yet: %v, rest_api_key_id %q", left, a["rest_api_key_id"])
			}
			return nil
		}
		plans, err := e.clients.APIGateway.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
		if err != nil {
			return fmt.Errorf("apigateway:GetUsagePlans: %w", err)
		}
		var found int
		for _, p := range plans.Items {
			if aws.ToString(p.Name) != fn {
				continue
			}
			found++
			if len(p.ApiStages) != 1 || aws.ToString(p.ApiStages[0].ApiId) != *api || aws.ToString(p.ApiStages[0].Stage) != restStage {
				return fmt.Errorf("usage plan %s on %+v, want %s:%s", aws.ToString(p.Id), p.ApiStages, *api, restStage)
			}
			if p.Throttle == nil || fmt.Sprint(p.Throttle.RateLimit) != a["throttle_rate_limit"] || fmt.Sprint(p.Throttle.BurstLimit) != a["throttle_burst_limit"] {
				return fmt.Errorf("usage plan throttle %+v, want the stage's %s/%s", p.Throttle, a["throttle_rate_limit"], a["throttle_burst_limit"])
			}
			keys, err := e.clients.APIGateway.GetUsagePlanKeys(ctx, &apigateway.GetUsagePlanKeysInput{UsagePlanId: p.Id})
			if err != nil || len(keys.Items) != 1 || aws.ToString(keys.Items[0].Id) != a["rest_api_key_id"] || aws.ToString(keys.Items[0].Type) != "API_KEY" {
				return fmt.Errorf("usage plan keys %+v %v; want the API key %s", keys, err, a["rest_api_key_id"])
			}
		}
		if found != 1 {
			return fmt.Errorf("%d usage plans named %s, want 1", found, fn)
		}
		keys, err := e.clients.APIGateway.GetApiKeys(ctx, &apigateway.GetApiKeysInput{IncludeValues: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("apigateway:GetApiKeys: %w", err)
		}
		for _, k := range keys.Items {
			if aws.ToString(k.Id) == a["rest_api_key_id"] {
				if !k.Enabled || aws.ToString(k.Value) == "" || aws.ToString(k.Value) != a["rest_api_key_value"] {
					return fmt.Errorf("API key %s: enabled %v, value in the state %v", aws.ToString(k.Id), k.Enabled, aws.ToString(k.Value) == a["rest_api_key_value"])
				}
				return nil
			}
		}
		return fmt.Errorf("no API key %q", a["rest_api_key_id"])
	}
}

// restUpdateMethodSupported reports whether the endpoint serves
// apigateway:UpdateMethod (moto 5.2 does not).
func (e *accEnv) restUpdateMethodSupported(t *testing.T) bool {
	ctx := context.Background()
	api, err := e.clients.APIGateway.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(name("probe"))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = e.clients.APIGateway.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: api.Id})
	}()
	root, err := e.restRoot(ctx, api.Id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.APIGateway.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.clients.APIGateway.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"),
		PatchOperations: []resttypes.PatchOperation{{Op: resttypes.OpReplace, Path: aws.String("/apiKeyRequired"), Value: aws.String("true")}}})
	return err == nil
}

// The REST API's authorization: AWS_IAM, then COGNITO_USER_POOLS, then an
// API key, then none, each checked through the SDK; a method changed
// outside Terraform shows in the plan. Where the endpoint has no
// apigateway:UpdateMethod (moto), each step is a new issuer (a new
// function name) instead of an update in place, and the destroys of the
// steps check that no usage plan or API key is left.
func TestAccIssuer_restAuthorization(t *testing.T) {
	e := newAccEnv(t)
	inPlace := e.restUpdateMethodSupported(t)
	if !inPlace {
		t.Log("the endpoint has no apigateway:UpdateMethod (moto): each step replaces the issuer; TestUpdateREST checks the update's calls")
	}
	pkgPath, _ := testPackage(t, "echo one")
	pools := []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc123456", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Def654321"}
	fn := name("issuer")
	var used []string
	cfg := func(body string) string {
		if !inPlace {
			fn = name("issuer")
		}
		used = append(used, fn)
		return issuerConfig(e, fn, pkgPath, `  api_type = "rest"
  settings = {
    auth          = "none"
    allowed_hosts = ["media.example.com"]
  }
`+body)
	}
	action := plancheck.ResourceActionUpdate
	if !inPlace {
		action = plancheck.ResourceActionDestroyBeforeCreate
	}
	step := func(body string, check resource.TestCheckFunc) resource.TestStep {
		return resource.TestStep{Config: cfg(body), Check: check, ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", action)},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		}}
	}
	iam := `  rest_authorization = "AWS_IAM"` + "\n"
	cognito := fmt.Sprintf("  rest_authorization = %q\n  rest_cognito_user_pool_arns = [%q, %q]\n", restAuthCognito, pools[0], pools[1])
	var apiID string
	first := cfg(iam)
	invalid := func(body string) string {
		return issuerConfig(e, "x", pkgPath, body+minimalSettings)
	}
	steps := []resource.TestStep{
		{Config: invalid("  api_type = \"http\"\n" + iam), PlanOnly: true,
			ExpectError: regexp.MustCompile(`Only for a REST API`)},
		{Config: invalid("  api_type = \"rest\"\n  rest_authorization = \"COGNITO_USER_POOLS\"\n"), PlanOnly: true,
			ExpectError: regexp.MustCompile(`The Cognito user pools are missing`)},
		{Config: invalid(fmt.Sprintf("  api_type = \"rest\"\n  rest_cognito_user_pool_arns = [%q]\n", pools[0])), PlanOnly: true,
			ExpectError: regexp.MustCompile(`Cognito user pools without their authorizer`)},
		{Config: first, Check: resource.ComposeTestCheckFunc(e.checkRESTAuth(restAuthIAM, nil, false), e.checkREST(50, 100),
			resource.TestCheckNoResourceAttr("securestream_issuer.i", "rest_api_key_id"), capture("securestream_issuer.i", "api_id", &apiID))},
		{
			// POST opened outside Terraform: the plan shows it.
			PreConfig: func() {
				ctx := context.Background()
				root, err := e.restRoot(ctx, &apiID)
				if err == nil && inPlace {
					_, err = e.clients.APIGateway.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: root, HttpMethod: aws.String("POST"),
						PatchOperations: []resttypes.PatchOperation{{Op: resttypes.OpReplace, Path: aws.String("/authorizationType"), Value: aws.String("NONE")}}})
				} else if err == nil { // moto: PutMethod replaces the method
					_, err = e.clients.APIGateway.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &apiID, ResourceId: root, HttpMethod: aws.String("POST"),
						AuthorizationType: aws.String("NONE")})
				}
				if err != nil {
					t.Fatal(err)
				}
			},
			Config: first, PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		step(cognito, e.checkRESTAuth(restAuthCognito, pools, false)),
		step(cognito+"  rest_api_key_required = true\n", e.checkRESTAuth(restAuthCognito, pools, true)),
		step("  rest_api_key_required = true\n", e.checkRESTAuth(restAuthNone, nil, true)),
	}
	if inPlace {
		steps = append(steps, importIssuer(fn, "package_path"))
	}
	steps = append(steps, step("", e.checkRESTAuth(restAuthNone, nil, false)))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			var left []string
			for _, f := range used {
				left = append(left, e.restKeysLeft(f)...)
			}
			if len(left) > 0 {
				return fmt.Errorf("left after destroy: %s", strings.Join(left, ", "))
			}
			return e.checkIssuerDestroyed(s)
		},
		Steps: steps,
	})
}

// An authorization change updates the REST API's methods in place
// (UpdateMethod, which moto lacks, so this checks the requests against a
// fake) and deploys the stage again; turning everything off deletes the
// key, its usage plan and the authorizer.
func TestUpdateREST(t *testing.T) {
	var got []string
	r := fakeIssuer(t, &got, func(r *http.Request) string {
		body := map[string]string{
			"GET /restapis/abc/resources":    `{"item":[{"id":"root","path":"/"}]}`,
			"POST /restapis/abc/authorizers": `{"id":"auth1"}`,
			"POST /apikeys":                  `{"id":"key1","value":"secret-value"}`,
			"POST /usageplans":               `{"id":"plan1"}`,
			"GET /restapis/abc/authorizers":  `{"item":[]}`,
			"GET /usageplans":                `{"item":[]}`,
			"GET /usageplans/plan1/keys":     `{"item":[]}`,
		}[r.Method+" "+r.URL.Path]
		if body == "" {
			body = `{}`
		}
		if srv2state {
			switch r.Method + " " + r.URL.Path {
			case "GET /restapis/abc/authorizers":
				body = `{"item":[{"id":"auth1","name":"video","type":"COGNITO_USER_POOLS"}]}`
			case "GET /usageplans":
				body = `{"item":[{"id":"plan1","name":"video","apiStages":[{"apiId":"abc","stage":"live"}]}]}`
			case "GET /usageplans/plan1/keys":
				body = `{"item":[{"id":"key1","type":"API_KEY"}]}`
			}
		}
		return body
	})
	pool := "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc123456"
	state := issuerModel{FunctionName: types.StringValue("video"), APIType: types.StringValue(apiTypeREST), APIID: types.StringValue("abc"),
		ThrottleRateLimit: types.Float64Value(50), ThrottleBurstLimit: types.Int64Value(100),
		RESTAuthorization: types.StringValue(restAuthIAM), RESTCognitoPoolARNs: types.SetNull(types.StringType), RESTAPIKeyRequired: types.BoolValue(false),
		RESTAPIKeyID: types.StringNull(), RESTAPIKeyValue: types.StringNull()}
	plan := state
	plan.RESTAuthorization, plan.RESTAPIKeyRequired = types.StringValue(restAuthCognito), types.BoolValue(true)
	plan.RESTCognitoPoolARNs = types.SetValueMust(types.StringType, []attr.Value{types.StringValue(pool)})
	plan.RESTAPIKeyID, plan.RESTAPIKeyValue = types.StringUnknown(), types.StringUnknown()
	if diags := r.updateREST(context.Background(), &plan, &state); diags.HasError() {
		t.Fatal(diags)
	}
	want := []string{
		"GET /restapis/abc/authorizers",
		`POST /restapis/abc/authorizers {"identitySource":"method.request.header.Authorization","name":"video","providerARNs":["` + pool + `"],"type":"COGNITO_USER_POOLS"}`,
		"POST /apikeys",
		"GET /usageplans",
		`POST /usageplans {"apiStages":[{"apiId":"abc","stage":"live"}],`,
		"GET /usageplans/plan1/keys",
		`POST /usageplans/plan1/keys {"keyId":"key1","keyType":"API_KEY"}`,
		"GET /restapis/abc/resources",
		`PATCH /restapis/abc/resources/root/methods/GET {"patchOperations":[{"op":"replace","path":"/authorizationType","value":"COGNITO_USER_POOLS"},{"op":"replace","path":"/apiKeyRequired","value":"true"},{"op":"replace","path":"/authorizerId","value":"auth1"}]}`,
		`PATCH /restapis/abc/resources/root/methods/POST {"patchOperations":[{"op":"replace","path":"/authorizationType","value":"COGNITO_USER_POOLS"},{"op":"replace","path":"/apiKeyRequired","value":"true"},{"op":"replace","path":"/authorizerId","value":"auth1"}]}`,
		`POST /restapis/abc/deployments {"description":"securestream: methods' authorization changed","stageName":"live"}`,
	}
	checkRequests(t, got, want)
	if plan.RESTAPIKeyID.ValueString() != "key1" || plan.RESTAPIKeyValue.ValueString() != "secret-value" {
		t.Fatalf("the key in the plan: %v %v", plan.RESTAPIKeyID, plan.RESTAPIKeyValue)
	}
	// And off again.
	got, srv2state = nil, true
	defer func() { srv2state = false }()
	state, plan = plan, state
	plan.RESTAuthorization = types.StringValue(restAuthNone)
	if diags := r.updateREST(context.Background(), &plan, &state); diags.HasError() {
		t.Fatal(diags)
	}
	checkRequests(t, got, []string{
		"GET /restapis/abc/authorizers",
		"GET /restapis/abc/resources",
		`PATCH /restapis/abc/resources/root/methods/GET {"patchOperations":[{"op":"replace","path":"/authorizationType","value":"NONE"},{"op":"replace","path":"/apiKeyRequired","value":"false"},{"op":"replace","path":"/authorizerId","value":""}]}`,
		`PATCH /restapis/abc/resources/root/methods/POST {"patchOperations":[{"op":"replace","path":"/authorizationType","value":"NONE"},{"op":"replace","path":"/apiKeyRequired","value":"false"},{"op":"replace","path":"/authorizerId","value":""}]}`,
		"POST /restapis/abc/deployments",
		"DELETE /restapis/abc/authorizers/auth1",
		"GET /usageplans",
		"GET /usageplans/plan1/keys",
		"DELETE /usageplans/plan1/keys/key1",
		`PATCH /usageplans/plan1 {"patchOperations":[{"op":"remove","path":"/apiStages","value":"abc:live"}]}`,
		"DELETE /usageplans/plan1",
		"DELETE /apikeys/key1",
	})
	if !plan.RESTAPIKeyID.IsNull() || !plan.RESTAPIKeyValue.IsNull() {
		t.Fatalf("the key is still in the plan: %v", plan.RESTAPIKeyID)
	}
}

// srv2state switches TestUpdateREST's fake to an API that has the
// authorizer, the usage plan and the key.
var srv2state bool

// checkRequests compares requests with want, each a prefix of its request.
func checkRequests(t *testing.T, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Fatalf("requests:\n%s\nwant (prefixes):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
