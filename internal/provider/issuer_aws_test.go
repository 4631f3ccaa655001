package provider

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// These tests are issue 20's item 10: the issuer as users of
// hashicorp/aws expect it, on moto.

// minimalSettings are settings the issuer starts with.
// jwtSettings are the settings of an issuer that takes HS256 JWTs for
// the audience video.
const jwtSettings = `  settings = {
    auth          = "jwt"
    jwt_audience  = "video"
    allowed_hosts = ["media.example.com"]
  }
`

// hs256Key are the arguments that give an issuer the HS256 key key, at
// version 1.
func hs256Key(key string) string {
	return fmt.Sprintf("  jwt_hs256_key_wo         = %q\n  jwt_hs256_key_wo_version = 1\n", key)
}

const minimalSettings = `  settings = {
    auth          = "none"
    allowed_hosts = ["media.example.com"]
  }
`

// withDefaultTags is a provider block with default_tags.
func (e *accEnv) withDefaultTags(config string, tags string) string {
	p := e.provider()
	with := strings.TrimSuffix(strings.TrimSpace(p), "}") + "  default_tags {\n    tags = " + tags + "\n  }\n}\n"
	return strings.Replace(config, p, with, 1)
}

// objectTags are the tags of each object of an HTTP API issuer, by what
// it is.
func (e *accEnv) objectTags(ctx context.Context, fn string, a map[string]string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	role, err := e.clients.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(fn)})
	if err != nil {
		return nil, err
	}
	out["role"] = map[string]string{}
	for _, t := range role.Tags {
		out["role"][aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	delete(out["role"], issuerOwnerTag)
	f, err := e.clients.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(a["function_arn"])})
	if err != nil {
		return nil, err
	}
	out["function"] = f.Tags
	arn := strings.Replace(strings.Replace(a["function_arn"], ":lambda:", ":logs:", 1), ":function:"+fn, ":log-group:"+logGroupName(fn), 1)
	lg, err := e.clients.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	out["log group"] = lg.Tags
	base := "arn:aws:apigateway:us-east-1::/apis/" + a["api_id"]
	api, err := e.clients.APIGatewayV2.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: aws.String(base)})
	if err != nil {
		return nil, err
	}
	out["api"] = api.Tags
	// moto 5.2.1 serves no GetTags for a stage: its tags as GetStage says.
	stage, err := e.clients.APIGatewayV2.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(a["api_id"]), StageName: aws.String(defaultStage)})
	if err != nil {
		return nil, err
	}
	out["stage"] = stage.Tags
	return out, nil
}

// checkObjectTags checks that every object has exactly want and the
// issuer tag.
func (e *accEnv) checkObjectTags(want map[string]string, stage bool) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		got, err := e.objectTags(context.Background(), a["function_name"], a)
		if err != nil {
			return err
		}
		w := maps.Clone(want)
		w[issuerTag] = a["function_name"]
		if !stage { // moto 5.2.1 has no TagResource for an HTTP API's stage
			delete(got, "stage")
		}
		for what, tags := range got {
			if !maps.Equal(tags, w) {
				return fmt.Errorf("the %s's tags are %v, want %v", what, tags, w)
			}
		}
		return nil
	}
}

// checkRole checks the role's path and boundary, and the function's
// description and tracing mode.
func (e *accEnv) checkRole(path, boundary, description, tracing string, xray bool) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		fn := a["function_name"]
		role, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)})
		if err != nil {
			return err
		}
		got := ""
		if role.Role.PermissionsBoundary != nil {
			got = aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn)
		}
		if aws.ToString(role.Role.Path) != path || got != boundary || !strings.Contains(a["role_arn"], ":role"+path+fn) {
			return fmt.Errorf("role %s: path %s, boundary %q; want %s, %q", a["role_arn"], aws.ToString(role.Role.Path), got, path, boundary)
		}
		c, err := e.clients.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			return err
		}
		if aws.ToString(c.Description) != description || c.TracingConfig == nil || string(c.TracingConfig.Mode) != tracing {
			return fmt.Errorf("function: description %q, tracing %v; want %q, %s", aws.ToString(c.Description), c.TracingConfig, description, tracing)
		}
		api, err := e.clients.APIGatewayV2.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(a["api_id"])})
		if err != nil || aws.ToString(api.Description) != description {
			return fmt.Errorf("the API's description: %q, %v; want %q", aws.ToString(api.Description), err, description)
		}
		pol, err := e.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(issuerPolicyName)})
		if err != nil {
			return err
		}
		doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
		if strings.Contains(doc, "xray:PutTraceSegments") != xray {
			return fmt.Errorf("the role's policy lets it write traces: %v, want %v: %s", !xray, xray, doc)
		}
		return nil
	}
}

