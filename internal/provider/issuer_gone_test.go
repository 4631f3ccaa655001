package provider

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// resetMoto empties every backend of moto, as a restart of the local
// stack does (moto keeps nothing across one).
func (e *accEnv) resetMoto(t *testing.T) {
	t.Helper()
	if e.endpoint == "" {
		t.Fatal("this test resets moto (POST /moto-api/reset): unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	resp, err := http.Post(strings.TrimSuffix(e.endpoint, "/")+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /moto-api/reset: %s", resp.Status)
	}
}

// After the local stack restarts, moto is empty while the state still
// holds the secret and the issuer: the plan shows both to be created
// again (no kms:ListGrants on the key that is gone, which moto answers
// with a 500), the apply makes them, and after another restart the
// destroy succeeds. For each api_type (a REST API's key outlives it).
func TestAccIssuer_stackReset(t *testing.T) {
	for apiType, body := range map[string]string{
		apiTypeHTTP:        "",
		apiTypeFunctionURL: "  api_type = \"function_url\"\n",
		apiTypeREST:        "  api_type = \"rest\"\n" + restFailureConfig,
	} {
		t.Run(apiType, func(t *testing.T) { stackReset(t, body) })
	}
}

func stackReset(t *testing.T, body string) {
	e := newAccEnv(t)
	pkgPath, _ := testPackage(t, "echo one")
	fn := name("issuer")
	cfg := issuerConfig(e, fn, pkgPath, body+minimalSettings)
	created := []plancheck.PlanCheck{
		plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionCreate),
		plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionCreate),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig:          func() { e.resetMoto(t) },
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPostRefresh: created},
			},
			{
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: created},
				Check: func(*terraform.State) error {
					_, err := e.clients.Lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
					return err
				},
			},
			{
				// terraform destroy after another restart.
				PreConfig: func() { e.resetMoto(t) },
				Config:    cfg,
				Destroy:   true,
			},
		},
	})
}

// A function deleted outside Terraform replaces the issuer: its role, log
// group, grant and API go with it (the state used to be dropped, leaving
// them behind to collide with the next create).
func TestAccIssuer_functionDeleted(t *testing.T) {
	testReplacedWhenGone(t, func(e *accEnv, fn string) {
		if _, err := e.clients.Lambda.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)}); err != nil {
			t.Fatal(err)
		}
	}, nil, nil)
}

// The function and the ring's key gone, the role left: the issuer is
// replaced (as when only the function is gone), without kms:ListGrants on
// the missing key at the refresh nor kms:RevokeGrant at the delete; the
// replacement's delete removes the role left behind.
func TestAccIssuer_functionAndKeyGone(t *testing.T) {
	testReplacedWhenGone(t, func(e *accEnv, fn string) {
		ctx := context.Background()
		role, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)})
		if err != nil {
			t.Fatal(err)
		}
		e.resetMoto(t) // everything gone; then the role alone comes back
		if _, err := e.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fn), Path: role.Role.Path,
			AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy)}); err != nil {
			t.Fatal(err)
		}
	}, []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionCreate)},
		func(e *accEnv, pkg []byte) resource.TestCheckFunc { return e.checkIssuer(nil, 30, pkg, true) })
}

// testReplacedWhenGone makes an issuer, lets gone remove some of its
// objects outside Terraform, and checks that the next apply replaces it
// (planning alsoPlanned too) and that its function is back, then check
// (nil: nothing more).
func testReplacedWhenGone(t *testing.T, gone func(e *accEnv, fn string), alsoPlanned []plancheck.PlanCheck, check func(e *accEnv, pkg []byte) resource.TestCheckFunc) {
	e := newAccEnv(t)
	pkgPath, pkg := testPackage(t, "echo one")
	fn := name("issuer")
	cfg := issuerConfig(e, fn, pkgPath, minimalSettings)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() { gone(e, fn) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append(alsoPlanned,
					plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionDestroyBeforeCreate))},
				Check: func(s *terraform.State) error {
					if _, err := e.clients.Lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err != nil {
						return err
					}
					if check == nil {
						return nil
					}
					return check(e, pkg)(s)
				},
			},
		},
	})
}

// Delete succeeds when every object is already gone (each step takes
// NotFound as done), and makes no kms:RevokeGrant on a key that is gone
// (moto answers it with a 500, AWS with NotFoundException) or pending
// deletion (AWS: KMSInvalidStateException): the grants went with the key.
// The calls go through a proxy, which counts them.
func TestAccIssuer_deleteWhenAllGone(t *testing.T) {
	e := newAccEnv(t)
	if e.endpoint == "" {
		t.Fatal("this test counts calls through a proxy in front of moto: unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	ctx := context.Background()
	p := localtest.StartFaultProxy(t, e.endpoint)
	c, err := awsclients.New(ctx, awsclients.Options{Region: "us-east-1", Endpoint: p.URL, AccessKey: "testing", SecretKey: "testing", MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := &issuerResource{resourceBase: resourceBase{providerData{clients: c}}}
	pending, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("a ring's key, then pending deletion")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := e.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name("grantee")), AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	grant, err := e.clients.KMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: pending.KeyMetadata.KeyId, GranteePrincipal: role.Role.Arn,
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: pending.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{
		"key gone":             "arn:aws:kms:us-east-1:123456789012:key/0d6bd9c1-8a1e-4a3b-9c3e-5f1e2d3c4b5a", // never existed
		"key pending deletion": aws.ToString(pending.KeyMetadata.Arn),
	}
	for _, apiType := range []string{apiTypeHTTP, apiTypeREST, apiTypeFunctionURL} {
		for label, keyARN := range keys {
			t.Run(apiType+"/"+label, func(t *testing.T) {
				fn := name("gone")
				m := issuerModel{
					FunctionName: types.StringValue(fn), APIType: types.StringValue(apiType),
					FunctionARN:  types.StringValue("arn:aws:lambda:us-east-1:123456789012:function:" + fn),
					RoleARN:      types.StringValue("arn:aws:iam::123456789012:role/securestream/" + fn),
					LogGroupName: types.StringValue(logGroupName(fn)), PermissionID: types.StringValue(permissionID),
					KMSKeyARN: types.StringValue(keyARN), GrantID: types.StringValue(aws.ToString(grant.GrantId) + ",grant-two"),
				}
				if apiType != apiTypeFunctionURL {
					m.APIID = types.StringValue("abc123def4")
				}
				if apiType == apiTypeREST {
					m.RESTAPIKeyID = types.StringValue("key1234567")
				}
				p.Reset()
				if d := r.deleteIssuer(ctx, &m); d.HasError() {
					t.Fatalf("delete with everything gone: %v", d)
				}
				if n := p.Counts()["kms:RevokeGrant"]; n != 0 {
					t.Errorf("%d kms:RevokeGrant calls on a key that is gone or pending deletion; want none", n)
				}
			})
		}
	}
}
