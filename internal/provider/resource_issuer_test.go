package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

const testKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// checkIssuerPolicy asserts that a role policy grants the issuer's needs
// and nothing more: kms:Decrypt on the ring's key under the function's
// encryption context, and writing to its own log group.
func checkIssuerPolicy(doc, keyARN, function string) error {
	var p struct {
		Statement []struct {
			Effect, Sid string
			Action      any
			Resource    any
			Condition   map[string]map[string]any
			NotAction   any
			NotResource any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return fmt.Errorf("the role policy is not JSON: %w", err)
	}
	list := func(v any) []string {
		switch t := v.(type) {
		case string:
			return []string{t}
		case []any:
			var out []string
			for _, e := range t {
				out = append(out, fmt.Sprint(e))
			}
			return out
		}
		return nil
	}
	var actions []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" || s.NotAction != nil || s.NotResource != nil {
			return fmt.Errorf("statement %s: only plain Allow statements are expected", s.Sid)
		}
		res := list(s.Resource)
		for _, a := range list(s.Action) {
			actions = append(actions, a)
			if strings.Contains(a, "*") {
				return fmt.Errorf("statement %s: wildcard action %s", s.Sid, a)
			}
			switch a {
			case "kms:Decrypt":
				if !slices.Equal(res, []string{keyARN}) {
					return fmt.Errorf("kms:Decrypt on %v, want only %s", res, keyARN)
				}
				if got := list(s.Condition["StringEquals"]["kms:EncryptionContext:LambdaFunctionName"]); !slices.Equal(got, []string{function}) {
					return fmt.Errorf("kms:Decrypt's encryption context condition is %q, want %q", got, function)
				}
				// Each secret only as what it is (issue 18, H1).
				if got := list(s.Condition["StringEquals"]["kms:EncryptionContext:Purpose"]); !slices.Equal(got, keyring.Purposes) {
					return fmt.Errorf("kms:Decrypt's purpose condition is %q, want %q", got, keyring.Purposes)
				}
			case "logs:CreateLogStream", "logs:PutLogEvents":
				want := fmt.Sprintf("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/%s:*", function)
				if !slices.Equal(res, []string{want}) {
					return fmt.Errorf("%s on %v, want only %s", a, res, want)
				}
			default:
				return fmt.Errorf("statement %s grants %s, which the issuer does not need", s.Sid, a)
			}
		}
	}
	slices.Sort(actions)
	if want := []string{"kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents"}; !slices.Equal(actions, want) {
		return fmt.Errorf("the policy grants %v, want %v", actions, want)
	}
	return nil
}

func TestIssuerPolicyIsLeastPrivilege(t *testing.T) {
	doc, err := issuerPolicy("arn:aws:iam::123456789012:role/securestream/video", "us-east-1", "video", testKeyARN)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkIssuerPolicy(doc, testKeyARN, "video"); err != nil {
		t.Fatal(err)
	}
	if _, err := issuerPolicy("not-an-arn", "us-east-1", "video", testKeyARN); err == nil {
		t.Fatal("a role ARN that is not one was accepted")
	}
}

// Settings written to the environment read back as they were: the import
// and the drift check depend on it.
func TestIssuerSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	values := map[string]attr.Value{}
	for name, typ := range settingsAttrTypes() {
		switch typ {
		case types.BoolType:
			values[name] = types.BoolNull()
		case types.StringType:
			values[name] = types.StringNull()
		default:
			values[name] = types.ListNull(types.StringType)
		}
	}
	values["auth"] = types.StringValue("jwt")
	values["allowed_hosts"] = stringList([]string{"media.example.com", "*.cdn.example.com"})
	values["bind_host"] = types.BoolValue(false)
	values["default_ttl"] = types.StringValue("30m")
	in, diags := types.ObjectValue(settingsAttrTypes(), values)
	if diags.HasError() {
		t.Fatal(diags)
	}
	env, known, diags := settingsEnv(ctx, in)
	if diags.HasError() || !known {
		t.Fatalf("settingsEnv: %v, known %v", diags, known)
	}
	want := map[string]string{"SECURESTREAM_AUTH": "jwt", "SECURESTREAM_ALLOWED_HOSTS": "media.example.com,*.cdn.example.com",
		"SECURESTREAM_BIND_HOST": "false", "SECURESTREAM_DEFAULT_TTL": "30m"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("environment %v, want %v", env, want)
	}
	out, diags := settingsFromEnv(env)
	if diags.HasError() || !out.Equal(in) {
		t.Fatalf("read back %v (%v), want %v", out, diags, in)
	}
	// The secrets and the ring are not settings.
	for _, s := range issuerSettings {
		if s.v.Name == envKeyring || sealedEnv(s.v.Name) {
			t.Fatalf("%s is a setting", s.v.Name)
		}
	}
}