// updatesInPlace: the step's plan updates addr in place (and passes
// more), and once applied the plan is empty.
func updatesInPlace(addr string, more ...plancheck.PlanCheck) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{
		PreApply:             append([]plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}, more...),
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
}

// knownOnUpdate: what an in-place update does not change stays known in
// its plan (issue 20 item 12: quiet plans).
func knownOnUpdate() []plancheck.PlanCheck {
	var out []plancheck.PlanCheck
	for _, a := range []string{"function_arn", "role_arn", "api_id", "invoke_url", "stage_name", "log_group_name", "grant_id",
		"permission_id", "source_code_hash", "tags_all", "role_path", "throttle_rate_limit", "throttle_burst_limit"} {
		out = append(out, plancheck.ExpectKnownValue("securestream_issuer.i", tfjsonpath.New(a), knownvalue.NotNull()))
	}
	for _, a := range []string{"function_url_auth_type", "rest_authorization", "rest_api_key_required", "rest_api_key_id"} {
		out = append(out, plancheck.ExpectKnownValue("securestream_issuer.i", tfjsonpath.New(a), knownvalue.Null()))
	}
	return out
}

func TestAccIssuer_awsConventions(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	ctx := context.Background()
	var boundaries []string
	for _, n := range []string{"one", "two"} {
		p, err := e.clients.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fn + "-boundary-" + n), PolicyDocument: aws.String(allowAll)})
		if err != nil {
			t.Fatal(err)
		}
		boundaries = append(boundaries, aws.ToString(p.Policy.Arn))
	}
	config := func(defaults, body string) string {
		return e.withDefaultTags(issuerConfig(e, fn, pkgPath, body+minimalSettings), defaults)
	}
	first := config(`{ team = "video", env = "dev" }`, fmt.Sprintf(`
  tags                 = { owner = "alice", env = "prod", cost = "x" }
  permissions_boundary = %q
  role_path            = "/securestream/team-a/"
  description          = "Mints stream keys"
  tracing              = "Active"
`, boundaries[0]))
	// Tags, default tags, boundary and description change; tracing stays
	// (moto 5.2.1 ignores TracingConfig in UpdateFunctionConfiguration).
	second := config(`{ team = "audio", env = "dev" }`, fmt.Sprintf(`
  tags                 = { owner = "bob" }
  permissions_boundary = %q
  role_path            = "/securestream/team-a/"
  description          = "Mints stream keys for the player"
  tracing              = "Active"
`, boundaries[1]))
	third := config(`{ team = "audio", env = "dev" }`, `
  tags        = { owner = "bob" }
  role_path   = "/securestream/team-a/"
  description = "Mints stream keys for the player"
  tracing     = "Active"
`)
	update := updatesInPlace("securestream_issuer.i")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config: first,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue("securestream_issuer.i", tfjsonpath.New("tags_all"),
						knownvalue.MapExact(map[string]knownvalue.Check{"team": knownvalue.StringExact("video"), "env": knownvalue.StringExact("prod"),
							"owner": knownvalue.StringExact("alice"), "cost": knownvalue.StringExact("x")}))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkObjectTags(map[string]string{"team": "video", "env": "prod", "owner": "alice", "cost": "x"}, true),
					e.checkRole("/securestream/team-a/", boundaries[0], "Mints stream keys", "Active", true),
					resource.TestCheckResourceAttr("securestream_issuer.i", "drift.#", "0"),
				),
			},
			{
				Config:           second,
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i", knownOnUpdate()...),
				Check: resource.ComposeTestCheckFunc(
					e.checkObjectTags(map[string]string{"team": "audio", "env": "dev", "owner": "bob"}, false),
					e.checkRole("/securestream/team-a/", boundaries[1], "Mints stream keys for the player", "Active", true),
					resource.TestCheckResourceAttr("securestream_issuer.i", "tags_all.%", "3"),
					resource.TestCheckResourceAttr("securestream_issuer.i", "drift.#", "0"),
				),
			},
			// tags holds only what default_tags does not; the boundary and
			// path are read from the role.
			importIssuer(fn, "package_path"),
			{
				// The boundary removed outside Terraform: drift, put back.
				PreConfig: func() {
					if _, err := e.clients.IAM.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(fn)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("securestream_issuer.i", tfjsonpath.New("drift"), knownvalue.ListSizeExact(0))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: e.checkRole("/securestream/team-a/", boundaries[1], "Mints stream keys for the player", "Active", true),
			},
			{
				Config:           third,
				ConfigPlanChecks: update,
				Check:            e.checkRole("/securestream/team-a/", "", "Mints stream keys for the player", "Active", true),
			},
		},
	})
}

