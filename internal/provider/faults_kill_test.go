package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// stackConfig is the whole stack: the secret, the edge function attached
// to a distribution, and the issuer behind an HTTP API; the AWS calls go
// to endpoint (a fault proxy in front of moto), CloudFront's to the local
// CloudFront. secretExtra is added to the secret's arguments.
func stackConfig(endpoint, cfEndpoint, fn, edge, dist, pkg, secretExtra string) string {
	return testProvider(endpoint, cloudfrontEndpoint(cfEndpoint)) + secretHCL(fn, secretExtra) +
		functionHCL("f", edge, assocHCL(assocEntry(dist, ""))) + fmt.Sprintf(`
resource "securestream_issuer" "i" {
  function_name     = securestream_secret.s.function_name
  key_ring          = securestream_secret.s.key_ring
  package_path      = %q
  api_type          = "http"
  settings = {
    auth          = "none"
    allowed_hosts = ["media.example.com"]
  }
}
`, pkg)
}

// Terraform killed (SIGKILL) in the middle of an apply of the whole
// stack, at a moment when AWS objects were made but not recorded: the
// issuer's role, policy, KMS grant and log group (killed in its
// CreateFunction), or also its function, HTTP API, integration and routes
// (killed in its CreateStage). The next apply converges (the plan after
// it is empty, with one function and one API), and the destroy then
// leaves no object in moto or the local CloudFront (leftovers lists what
// is looked for).
func TestAccFaults_killedApply(t *testing.T) {
	requireTerraform(t)
	t.Parallel()
	for _, op := range []string{"lambda:CreateFunction", "apigatewayv2:CreateStage"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			killedApply(t, op)
		})
	}
}

func killedApply(t *testing.T, killAt string) {
	e := newCFEnv(t, localcf.Config{})
	if e.endpoint == "" {
		t.Fatal("this test kills Terraform while the proxy in front of moto holds a call: unset SECURESTREAM_ACC_ENDPOINT=aws")
	}
	dist := e.distribution(t)
	p := localtest.StartFaultProxy(t, e.endpoint)
	pkgPath, _ := testPackage(t, "echo one")
	fn, edge := name("issuer"), name("edge")
	tf := newTFProcess(t, stackConfig(p.URL, e.cf.Endpoint, fn, edge, dist, pkgPath, ""))
	ctx := context.Background()

	// The secret and the edge function first, in an apply of their own, so
	// that the kill hits the issuer's create alone. In one apply the edge
	// function's create would run beside the issuer's, and whether the
	// state file records it before the kill depends on the binary:
	// Terraform writes the local state at each change, OpenTofu at most
	// every 20 s during an apply (TF_STATE_PERSIST_INTERVAL, 20 at least).
	if out, err := tf.run("apply", "-auto-approve", "-no-color", "-target=securestream_function.f"); err != nil {
		t.Fatalf("applying the secret and the edge function (-target): %v\n%s", err, out)
	}
	if !slices.Contains(tf.stateResources(), "securestream_function.f") {
		t.Fatalf("the state does not record the edge function after its apply: %v", tf.stateResources())
	}

	hold := p.Hold(killAt)
	apply := tf.start("apply", "-auto-approve", "-no-color")
	select {
	case <-hold.Arrived():
	case <-time.After(60 * time.Second):
		t.Fatalf("the apply never reached %s:\n%s", killAt, apply.out.String())
	}
	if err := apply.kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.Abandoned(): // the provider's call was cancelled with Terraform's connection
	case <-time.After(10 * time.Second):
		t.Fatal("the held call was not abandoned after Terraform was killed")
	}
	hold.Release()
	// Objects were made that the state does not record.
	if slices.Contains(tf.stateResources(), "securestream_issuer.i") {
		t.Fatalf("the state records the issuer, whose create was killed: %v\n%s", tf.stateResources(), apply.out.String())
	}
	if _, err := e.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(fn)}); err != nil {
		t.Fatalf("the killed create made no role (the kill came too early to test anything): %v", err)
	}

	out, err := tf.run("apply", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatalf("the apply after the kill failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Resuming an interrupted create") {
		t.Errorf("the apply after the kill did not say that it resumed an interrupted create:\n%s", out)
	}
	if err := tf.planIsEmpty(); err != nil {
		t.Fatal(err)
	}
	functions, err := e.clients.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(functions.Functions) != 1 {
		t.Fatalf("after the apply: %v functions (%v); want 1", functions, err)
	}
	apis, err := e.clients.APIGatewayV2.GetApis(ctx, &apigatewayv2.GetApisInput{})
	if err != nil || len(apis.Items) != 1 {
		t.Fatalf("after the apply: %d HTTP APIs (%v); want 1", len(apis.Items), err)
	}
	if arns, err := e.functionsOn(dist, ""); err != nil || len(arns) != 1 || !strings.HasSuffix(arns[0], ":function/"+edge) {
		t.Fatalf("the distribution runs %v (%v); want %s", arns, err, edge)
	}

	if out, err := tf.run("destroy", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("terraform destroy: %v\n%s", err, out)
	}
	if left := leftovers(ctx, e, dist); len(left) > 0 {
		t.Fatalf("left after the destroy:\n  %s", strings.Join(left, "\n  "))
	}
}