// testPackage writes a small package for the tests (moto does not run it)
// and returns its path and bytes.
func testPackage(t *testing.T, script string) (string, []byte) {
	t.Helper()
	pkg, err := issuerpkg.Zip([]byte("#!/bin/sh\n" + script + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "issuer.zip")
	if err := os.WriteFile(p, pkg, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, pkg
}

func issuerConfig(e *accEnv, function, pkg, body string) string {
	return e.provider() + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name = %q
}

resource "securestream_issuer" "i" {
  function_name     = securestream_secret.s.function_name
  secret_ciphertext = securestream_secret.s.ciphertext
  kms_key_arn       = securestream_secret.s.kms_key_arn
  package_path      = %q
%s
}
`, function, pkg, body)
}

// issuerEnv is the issuer's attributes in the state and its function's
// environment in Lambda.
func (e *accEnv) issuerEnv(s *terraform.State) (map[string]string, map[string]string, error) {
	a, err := attrs(s, "securestream_issuer.i")
	if err != nil {
		return nil, nil, err
	}
	env, err := e.functionEnvOf(a["function_name"])
	return a, env, err
}

// functionEnvOf reads a function's environment from Lambda.
func (e *accEnv) functionEnvOf(function string) (map[string]string, error) {
	out, err := e.clients.Lambda.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function)})
	if err != nil {
		return nil, err
	}
	if out.Environment == nil {
		return map[string]string{}, nil
	}
	return out.Environment.Variables, nil
}

// checkIssuer checks what securestream_issuer.i created: the environment
// (the ring, its key, and want), the role's policy, the grant, the log
// group's retention, the code hash and the invoke permission.
func (e *accEnv) checkIssuer(want map[string]string, retention int32, pkg []byte, permission bool) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, env, err := e.issuerEnv(s)
		if err != nil {
			return err
		}
		sec, err := attrs(s, "securestream_secret.s")
		if err != nil {
			return err
		}
		fn := a["function_name"]
		if env["SECURESTREAM_KEYRING"] != sec["ciphertext"] || env["SECURESTREAM_KMS_KEY_ID"] != sec["kms_key_arn"] {
			return errors.New("the function's environment does not hold the secret's ring and key ARN")
		}
		for k, v := range want {
			if env[k] != v {
				return fmt.Errorf("%s = %q in the function's environment, want %q", k, env[k], v)
			}
		}
		pol, err := e.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(issuerPolicyName)})
		if err != nil {
			return fmt.Errorf("iam:GetRolePolicy: %w", err)
		}
		doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
		if err := checkIssuerPolicy(doc, sec["kms_key_arn"], fn); err != nil {
			return err
		}
		names, err := e.clients.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(fn)})
		if err != nil || !slices.Equal(names.PolicyNames, []string{issuerPolicyName}) {
			return fmt.Errorf("the role's inline policies: %v %v; want only %s", names, err, issuerPolicyName)
		}
		attached, err := e.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(fn)})
		if err != nil || len(attached.AttachedPolicies) > 0 {
			return fmt.Errorf("the role has managed policies attached: %v %v", attached, err)
		}
		grants, err := e.clients.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(sec["kms_key_arn"])})
		if err != nil {
			return fmt.Errorf("kms:ListGrants: %w", err)
		}
		// One grant per purpose, each bound to that secret alone (issue 18).
		ids := strings.Split(a["grant_id"], ",")
		if len(ids) != len(keyring.Purposes) {
			return fmt.Errorf("grant_id %q: want one grant per purpose %v", a["grant_id"], keyring.Purposes)
		}
		for i, purpose := range keyring.Purposes {
			found := false
			for _, g := range grants.Grants {
				if aws.ToString(g.GrantId) == ids[i] {
					found = aws.ToString(g.GranteePrincipal) == a["role_arn"] && len(g.Operations) == 1 && g.Operations[0] == "Decrypt" &&
						g.Constraints != nil && reflect.DeepEqual(g.Constraints.EncryptionContextEquals, keyring.Context(fn, purpose))
				}
			}
			if !found {
				return fmt.Errorf("no grant %s of Decrypt to %s under LambdaFunctionName=%s, Purpose=%s", ids[i], a["role_arn"], fn, purpose)
			}
		}
		if days, ok, err := (&issuerResource{clients: e.clients}).logRetention(ctx, fn); err != nil || !ok || days != int64(retention) {
			return fmt.Errorf("log group %s: retention %d, found %v, %v; want %d", logGroupName(fn), days, ok, err, retention)
		}
		if h := issuerpkg.SourceCodeHash(pkg); a["source_code_hash"] != h {
			return fmt.Errorf("source_code_hash %s, want %s", a["source_code_hash"], h)
		}
		has, err := (&issuerResource{clients: e.clients}).hasPermission(ctx, fn)
		if err != nil || has != permission {
			return fmt.Errorf("invoke permission: %v %v; want %v", has, err, permission)
		}
		return nil
	}
}

// revokeIssuerGrant revokes the grants of the issuer's role, as someone
// cleaning up by hand would.
func (e *accEnv) revokeIssuerGrant(function string) error {
	ctx := context.Background()
	out, err := e.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(function)})
	if err != nil {
		return err
	}
	env := out.Configuration.Environment.Variables
	grants, err := e.clients.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(env["SECURESTREAM_KMS_KEY_ID"])})
	if err != nil {
		return err
	}
	for _, g := range grants.Grants {
		if aws.ToString(g.GranteePrincipal) == aws.ToString(out.Configuration.Role) {
			if _, err := e.clients.KMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: g.KeyId, GrantId: g.GrantId}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkIssuerDestroyed lists, through the SDK, every kind of object an
// issuer creates, and fails on any left.
func (e *accEnv) checkIssuerDestroyed(s *terraform.State) error {
	ctx := context.Background()
	for addr, rs := range s.RootModule().Resources {
		if rs.Type != "securestream_issuer" {
			continue
		}
		a := rs.Primary.Attributes
		fn := a["function_name"]
		var left []string
		if _, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)}); !isIAMNotFound(err) {
			left = append(left, fmt.Sprintf("role (%v)", err))
		}
		if _, err := e.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(issuerPolicyName)}); !isIAMNotFound(err) {
			left = append(left, fmt.Sprintf("role policy (%v)", err))
		}
		groups, err := e.clients.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(logGroupName(fn))})
		if err != nil || len(groups.LogGroups) > 0 {
			left = append(left, fmt.Sprintf("log group (%v)", err))
		}
		if _, err := e.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); !isLambdaNotFound(err) {
			left = append(left, fmt.Sprintf("function (%v)", err))
		}
		if _, err := e.clients.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)}); !isLambdaNotFound(err) {
			left = append(left, fmt.Sprintf("invoke permission (%v)", err))
		}
		if _, err := e.clients.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn)}); !isLambdaNotFound(err) {
			left = append(left, fmt.Sprintf("function URL (%v)", err))
		}
		if id := a["api_id"]; id != "" && a["api_type"] == apiTypeHTTP {
			if _, err := e.clients.APIGatewayV2.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)}); err == nil {
				left = append(left, "HTTP API "+id)
			}
		}
		if id := a["api_id"]; id != "" && a["api_type"] == apiTypeREST {
			if _, err := e.clients.APIGateway.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(id)}); err == nil {
				left = append(left, "REST API "+id)
			}
		}
		if a["api_type"] == apiTypeREST {
			left = append(left, e.restKeysLeft(fn)...)
		}
		grants, err := e.clients.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(a["kms_key_arn"])})
		if a["grant_id"] == "" { // the create failed before its grant (moto answers 500 for a key that does not exist)
			grants, err = &kms.ListGrantsOutput{}, nil
		}
		if err != nil {
			left = append(left, fmt.Sprintf("grant (kms:ListGrants: %v)", err))
		} else {
			for _, g := range grants.Grants {
				if aws.ToString(g.GrantId) == a["grant_id"] || aws.ToString(g.GranteePrincipal) == a["role_arn"] {
					left = append(left, "grant "+aws.ToString(g.GrantId))
				}
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("%s: left after destroy: %s", addr, strings.Join(left, ", "))
		}
	}
	return e.checkDestroyed(s)
}

// checkAPIRoutes checks the HTTP API: its three routes to the Lambda
// integration (payload 2.0), the JWT authorizer on GET and POST, the
// $default stage, and the permission's source ARN naming this API.
func (e *accEnv) checkAPIRoutes(audiences ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		api := aws.String(a["api_id"])
		routes, err := e.clients.APIGatewayV2.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: api})
		if err != nil {
			return fmt.Errorf("apigateway:GetRoutes: %w", err)
		}
		var keys []string
		for _, r := range routes.Items {
			keys = append(keys, aws.ToString(r.RouteKey))
			if authorized := aws.ToString(r.AuthorizerId) != ""; authorized == (aws.ToString(r.RouteKey) == "OPTIONS /") {
				return fmt.Errorf("route %s: authorizer %q", aws.ToString(r.RouteKey), aws.ToString(r.AuthorizerId))
			}
			integ, err := e.clients.APIGatewayV2.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: api,
				IntegrationId: aws.String(strings.TrimPrefix(aws.ToString(r.Target), "integrations/"))})
			if err != nil || aws.ToString(integ.IntegrationUri) != a["function_arn"] || aws.ToString(integ.PayloadFormatVersion) != "2.0" {
				return fmt.Errorf("route %s: integration %v %v", aws.ToString(r.RouteKey), integ, err)
			}
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"GET /", "OPTIONS /", "POST /"}) {
			return fmt.Errorf("routes %v", keys)
		}
		id, err := (&issuerResource{clients: e.clients}).authorizerID(ctx, api)
		if err != nil || id == nil {
			return fmt.Errorf("no authorizer: %v", err)
		}
		auth, err := e.clients.APIGatewayV2.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: api, AuthorizerId: id})
		if err != nil || !slices.Equal(auth.JwtConfiguration.Audience, audiences) {
			return fmt.Errorf("authorizer %v %v; want audiences %v", auth, err, audiences)
		}
		if _, err := e.clients.APIGatewayV2.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: api, StageName: aws.String("$default")}); err != nil {
			return fmt.Errorf("apigateway:GetStage: %w", err)
		}
		return e.checkPermissionScoped(a)
	}
}

// importIssuer imports the issuer by its function name and compares it
// with the state, but for ignored attributes, which live only in the
// configuration.
func importIssuer(function string, ignored ...string) resource.TestStep {
	return resource.TestStep{ResourceName: "securestream_issuer.i", ImportState: true, ImportStateId: function,
		ImportStateVerify: true, ImportStateVerifyIgnore: ignored}
}

// checkPermissionScoped checks that the invoke permission names the
// issuer's API as its source.
func (e *accEnv) checkPermissionScoped(a map[string]string) error {
	pol, err := e.clients.Lambda.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String(a["function_name"])})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), "execute-api:us-east-1:123456789012:"+a["api_id"]+"/*") {
		return fmt.Errorf("the invoke permission is not scoped to the API: %v %v", pol, err)
	}
	return nil
}

func TestAccIssuer_http(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, pkg := testPackage(t, "echo one")
	_, other := testPackage(t, "echo replaced")
	settings := func(hosts, audiences, extra string) string {
		return fmt.Sprintf(`  settings = {
    auth            = "authorizer"
    allowed_hosts   = [%s]
    cors_origins    = ["https://app.example.com"]
    bind_user_agent = false
    default_ttl     = "30m"
  }
  jwt_authorizer = {
    issuer    = "https://idp.example.com/"
    audiences = [%s]
  }
%s`, hosts, audiences, extra)
	}
	first := issuerConfig(e, fn, pkgPath, settings(`"media.example.com"`, `"video"`, ""))
	second := issuerConfig(e, fn, pkgPath, settings(`"media.example.com", "*.cdn.example.com"`, `"video", "tv"`,
		"  memory_size = 512\n  log_retention_days = 14\n  reserved_concurrency = 5\n"))
	ctx := context.Background()
	var apiID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config: first,
				Check: resource.ComposeTestCheckFunc(
					e.checkIssuer(map[string]string{"SECURESTREAM_AUTH": "authorizer", "SECURESTREAM_ALLOWED_HOSTS": "media.example.com",
						"SECURESTREAM_BIND_USER_AGENT": "false", "SECURESTREAM_DEFAULT_TTL": "30m"}, 30, pkg, true),
					e.checkAPIRoutes("video"),
					capture("securestream_issuer.i", "api_id", &apiID),
					resource.TestCheckResourceAttr("securestream_issuer.i", "stage_name", "$default"),
					resource.TestCheckResourceAttrPair("securestream_issuer.i", "id", "securestream_issuer.i", "function_name"),
					resource.TestMatchResourceAttr("securestream_issuer.i", "invoke_url", regexp.MustCompile(`^https://\w+\.execute-api\.us-east-1\.amazonaws\.com/$`)),
					e.checkRing("securestream_secret.s", 1),
				),
			},
			{
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkIssuer(map[string]string{"SECURESTREAM_ALLOWED_HOSTS": "media.example.com,*.cdn.example.com"}, 14, pkg, true),
					e.checkAPIRoutes("video", "tv"),
					func(*terraform.State) error {
						out, err := e.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
						if err != nil || aws.ToInt32(out.Configuration.MemorySize) != 512 || out.Concurrency == nil ||
							aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != 5 {
							return fmt.Errorf("memory and concurrency not updated: %v", err)
						}
						return nil
					},
				),
			},
			importIssuer(fn, "package_path"),
			{
				// Drift: the environment edited, the permission removed,
				// the code replaced. The plan shows it; apply repairs it.
				PreConfig: func() {
					env, err := e.functionEnvOf(fn)
					if err != nil {
						t.Fatal(err)
					}
					env["SECURESTREAM_ALLOWED_HOSTS"] = "evil.example.com"
					if _, err := e.clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
						Environment: &lambdatypes.Environment{Variables: env}}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.clients.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(permissionID)}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.clients.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: other}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.clients.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(logGroupName(fn))}); err != nil {
						t.Fatal(err)
					}
					if err := e.revokeIssuerGrant(fn); err != nil {
						t.Fatal(err)
					}
				},
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: e.checkIssuer(map[string]string{"SECURESTREAM_ALLOWED_HOSTS": "media.example.com,*.cdn.example.com"}, 14, pkg, true),
			},
			{
				// The API deleted outside Terraform: the issuer is made again.
				PreConfig: func() {
					if _, err := e.clients.APIGatewayV2.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: aws.String(apiID)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(nil, 14, pkg, true), e.checkAPIRoutes("video", "tv")),
			},
		},
	})
}

