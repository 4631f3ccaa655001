package provider

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// These tests are the security review's M2 and L1 (issue 18), on moto: a
// role someone else made is not taken over, and the role's policies and
// the routes' authorization changed outside Terraform show in the plan
// and are put back by the apply.

const (
	foreignTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
	allowAll     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// plantRole makes, as someone else would, a role where the issuer's goes:
// its path and issuer tag, trusting another account, with an inline
// policy allowing everything, and the given extra tags.
func (e *accEnv) plantRole(t *testing.T, fn string, tags ...iamtypes.Tag) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fn), Path: aws.String("/securestream/"),
		AssumeRolePolicyDocument: aws.String(foreignTrust),
		Tags:                     append([]iamtypes.Tag{{Key: aws.String("securestream:issuer"), Value: aws.String(fn)}}, tags...)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String("everything"),
		PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
}

// rolePolicies returns the names of role fn's inline policies.
func (e *accEnv) rolePolicies(t *testing.T, fn string) []string {
	t.Helper()
	out, err := e.clients.IAM.ListRolePolicies(context.Background(), &iam.ListRolePoliciesInput{RoleName: aws.String(fn)})
	if err != nil {
		t.Fatalf("iam:ListRolePolicies %s: %v", fn, err)
	}
	return out.PolicyNames
}

// removeRole deletes a role and its inline policies.
func (e *accEnv) removeRole(t *testing.T, fn string) {
	t.Helper()
	ctx := context.Background()
	for _, p := range e.rolePolicies(t, fn) {
		if _, err := e.clients.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.clients.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(fn)}); err != nil {
		t.Fatal(err)
	}
}

// checkPlantedUntouched checks that the planted role was neither changed
// nor granted anything: its trust policy and inline policies are as
// planted, and no KMS grant names it.
func (e *accEnv) checkPlantedUntouched(t *testing.T, fn string) {
	t.Helper()
	ctx := context.Background()
	role, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument)); doc != foreignTrust {
		t.Errorf("the planted role's trust policy was changed: %s", doc)
	}
	if names := e.rolePolicies(t, fn); !slices.Equal(names, []string{"everything"}) {
		t.Errorf("the planted role's inline policies are %v; want only the planted one", names)
	}
	keys, err := e.clients.KMS.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.Keys {
		grants, err := e.clients.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: k.KeyId})
		if err != nil {
			continue // a key pending deletion
		}
		for _, g := range grants.Grants {
			if aws.ToString(g.GranteePrincipal) == aws.ToString(role.Role.Arn) {
				t.Errorf("the planted role was granted %v on %s", g.Operations, aws.ToString(k.KeyId))
			}
		}
	}
}

// M2: a role at the issuer's path with its tag, made by someone else
// (trusting another account, allowing everything), is not adopted: the
// apply fails saying to import it or delete it, and the role is left as it
// was, with no grant. Neither is a role carrying the owner tag copied from
// the issuer's earlier role of that name (destroyed since). Once the
// planted role is deleted the issuer is made.
func TestAccIssuer_foreignRoleRefused(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	withIssuer := issuerConfig(e, fn, pkgPath, minimalSettings)
	secretOnly := e.provider() + fmt.Sprintf("resource \"securestream_secret\" \"s\" {\n  function_name = %q\n}\n", fn)
	refused := regexp.MustCompile(`(?s)The issuer's role exists and is not this issuer's.*Import\s+it,\s+or\s+delete\s+it.*aws\s+iam\s+delete-role\s+--role-name\s+` + fn)
	var copied []iamtypes.Tag
	ctx := context.Background()
	// plantedRefused plants a role under the issuer's name, with *tags:
	// the apply is refused. madeOnceRemoved checks it untouched and
	// removes it: the apply makes the issuer.
	plantedRefused := func(tags *[]iamtypes.Tag) resource.TestStep {
		return resource.TestStep{PreConfig: func() { e.plantRole(t, fn, *tags...) }, Config: withIssuer, ExpectError: refused}
	}
	madeOnceRemoved := func(step resource.TestStep) resource.TestStep {
		step.PreConfig = func() {
			e.checkPlantedUntouched(t, fn)
			e.removeRole(t, fn)
		}
		step.Config = withIssuer
		return step
	}
	var noTags []iamtypes.Tag
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			plantedRefused(&noTags),
			madeOnceRemoved(resource.TestStep{
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					role, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)})
					if err != nil {
						return err
					}
					for _, tg := range role.Role.Tags {
						if aws.ToString(tg.Key) != "securestream:issuer" {
							copied = append(copied, tg)
						}
					}
					return nil
				},
			}),
			{Config: secretOnly},    // the issuer destroyed, its role with it
			plantedRefused(&copied), // the earlier role's tags, copied onto a new role
			madeOnceRemoved(resource.TestStep{}),
		},
	})
}

