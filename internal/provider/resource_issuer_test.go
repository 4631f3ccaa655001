package provider

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

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

// issuerConfig is a secret for function and an issuer with its ring,
// from the package at pkg ("": the built-in package), with body added to
// the issuer's arguments.
func issuerConfig(e *accEnv, function, pkg, body string) string {
	if pkg != "" {
		body = fmt.Sprintf("  package_path      = %q\n", pkg) + body
	}
	return e.provider() + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name = %q
}

resource "securestream_issuer" "i" {
  function_name     = securestream_secret.s.function_name
  key_ring          = securestream_secret.s.key_ring
%s
}
`, function, body)
}

// sealedRing is a ring of one new key sealed under keyARN for the
// function fn, as securestream_secret seals one, for an issuer given a ring
// made without it.
func (e *accEnv) sealedRing(t *testing.T, keyARN, fn string) string {
	t.Helper()
	k, err := newRingKey(time.Now().UTC().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := keyring.Seal(context.Background(), keyring.KMS{Client: e.clients.KMS}, keyARN, fn, &keyring.Document{Keys: []keyring.Key{k}})
	if err != nil {
		t.Fatal(err)
	}
	return ct
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

// issuerAndSecret returns the attributes of securestream_issuer.i and
// securestream_secret.s and the issuer function's environment.
func (e *accEnv) issuerAndSecret(s *terraform.State) (issuer, secret, env map[string]string, err error) {
	if issuer, env, err = e.issuerEnv(s); err != nil {
		return nil, nil, nil, err
	}
	secret, err = attrs(s, "securestream_secret.s")
	return issuer, secret, env, err
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
		a, sec, env, err := e.issuerAndSecret(s)
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
		if days, ok, err := (&issuerResource{resourceBase: resourceBase{providerData{clients: e.clients}}}).logRetention(ctx, fn); err != nil || !ok || days != int64(retention) {
			return fmt.Errorf("log group %s: retention %d, found %v, %v; want %d", logGroupName(fn), days, ok, err, retention)
		}
		if h := issuerpkg.SourceCodeHash(pkg); a["source_code_hash"] != h {
			return fmt.Errorf("source_code_hash %s, want %s", a["source_code_hash"], h)
		}
		has, err := (&issuerResource{resourceBase: resourceBase{providerData{clients: e.clients}}}).hasPermission(ctx, fn)
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
		if _, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)}); !isA[*iamtypes.NoSuchEntityException](err) {
			left = append(left, fmt.Sprintf("role (%v)", err))
		}
		if _, err := e.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(issuerPolicyName)}); !isA[*iamtypes.NoSuchEntityException](err) {
			left = append(left, fmt.Sprintf("role policy (%v)", err))
		}
		groups, err := e.clients.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(logGroupName(fn))})
		if err != nil || len(groups.LogGroups) > 0 {
			left = append(left, fmt.Sprintf("log group (%v)", err))
		}
		if _, err := e.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); !isA[*lambdatypes.ResourceNotFoundException](err) {
			left = append(left, fmt.Sprintf("function (%v)", err))
		}
		if _, err := e.clients.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)}); !isA[*lambdatypes.ResourceNotFoundException](err) {
			left = append(left, fmt.Sprintf("invoke permission (%v)", err))
		}
		if _, err := e.clients.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn)}); !isA[*lambdatypes.ResourceNotFoundException](err) {
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
		a, api, err := issuerAPI(s)
		if err != nil {
			return err
		}
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
		id, err := (&issuerResource{resourceBase: resourceBase{providerData{clients: e.clients}}}).authorizerID(ctx, api)
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
// configuration (package_path, a local file; a write-only secret's
// version other than 1).
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
	settings := func(hosts, audiences, format, extra string) string {
		return fmt.Sprintf(`  settings = {
    auth            = "authorizer"
    allowed_hosts   = [%s]
    cors_origins    = ["https://app.example.com"]
    bind_user_agent = false
    default_ttl     = "30m"
%s  }
  jwt_authorizer = {
    issuer    = "https://idp.example.com/"
    audiences = [%s]
  }