// checkSealed checks that a write-only secret reaches the function only
// encrypted: its variable decrypts to the secret under the function's
// encryption context, equals its ciphertext attribute, and no spelling of
// the secret is in the environment or in any state file.
func (e *accEnv) checkSealed(s sealedSetting, key string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		a, env, err := e.issuerEnv(st)
		if err != nil {
			return err
		}
		fn := a["function_name"]
		ct, err := keyring.DecodeCiphertext(env[s.env])
		if err != nil {
			return fmt.Errorf("%s: %w", s.env, err)
		}
		out, err := e.clients.KMS.Decrypt(context.Background(), &kms.DecryptInput{CiphertextBlob: ct, EncryptionContext: keyring.Context(fn, sealPurpose(s))})
		if err != nil || string(out.Plaintext) != key {
			return fmt.Errorf("%s does not decrypt to %s under LambdaFunctionName=%s, Purpose=%s: %v", s.env, s.wo, fn, sealPurpose(s), err)
		}
		if env[s.env] != a[s.ciphertext()] {
			return fmt.Errorf("%s is not the function's %s", s.ciphertext(), s.env)
		}
		for k, v := range env {
			for form, f := range secretForms([]byte(key)) {
				if strings.Contains(v, f) {
					return fmt.Errorf("%s (%s) is in the function's %s", s.wo, form, k)
				}
			}
		}
		found, files, err := e.grepStates(map[string][]byte{s.wo: []byte(key)})
		switch {
		case err != nil:
			return err
		case files == 0:
			return errors.New("no state file found to search")
		case len(found) > 0:
			return fmt.Errorf("%s in the state:\n%s", s.wo, strings.Join(found, "\n"))
		}
		return nil
	}
}