// M2 and L1: after a good apply, the role's trust policy, its inline
// policies, a managed policy, a permissions boundary, and the
// authorization of POST / changed outside Terraform each show in the plan
// as an update; the apply puts them back, and the plan is then empty.
func TestAccIssuer_roleAndRouteDrift(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	cfg := issuerConfig(e, fn, pkgPath, `  settings = {
    auth          = "authorizer"
    allowed_hosts = ["media.example.com"]
  }
  jwt_authorizer = {
    issuer    = "https://idp.example.com/"
    audiences = ["video"]
  }
`)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	repaired := updatesInPlace("securestream_issuer.i")
	var apiID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(capture("securestream_issuer.i", "api_id", &apiID),
					e.checkRoleAsMade(fn), e.checkRouteAuthorization(&apiID)),
			},
			{
				PreConfig: func() {
					must(e.clients.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(fn), PolicyDocument: aws.String(foreignTrust)}))
				},
				Config:           cfg,
				ConfigPlanChecks: repaired,
				Check:            e.checkRoleAsMade(fn),
			},
			{
				PreConfig: func() {
					must(e.clients.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String("extra"), PolicyDocument: aws.String(allowAll)}))
					must(e.clients.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(issuerPolicyName), PolicyDocument: aws.String(allowAll)}))
					pol, err := e.clients.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fn + "-managed"), PolicyDocument: aws.String(allowAll)})
					must(pol, err)
					must(e.clients.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(fn), PolicyArn: pol.Policy.Arn}))
					must(e.clients.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(fn), PermissionsBoundary: pol.Policy.Arn}))
					t.Cleanup(func() { _, _ = e.clients.IAM.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Policy.Arn}) })
				},
				Config:           cfg,
				ConfigPlanChecks: repaired,
				Check:            e.checkRoleAsMade(fn),
			},
			{
				PreConfig: func() {
					routes, err := e.clients.APIGatewayV2.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(apiID)})
					must(routes, err)
					for _, r := range routes.Items {
						if aws.ToString(r.RouteKey) == "POST /" {
							must(e.clients.APIGatewayV2.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: aws.String(apiID), RouteId: r.RouteId,
								AuthorizationType: apitypes.AuthorizationTypeNone}))
						}
					}
				},
				Config:           cfg,
				ConfigPlanChecks: repaired,
				Check:            e.checkRouteAuthorization(&apiID),
			},
		},
	})
}

// checkRoleAsMade checks the role: Lambda's trust policy, the provider's
// inline policy alone (least privilege), no managed policy, no boundary.
func (e *accEnv) checkRoleAsMade(fn string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		role, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)})
		if err != nil {
			return err
		}
		if doc, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument)); doc != lambdaTrustPolicy {
			return fmt.Errorf("trust policy %s; want %s", doc, lambdaTrustPolicy)
		}
		if role.Role.PermissionsBoundary != nil {
			return fmt.Errorf("permissions boundary %s", aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn))
		}
		names, err := e.clients.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(fn)})
		if err != nil || !slices.Equal(names.PolicyNames, []string{issuerPolicyName}) {
			return fmt.Errorf("inline policies %v (%v); want only %s", names, err, issuerPolicyName)
		}
		pol, err := e.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String(issuerPolicyName)})
		if err != nil {
			return err
		}
		doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return err
		}
		if err := checkIssuerPolicy(doc, a["kms_key_arn"], fn); err != nil {
			return err
		}
		attached, err := e.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(fn)})
		if err != nil || len(attached.AttachedPolicies) > 0 {
			return fmt.Errorf("managed policies attached: %v (%v)", attached, err)
		}
		return nil
	}
}

// checkRouteAuthorization checks each route's authorization type (the
// authorizer id alone stays on a route switched to NONE): JWT on GET and
// POST, with the same authorizer, and NONE on OPTIONS.
func (e *accEnv) checkRouteAuthorization(apiID *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		routes, err := e.clients.APIGatewayV2.GetRoutes(context.Background(), &apigatewayv2.GetRoutesInput{ApiId: apiID})
		if err != nil {
			return err
		}
		var authorizer string
		for _, r := range routes.Items {
			key, typ := aws.ToString(r.RouteKey), r.AuthorizationType
			want := apitypes.AuthorizationTypeJwt
			if key == "OPTIONS /" {
				want = apitypes.AuthorizationTypeNone
			}
			if typ == "" {
				typ = apitypes.AuthorizationTypeNone
			}
			if typ != want {
				return fmt.Errorf("route %s: authorization %s; want %s", key, typ, want)
			}
			if want == apitypes.AuthorizationTypeJwt {
				if authorizer != "" && aws.ToString(r.AuthorizerId) != authorizer || aws.ToString(r.AuthorizerId) == "" {
					return fmt.Errorf("route %s: authorizer %q", key, aws.ToString(r.AuthorizerId))
				}
				authorizer = aws.ToString(r.AuthorizerId)
			}
		}
		return nil
	}
}

// L1 and L2: refused at plan, naming the attribute: throttling on a
// function URL (it has none, and the plan never settled), and a JWT
// authorizer in front of settings.auth = "none" (the issuer would mint
// for anyone once a route lost the authorizer).
func TestAccIssuer_frontRefusedAtPlan(t *testing.T) {
	testIssuerRefusedAtPlan(t,
		refusal{"  api_type            = \"function_url\"\n  throttle_rate_limit = 5\n" + minimalSettings,
			`(?s)Throttling needs API Gateway.*throttle_rate_limit = 5.*reserved_concurrency`},
		refusal{"  api_type             = \"function_url\"\n  throttle_burst_limit = 5\n" + minimalSettings,
			`(?s)Throttling needs API Gateway.*throttle_burst_limit = 5`},
		refusal{minimalSettings + `  jwt_authorizer = {
    issuer    = "https://idp.example.com/"
    audiences = ["video"]
  }
`, `(?s)An authorizer in front of an issuer that mints for anyone.*jwt_authorizer = \{.*settings.auth\s+=\s+"authorizer"`},
	)
}