// TestAccIssuer_rolePathRefused: a role path the key policy does not let
// the provider grant the ring to fails at plan, naming why.
func TestAccIssuer_rolePathRefused(t *testing.T) {
	testIssuerRefusedAtPlan(t,
		refusal{"  role_path = \"/team-a/\"\n" + minimalSettings, `(?s)role_path.*must be an IAM path under /securestream/.*role/securestream/`},
		refusal{"  permissions_boundary = \"arn:aws:iam::123456789012:role/not-a-policy\"\n" + minimalSettings,
			`(?s)permissions_boundary.*must be an IAM managed policy ARN`},
		refusal{"  tags = { \"securestream:issuer\" = \"other\" }\n" + minimalSettings, `(?s)A reserved tag key.*securestream:issuer`},
		// A version alone (as an import reads it) is no secret to seal
		// for a new issuer: refused at plan, not at apply.
		refusal{"  api_type = \"function_url\"\n  jwt_hs256_key_wo_version = 1\n" + jwtSettings,
			`(?s)The secret is not set.*jwt_hs256_key_wo_version is set`},
	)
}

// refusal is an issuer's arguments and the error its plan fails with.
type refusal struct{ body, want string }

// testIssuerRefusedAtPlan checks that each refusal's arguments fail the
// issuer's plan with its error.
func testIssuerRefusedAtPlan(t *testing.T, refusals ...refusal) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	var steps []resource.TestStep
	for _, r := range refusals {
		steps = append(steps, resource.TestStep{Config: issuerConfig(e, fn, pkgPath, r.body), PlanOnly: true, ExpectError: regexp.MustCompile(r.want)})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// TestAccIssuer_importGenerated: an issuer imported plans no change, by
// `terraform import` (ImportStateVerify) and by an import block whose
// configuration Terraform generates (-generate-config-out): every
// argument is read back from AWS, and none that does not apply to the
// api_type is set.
func TestAccIssuer_importGenerated(t *testing.T) {
	e := newAccEnv(t)
	ctx := context.Background()
	for _, tc := range []struct{ api, body string }{
		{apiTypeHTTP, `
  tags                 = { owner = "alice" }
  permissions_boundary = "%[1]s"
  role_path            = "/securestream/team-a/"
  description          = "Mints stream keys"
  tracing              = "Active"
  throttle_rate_limit  = 20
` + minimalSettings},
		{apiTypeFunctionURL, `
  api_type                 = "function_url"
  function_url_auth_type   = "AWS_IAM"
` + hs256Key("hs256-key-one-0123456789abcdefghijklmnop") + jwtSettings},
		{apiTypeREST, `
  api_type              = "rest"
  rest_api_key_required = true
` + minimalSettings},
	} {
		t.Run(tc.api, func(t *testing.T) {
			fn := name("issuer")
			p, err := e.clients.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fn + "-boundary"), PolicyDocument: aws.String(allowAll)})
			if err != nil {
				t.Fatal(err)
			}
			body := tc.body
			if strings.Contains(body, "%[1]s") {
				body = fmt.Sprintf(body, aws.ToString(p.Policy.Arn))
			}
			// The built-in package: package_path is not in AWS to read back.
			config := issuerConfig(e, fn, "", body)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             e.checkIssuerDestroyed,
				Steps: []resource.TestStep{
					{Config: config},
					{ResourceName: "securestream_issuer.i", ImportState: true, ImportStateId: fn, ImportStateVerify: true},
					{Config: config, ResourceName: "securestream_issuer.i", ImportState: true, ImportStateId: fn,
						ImportStateKind: resource.ImportBlockWithID, GenerateConfig: true},
				},
			})
		})
	}
}