func TestAccIssuer_functionURL(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, pkg := testPackage(t, "echo one")
	key1, key2 := "hs256-key-one-0123456789abcdefghijklmnop", "hs256-key-two-0123456789abcdefghijklmnop"
	cfg := func(authType, key string, version int) string {
		return issuerConfig(e, fn, pkgPath, fmt.Sprintf(`  api_type               = "function_url"
  function_url_auth_type = %q
  jwt_hs256_key_wo         = %q
  jwt_hs256_key_wo_version = %d
  settings = {
    auth          = "jwt"
    jwt_audience  = "video"
    allowed_hosts = ["media.example.com"]
  }
`, authType, key, version))
	}
	ctx := context.Background()
	want := map[string]string{"SECURESTREAM_AUTH": "jwt", "SECURESTREAM_JWT_AUDIENCE": "video"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg("NONE", key1, 1),
				Check: resource.ComposeTestCheckFunc(
					e.checkIssuer(want, 30, pkg, true),
					e.checkSealed(sealedSettings[0], key1),
					resource.TestCheckNoResourceAttr("securestream_issuer.i", "api_id"),
					resource.TestCheckResourceAttrSet("securestream_issuer.i", "invoke_url"),
					func(*terraform.State) error {
						u, err := e.clients.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn)})
						if err != nil || u.AuthType != lambdatypes.FunctionUrlAuthTypeNone {
							return fmt.Errorf("function URL: %v %v", u, err)
						}
						return nil
					},
				),
			},
			{
				// AWS_IAM needs no public permission; a new key version is
				// encrypted again.
				Config: cfg("AWS_IAM", key2, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, false), e.checkSealed(sealedSettings[0], key2),
					resource.TestCheckNoResourceAttr("securestream_issuer.i", "permission_id")),
			},
			importIssuer(fn, "package_path", "jwt_hs256_key_wo_version"),
			{
				// A configuration that changes nothing after the import.
				Config:           cfg("AWS_IAM", key2, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Drift: a setting removed from the environment by hand.
				PreConfig: func() {
					env, err := e.functionEnvOf(fn)
					if err != nil {
						t.Fatal(err)
					}
					delete(env, "SECURESTREAM_JWT_AUDIENCE")
					if _, err := e.clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
						Environment: &lambdatypes.Environment{Variables: env}}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg("AWS_IAM", key2, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, false), e.checkSealed(sealedSettings[0], key2)),
			},
		},
	})
}