// leftovers lists every object in moto and the local CloudFront that a
// destroyed stack may have left: IAM roles, Lambda functions, HTTP and
// REST APIs, API keys and usage plans, log groups, KMS keys not pending
// deletion, KMS grants, CloudFront functions, and function associations
// on the distribution (which the test made, and which stays).
func leftovers(ctx context.Context, e *cfEnv, dist string) []string {
	var left []string
	fail := func(what string, err error) {
		left = append(left, listingFailed(what, err))
	}
	roles, err := emptyOnError(e.clients.IAM.ListRoles(ctx, &iam.ListRolesInput{}))
	addListed(&left, "IAM roles", roles.Roles, err, func(r iamtypes.Role) string { return "IAM role " + aws.ToString(r.Arn) })
	functions, err := emptyOnError(e.clients.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{}))
	addListed(&left, "Lambda functions", functions.Functions, err,
		func(f lambdatypes.FunctionConfiguration) string {
			return "Lambda function " + aws.ToString(f.FunctionName)
		})
	httpAPIs, err := emptyOnError(e.clients.APIGatewayV2.GetApis(ctx, &apigatewayv2.GetApisInput{}))
	addListed(&left, "HTTP APIs", httpAPIs.Items, err,
		func(a apitypes.Api) string { return "HTTP API " + aws.ToString(a.ApiId) + " " + aws.ToString(a.Name) })
	restAPIs, err := emptyOnError(e.clients.APIGateway.GetRestApis(ctx, &apigateway.GetRestApisInput{}))
	addListed(&left, "REST APIs", restAPIs.Items, err,
		func(a resttypes.RestApi) string { return "REST API " + aws.ToString(a.Id) + " " + aws.ToString(a.Name) })
	keys, err := emptyOnError(e.clients.APIGateway.GetApiKeys(ctx, &apigateway.GetApiKeysInput{}))
	addListed(&left, "API keys", keys.Items, err, func(k resttypes.ApiKey) string { return "API key " + aws.ToString(k.Id) })
	plans, err := emptyOnError(e.clients.APIGateway.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{}))
	addListed(&left, "usage plans", plans.Items, err, func(u resttypes.UsagePlan) string { return "usage plan " + aws.ToString(u.Id) })
	groups, err := emptyOnError(e.clients.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}))
	addListed(&left, "log groups", groups.LogGroups, err, func(g logstypes.LogGroup) string { return "log group " + aws.ToString(g.LogGroupName) })
	if out, err := e.clients.KMS.ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		fail("KMS keys", err)
	} else {
		for _, k := range out.Keys {
			m, err := e.describeKey(aws.ToString(k.KeyId))
			if err != nil {
				fail("KMS key "+aws.ToString(k.KeyId), err)
				continue
			}
			if m.KeyState != kmstypes.KeyStatePendingDeletion {
				left = append(left, fmt.Sprintf("KMS key %s (%s, not scheduled for deletion)", aws.ToString(k.KeyId), m.KeyState))
			}
			grants, err := e.clients.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: k.KeyId})
			if err != nil {
				fail("KMS grants of "+aws.ToString(k.KeyId), err)
				continue
			}
			for _, g := range grants.Grants {
				left = append(left, fmt.Sprintf("KMS grant %s on %s to %s", aws.ToString(g.GrantId), aws.ToString(k.KeyId), aws.ToString(g.GranteePrincipal)))
			}
		}
	}
	edge, err := emptyOnError(e.client.ListFunctions(ctx, &cloudfront.ListFunctionsInput{}))
	if edge.FunctionList == nil {
		edge.FunctionList = &cftypes.FunctionList{}
	}
	addListed(&left, "CloudFront functions", edge.FunctionList.Items, err,
		func(f cftypes.FunctionSummary) string { return "CloudFront function " + aws.ToString(f.Name) })
	for _, pattern := range []string{"", "/live/*"} {
		arns, err := e.functionsOn(dist, pattern)
		if err != nil {
			fail("the distribution's associations", err)
		}
		for _, a := range arns {
			left = append(left, fmt.Sprintf("association of %s on %s %q", a, dist, pattern))
		}
	}
	return left
}

// emptyOnError is an AWS call's answer, empty when the call failed, so that a
// listing's items can be read either way.
func emptyOnError[O any](out *O, err error) (*O, error) {
	if out == nil {
		out = new(O)
	}
	return out, err
}

// addListed adds to left a line (made by line) per item a listing found, or,
// when the listing failed, that it did: a leftover may hide behind it.
func addListed[T any](left *[]string, what string, items []T, err error, line func(T) string) {
	if err != nil {
		*left = append(*left, listingFailed(what, err))
		return
	}
	for _, it := range items {
		*left = append(*left, line(it))
	}
}

// listingFailed says that the listing of what failed.
func listingFailed(what string, err error) string {
	return fmt.Sprintf("%s: the listing failed: %v", what, err)
}