// checkStage checks the stage's access logging (dest "" for none) and,
// for a REST API, its X-Ray tracing.
func (e *accEnv) checkStage(api, dest, format string, tracing bool) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		var gotDest, gotFormat string
		gotTracing := false
		if api == apiTypeREST {
			st, err := e.clients.APIGateway.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(a["api_id"]), StageName: aws.String(restStage)})
			if err != nil {
				return err
			}
			if st.AccessLogSettings != nil {
				gotDest, gotFormat = aws.ToString(st.AccessLogSettings.DestinationArn), aws.ToString(st.AccessLogSettings.Format)
			}
			gotTracing = st.TracingEnabled
		} else {
			st, err := e.clients.APIGatewayV2.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(a["api_id"]), StageName: aws.String(defaultStage)})
			if err != nil {
				return err
			}
			if st.AccessLogSettings != nil {
				gotDest, gotFormat = aws.ToString(st.AccessLogSettings.DestinationArn), aws.ToString(st.AccessLogSettings.Format)
			}
			gotTracing = tracing
		}
		if gotDest != dest || gotFormat != format || gotTracing != tracing {
			return fmt.Errorf("stage: access log %q %q, tracing %v; want %q %q, %v", gotDest, gotFormat, gotTracing, dest, format, tracing)
		}
		return nil
	}
}

func TestAccIssuer_accessLog(t *testing.T) {
	e := newAccEnv(t)
	dest1, dest2 := "arn:aws:logs:us-east-1:123456789012:log-group:access-one", "arn:aws:logs:us-east-1:123456789012:log-group:access-two"
	format1, format2 := `{"id":"$context.requestId"}`, `$context.requestId $context.status`
	withLog := func(api, dest, format, tracing string) string {
		return fmt.Sprintf(`  api_type = %q
  tracing  = %q
  access_log = {
    destination_arn = %q
    format          = %q
  }
`, api, tracing, dest, format) + minimalSettings
	}
	t.Run("rest", func(t *testing.T) {
		fn := name("issuer")
		pkgPath, _ := testPackage(t, "echo one")
		update := updatesInPlace("securestream_issuer.i")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             e.checkIssuerDestroyed,
			Steps: []resource.TestStep{
				{Config: issuerConfig(e, fn, pkgPath, withLog("rest", dest1, format1, "Active")),
					ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					Check:            e.checkStage(apiTypeREST, dest1, format1, true)},
				importIssuer(fn, "package_path"),
				{Config: issuerConfig(e, fn, pkgPath, withLog("rest", dest2, format2, "Active")), ConfigPlanChecks: update,
					Check: e.checkStage(apiTypeREST, dest2, format2, true)},
				// (tracing stays: moto 5.2.1 ignores TracingConfig in UpdateFunctionConfiguration)
				{Config: issuerConfig(e, fn, pkgPath, `  api_type = "rest"
  tracing  = "Active"
`+minimalSettings), ConfigPlanChecks: update, Check: e.checkStage(apiTypeREST, "", "", true)},
			},
		})
	})
	t.Run("http", func(t *testing.T) {
		fn := name("issuer")
		pkgPath, _ := testPackage(t, "echo one")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             e.checkIssuerDestroyed,
			Steps: []resource.TestStep{
				// timeouts.read bounds the refresh.
				{Config: issuerConfig(e, fn, pkgPath, withLog("http", dest1, `$context.status`, "PassThrough")+"  timeouts = {\n    read = \"3m\"\n  }\n"),
					ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					Check: resource.ComposeTestCheckFunc(e.checkStage(apiTypeHTTP, dest1, `$context.status`, false),
						resource.TestCheckResourceAttr("securestream_issuer.i", "timeouts.read", "3m"))},
				importIssuer(fn, "package_path", "timeouts"), // timeouts lives in the configuration alone
			},
		})
	})
	t.Run("refused at plan", func(t *testing.T) {
		fn := name("issuer")
		pkgPath, _ := testPackage(t, "echo one")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{Config: issuerConfig(e, fn, pkgPath, withLog("rest", dest1, `$context.status`, "PassThrough")), PlanOnly: true,
					ExpectError: regexp.MustCompile(`(?s)access_log.format.*\$context.requestId`)},
				{Config: issuerConfig(e, fn, pkgPath, withLog("function_url", dest1, format1, "PassThrough")), PlanOnly: true,
					ExpectError: regexp.MustCompile(`(?s)Access logging needs API Gateway.*function URL has no access log`)},
				{Config: issuerConfig(e, fn, pkgPath, `  api_type = "http"
  function_url_auth_type = "NONE"
`+minimalSettings), PlanOnly: true,
					ExpectError: regexp.MustCompile(`(?s)Only for a function URL.*function_url_auth_type is for api_type = "function_url"`)},
			},
		})
	})
}