// Settings the issuer would refuse, and a ring it could not open (sealed
// for another function name, or not a ring at all), are plan errors: they
// would otherwise fail only once deployed, at every cold start. (A create
// that fails part-way is TestAccIssuer_failureAtEachStep.)
func TestAccIssuer_refusedAtPlan(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	ctx := context.Background()
	key, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("a ring for another function")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)})
	})
	k, err := newRingKey(time.Now().UTC().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	other, err := keyring.Seal(ctx, keyring.KMS{Client: e.clients.KMS}, aws.ToString(key.KeyMetadata.Arn), "another-function", &keyring.Document{Keys: []keyring.Key{k}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(ciphertext, settings string) string {
		return e.provider() + fmt.Sprintf(`
resource "securestream_issuer" "i" {
  function_name     = %q
  secret_ciphertext = %q
  kms_key_arn       = %q
  package_path      = %q
  settings          = %s
}
`, fn, ciphertext, aws.ToString(key.KeyMetadata.Arn), pkgPath, settings)
	}
	ok := `{ auth = "none", allowed_hosts = ["media.example.com"] }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      cfg(other, `{ auth = "jwt", allowed_hosts = ["media.example.com"] }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`SECURESTREAM_AUTH=jwt needs`),
			},
			{
				Config:      cfg(other, ok),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)The key ring is not for this function.*LambdaFunctionName=` + fn),
			},
			{
				Config:      cfg("AAAA", ok),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)The key ring is not for this function|Invalid key ring`),
			},
		},
	})
}