%s`, hosts, format, audiences, extra)
	}
	first := issuerConfig(e, fn, pkgPath, settings(`"media.example.com"`, `"video"`, "", ""))
	// The second also switches the issuer to Common Access Tokens (issue
	// 24): an in-place update of the environment.
	second := issuerConfig(e, fn, pkgPath, settings(`"media.example.com", "*.cdn.example.com"`, `"video", "tv"`,
		"    token_format    = \"cat\"\n", "  memory_size = 512\n  log_retention_days = 14\n  reserved_concurrency = 5\n"))
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
				Config:           second,
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check: resource.ComposeTestCheckFunc(
					e.checkIssuer(map[string]string{"SECURESTREAM_ALLOWED_HOSTS": "media.example.com,*.cdn.example.com", "SECURESTREAM_TOKEN_FORMAT": "cat"}, 14, pkg, true),
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
				Config:           second,
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check:            e.checkIssuer(map[string]string{"SECURESTREAM_ALLOWED_HOSTS": "media.example.com,*.cdn.example.com"}, 14, pkg, true),
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
				Config:           cfg("AWS_IAM", key2, 2),
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check: resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, false), e.checkSealed(sealedSettings[0], key2),
					resource.TestCheckNoResourceAttr("securestream_issuer.i", "permission_id")),
			},
			// The version is not in AWS: an import reads it as 1 (this one is 2).
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
				Config:           cfg("AWS_IAM", key2, 2),
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check:            resource.ComposeTestCheckFunc(e.checkIssuer(want, 30, pkg, false), e.checkSealed(sealedSettings[0], key2)),
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
	keyID, keyARN := e.userKey(t, "a ring for another function")
	other := e.sealedRing(t, keyARN, "another-function")
	// The ring's key by its alias: resolved to the key's ARN
	// (kms:DescribeKey) at plan.
	alias := "alias/" + fn
	if _, err := e.clients.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	cfgFor := func(ringFunction, ciphertext, settings string) string {
		return e.provider() + fmt.Sprintf(`
resource "securestream_issuer" "i" {
  function_name = %q
  key_ring = {
    ciphertext    = %q
    kms_key_id    = %q
    function_name = %q
  }
  package_path = %q
  settings     = %s
}
`, fn, ciphertext, alias, ringFunction, pkgPath, settings)
	}
	cfg := func(ciphertext, settings string) string { return cfgFor(fn, ciphertext, settings) }
	ok := `{ auth = "none", allowed_hosts = ["media.example.com"] }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      cfg(other, `{ auth = "jwt", allowed_hosts = ["media.example.com"] }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`settings\.auth\s+=\s+"jwt"\s+needs`),
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
			{
				// The ring as it is, for "another-function": refused before
				// KMS, on key_ring.function_name, with what to pass.
				Config:   cfgFor("another-function", other, ok),
				PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)The key ring is for another function.*"another-function".*key_ring\s+=\s+` +
					`securestream_secret\.<name>\.key_ring\s+with\s+function_name\s+=\s+securestream_secret\.<name>\.function_name`),
			},
			{
				// A key the alias does not resolve: kms:DescribeKey, on key_ring.kms_key_id.
				Config:      strings.Replace(cfg(other, ok), `"`+alias+`"`, `"alias/`+fn+`-none"`, 1),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)kms:DescribeKey \(key_ring\.kms_key_id.*alias/` + fn + `-none`),
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
		"key_ring      = securestream_secret.video.key_ring\n",
		fmt.Sprintf("key_ring      = securestream_secret.video.key_ring\n  package_path  = %q\n", pkgPath), 1)
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

// key_ring.kms_key_id may name the key by its alias, even one this apply
// makes: the issuer resolves it to the key's ARN (kms_key_arn) for the
// function's SECURESTREAM_KMS_KEY_ID, the role's policy and the grants
// (checkIssuer compares them with the secret's ARN). Passing the
// secret's key_ring instead, with the ARN, changes the argument only:
// the same key, so the grants stay.
func TestAccIssuer_keyRingByAlias(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, pkg := testPackage(t, "echo one")
	cfg := func(ring string) string {
		return e.provider() + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name = %q
  alias         = "alias/%[1]s"
}

resource "securestream_issuer" "i" {
  function_name = securestream_secret.s.function_name
  key_ring      = %s
  package_path  = %q
  settings = {
    auth          = "none"
    allowed_hosts = ["media.example.com"]
  }
}
`, fn, ring, pkgPath)
	}
	byAlias := `{
    ciphertext    = securestream_secret.s.key_ring.ciphertext
    kms_key_id    = securestream_secret.s.alias
    function_name = securestream_secret.s.function_name
  }`
	var grants string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg(byAlias),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("securestream_issuer.i", "key_ring.kms_key_id", "alias/"+fn),
					resource.TestCheckResourceAttrPair("securestream_issuer.i", "kms_key_arn", "securestream_secret.s", "kms_key_arn"),
					e.checkIssuer(map[string]string{"SECURESTREAM_AUTH": "none"}, defaultLogRetentionDays, pkg, true),
					capture("securestream_issuer.i", "grant_id", &grants)),
			},
			{
				Config:           cfg("securestream_secret.s.key_ring"),
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttrPair("securestream_issuer.i", "key_ring.kms_key_id", "securestream_secret.s", "kms_key_arn"),
					func(s *terraform.State) error { // the same key: the grants stay
						a, err := attrs(s, "securestream_issuer.i")
						if err == nil && a["grant_id"] != grants {
							err = fmt.Errorf("grant_id %q; want the grants kept, %q", a["grant_id"], grants)
						}
						return err
					}),
			},
		},
	})
}
