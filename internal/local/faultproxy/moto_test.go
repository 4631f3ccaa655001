package faultproxy_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// In front of moto, the proxy passes calls through unchanged, names the
// SDK's API Gateway calls, and an injected IAM error reaches the SDK as
// IAM's own typed error.
func TestInFrontOfMoto(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	p := localtest.StartFaultProxy(t, moto.Endpoint)
	cfg := emulators.SDKConfig(p.URL)
	cfg.RetryMaxAttempts = 1
	ctx := context.Background()
	ic := iam.NewFromConfig(cfg)
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{}")}); err != nil {
		t.Fatal(err)
	}
	p.Fail("iam:GetRole", 1, "NoSuchEntity")
	var nse *iamtypes.NoSuchEntityException
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); !errors.As(err, &nse) {
		t.Fatalf("the injected NoSuchEntity is not IAM's typed error: %v", err)
	}
	if out, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil || aws.ToString(out.Role.RoleName) != "r" {
		t.Fatalf("the next GetRole did not reach moto: %v", err)
	}
	api, err := apigatewayv2.NewFromConfig(cfg).CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("a"), ProtocolType: "HTTP"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apigatewayv2.NewFromConfig(cfg).GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: api.ApiId}); err != nil {
		t.Fatal(err)
	}
	if _, err := apigateway.NewFromConfig(cfg).CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"iam:CreateRole", "apigatewayv2:CreateApi", "apigateway:CreateRestApi"}
	if got := p.Writes(); !slices.Equal(got, want) {
		t.Errorf("writes %v, want %v (all calls: %+v)", got, want, p.Calls())
	}
	if c := p.Counts(); c["iam:GetRole"] != 2 || c["apigatewayv2:GetRoutes"] != 1 || c["lambda:ListFunctions"] != 1 {
		t.Errorf("counts %v", c)
	}
}