// The documentation's example applies as written, with a test package in
// place of the one built into the provider (tests do not embed it).
func TestAccIssuer_example(t *testing.T) {
	e := newAccEnv(t)
	pkgPath, _ := testPackage(t, "echo example")
	src := strings.Replace(readExample(t, "resources/securestream_issuer/resource.tf"),
		"kms_key_arn       = securestream_secret.video.kms_key_arn\n",
		fmt.Sprintf("kms_key_arn       = securestream_secret.video.kms_key_arn\n  package_path      = %q\n", pkgPath), 1)
	if !strings.Contains(src, "package_path") {
		t.Fatal("the example no longer has the line the test adds package_path after")
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{{
			Config: e.provider() + src,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}},
	})
}

// checkREST checks the REST API: GET, POST and OPTIONS on / proxied to
// the function, the stage's throttling, and the permission naming it.
func (e *accEnv) checkREST(rate float64, burst int32) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		api := aws.String(a["api_id"])
		root, err := (&issuerResource{clients: e.clients}).restRoot(ctx, api)
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
				ExpectError: regexp.MustCompile(`SECURESTREAM_ORIGIN_SECRET_HEADER and SECURESTREAM_ORIGIN_SECRET go together`),
			},
			{
				Config: cfg(50, 100),
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, true), e.checkREST(50, 100), e.checkSealed(sealedSettings[1], originSecret),
					resource.TestCheckResourceAttr("securestream_issuer.i", "stage_name", restStage),
					resource.TestMatchResourceAttr("securestream_issuer.i", "invoke_url", regexp.MustCompile(`^https://\w+\.execute-api\.us-east-1\.amazonaws\.com/live/$`)),
					capture("securestream_issuer.i", "api_id", &firstAPI)),
			},
			{
				Config: cfg(5, 10),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: e.checkREST(5, 10),
			},
			importIssuer(fn, "package_path", "origin_secret_wo_version"),
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
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		api, fn := aws.String(a["api_id"]), a["function_name"]
		root, err := (&issuerResource{clients: e.clients}).restRoot(ctx, api)
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
	root, err := (&issuerResource{clients: e.clients}).restRoot(ctx, api.Id)
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
		return issuerConfig(e, "x", pkgPath, body+"  settings = {\n    auth          = \"none\"\n    allowed_hosts = [\"media.example.com\"]\n  }\n")
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
				root, err := (&issuerResource{clients: e.clients}).restRoot(ctx, &apiID)
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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.EscapedPath()+" "+string(b))
		w.Header().Set("Content-Type", "application/json")
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
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c, err := awsclients.New(context.Background(), awsclients.Options{Region: "us-east-1", Endpoint: srv.URL, AccessKey: "a", SecretKey: "b",
		SkipCredentialsValidation: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &issuerResource{clients: c}
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
