package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// accessDeployment is an echoing function behind routes of each
// authorization the provider sets, applied to moto.
type accessDeployment struct {
	httpAPI, restAPI string
	user             aws.Credentials // an IAM user's access key, made in moto
	goodKey          string          // an API key in a usage plan of the REST API's prod stage
	otherStageKey    string          // an API key in a usage plan of its dev stage only
	disabledKey      string          // a disabled API key in prod's usage plan
	goodKeyID        string
}

// deployAccess creates, through the SDK against moto, a function whose
// code is pkg and which the stand-in emulator runs as an echo of its
// event; an HTTP API with POST /admin (AWS_IAM), POST /lambda (a Lambda
// authorizer) and POST /open; a REST API (stage prod) with POST /iam
// (AWS_IAM), POST /keyed (ApiKeyRequired) and POST /cognito
// (COGNITO_USER_POOLS); a function URL with AWS_IAM; API keys and usage plans; and an IAM user's
// access key.
func deployAccess(t *testing.T, moto string, pkg []byte) accessDeployment {
	t.Helper()
	ctx := context.Background()
	cfg := emulators.SDKConfig(moto)
	var d accessDeployment
	ic := iam.NewFromConfig(cfg)
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("echo"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err, "iam CreateRole")
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("player-backend")})
	must(t, err, "iam CreateUser")
	ak, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("player-backend")})
	must(t, err, "iam CreateAccessKey")
	d.user = aws.Credentials{AccessKeyID: aws.ToString(ak.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(ak.AccessKey.SecretAccessKey)}

	fn, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("echo"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(lambdaArch())}, Code: &lambdatypes.FunctionCode{ZipFile: pkg},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"SECURESTREAM_FAKERIE_ECHO": "1"}},
	})
	must(t, err, "lambda CreateFunction")
	_, err = lambda.NewFromConfig(cfg).CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		AuthType: lambdatypes.FunctionUrlAuthTypeAwsIam})
	must(t, err, "lambda CreateFunctionUrlConfig")

	v2 := apigatewayv2.NewFromConfig(cfg)
	httpAPI, integration := createHTTPAPI(ctx, t, v2, "access", fn.FunctionArn)
	d.httpAPI = aws.ToString(httpAPI)
	lambdaAuth, err := v2.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: httpAPI, Name: aws.String("lambda"), AuthorizerType: "REQUEST",
		AuthorizerUri:  aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations"),
		IdentitySource: []string{"$request.header.Authorization"}, AuthorizerPayloadFormatVersion: aws.String("2.0")})
	must(t, err, "apigatewayv2 CreateAuthorizer")
	for key, auth := range map[string]string{"POST /admin": "AWS_IAM", "POST /lambda": "CUSTOM", "POST /open": "NONE"} {
		route := &apigatewayv2.CreateRouteInput{ApiId: httpAPI, RouteKey: aws.String(key), AuthorizationType: "NONE",
			Target: aws.String("integrations/" + aws.ToString(integration))}
		switch auth {
		case "AWS_IAM":
			route.AuthorizationType = "AWS_IAM"
		case "CUSTOM":
			route.AuthorizationType, route.AuthorizerId = "CUSTOM", lambdaAuth.AuthorizerId
		}
		_, err = v2.CreateRoute(ctx, route)
		must(t, err, "apigatewayv2 CreateRoute "+key)
	}

	v1 := apigateway.NewFromConfig(cfg)
	restAPI, root := createRESTAPI(ctx, t, v1, "access")
	d.restAPI = aws.ToString(restAPI)
	pool := "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_example"
	cognito, err := v1.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: restAPI, Name: aws.String("cognito"),
		Type: resttypes.AuthorizerTypeCognitoUserPools, ProviderARNs: []string{pool}, IdentitySource: aws.String("method.request.header.Authorization")})
	must(t, err, "apigateway CreateAuthorizer")
	for _, m := range []apigateway.PutMethodInput{
		{HttpMethod: aws.String("POST"), AuthorizationType: aws.String("AWS_IAM")},
		{HttpMethod: aws.String("POST"), AuthorizationType: aws.String("NONE"), ApiKeyRequired: true},
		{HttpMethod: aws.String("POST"), AuthorizationType: aws.String("COGNITO_USER_POOLS"), AuthorizerId: cognito.Id},
	} {
		part := map[string]string{"AWS_IAM": "iam", "NONE": "keyed", "COGNITO_USER_POOLS": "cognito"}[aws.ToString(m.AuthorizationType)]
		resource, err := v1.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: restAPI, ParentId: root, PathPart: aws.String(part)})
		must(t, err, "apigateway CreateResource "+part)
		m.RestApiId, m.ResourceId = restAPI, resource.Id
		_, err = v1.PutMethod(ctx, &m)
		must(t, err, "apigateway PutMethod "+part)
		_, err = v1.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: restAPI, ResourceId: resource.Id, HttpMethod: aws.String("POST"),
			Type: "AWS_PROXY", IntegrationHttpMethod: aws.String("POST"),
			Uri: aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + aws.ToString(fn.FunctionArn) + "/invocations")})
		must(t, err, "apigateway PutIntegration "+part)
	}
	for _, stage := range []string{"prod", "dev"} {
		_, err = v1.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: restAPI, StageName: aws.String(stage)})
		must(t, err, "apigateway CreateDeployment "+stage)
	}
	key := func(name, value string, enabled bool, stage string) string {
		k, err := v1.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String(name), Value: aws.String(value), Enabled: enabled})
		must(t, err, "apigateway CreateApiKey "+name)
		plan, err := v1.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String(name),
			ApiStages: []resttypes.ApiStage{{ApiId: restAPI, Stage: aws.String(stage)}}})
		must(t, err, "apigateway CreateUsagePlan "+name)
		_, err = v1.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k.Id, KeyType: aws.String("API_KEY")})
		must(t, err, "apigateway CreateUsagePlanKey "+name)
		return aws.ToString(k.Id)
	}
	d.goodKey, d.otherStageKey, d.disabledKey = "good-key-of-at-least-twenty-chars", "dev-key-of-at-least-twenty-chars", "off-key-of-at-least-twenty-chars"
	d.goodKeyID = key("good", d.goodKey, true, "prod")
	key("dev", d.otherStageKey, true, "dev")
	key("off", d.disabledKey, false, "prod")
	return d
}

// invocations counts, from the local API's log, the requests that
// reached a function.
type invocations struct {
	mu sync.Mutex
	n  int
}

func (c *invocations) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// call POSTs body to url, signed with creds for execute-api (lambda for
// a function URL; unsigned when creds has no key), with the extra
// header, and returns the answer.
func call(t *testing.T, url, body string, creds aws.Credentials, header http.Header) (int, string) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	r.Header.Set("Content-Type", "application/json")
	if creds.AccessKeyID != "" {
		sum := sha256.Sum256([]byte(body))
		service := "execute-api"
		if strings.Contains(url, "/fn/") {
			service = "lambda"
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The local API enforces on moto what API Gateway enforces on AWS before
// a function runs: AWS_IAM routes and methods take only requests signed
// with SigV4 by a known key and pass the function who moto's STS says
// the key is; a REST method with ApiKeyRequired takes only an enabled
// key in a usage plan of its stage; authorizers the local API cannot run
// (a Lambda authorizer, a Cognito user pool) refuse every request; a
// function URL with AWS_IAM takes requests signed for lambda. No
// refused request reaches the function.
func TestAccessOnMoto(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	pkg, pkgPath := api.StubPackage(t)
	d := deployAccess(t, moto.Endpoint, pkg)
	var inv invocations
	var logMu sync.Mutex
	var logged []string
	s := localtest.StartAPI(t, api.Options{Endpoint: moto.Endpoint, Package: pkgPath, RIE: api.FakeRIE(t),
		Credentials: map[string]string{"test": "test", d.user.AccessKeyID: d.user.SecretAccessKey},
		Logf: func(format string, args ...any) {
			line := fmt.Sprintf(format, args...)
			if strings.Contains(format, "-> function") {
				inv.mu.Lock()
				inv.n++
				inv.mu.Unlock()
			}
			logMu.Lock()
			logged = append(logged, line)
			logMu.Unlock()
			t.Log(line)
		}})
	testCreds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	whoIs := func(c aws.Credentials) string {
		cfg := emulators.SDKConfig(moto.Endpoint)
		cfg.Credentials = credentials.StaticCredentialsProvider{Value: c}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Arn)
	}
	userArn := whoIs(d.user)
	if !strings.HasSuffix(userArn, ":user/player-backend") {
		t.Fatalf("moto's STS says the IAM user's key is %s", userArn)
	}
	const body = `{"playback_url":"x"}`
	refused := func(name, path string, creds aws.Credentials, header http.Header, status int, want string) {
		t.Helper()
		before := inv.count()
		got, b := call(t, s.URL+path, body, creds, header)
		if got != status || strings.TrimSpace(b) != want {
			t.Errorf("%s: %d %s; want %d %s", name, got, b, status, want)
		}
		if inv.count() != before {
			t.Errorf("%s: the function was invoked", name)
		}
	}
	admitted := func(name, path string, creds aws.Credentials, header http.Header) string {
		t.Helper()
		before := inv.count()
		got, b := call(t, s.URL+path, body, creds, header)
		if got != http.StatusOK {
			t.Fatalf("%s: %d %s; want the function's answer", name, got, b)
		}
		if inv.count() != before+1 {
			t.Errorf("%s: the log shows %d invocations; want 1", name, inv.count()-before)
		}
		return b
	}

	// HTTP API, AWS_IAM.
	admin := "/" + d.httpAPI + "/admin"
	refused("HTTP API AWS_IAM, unsigned", admin, aws.Credentials{}, nil, 403, `{"message":"Forbidden"}`)
	refused("HTTP API AWS_IAM, wrong secret", admin, aws.Credentials{AccessKeyID: "test", SecretAccessKey: "nope"}, nil, 403, `{"message":"Forbidden"}`)
	for name, c := range map[string]aws.Credentials{"test/test": testCreds, "the IAM user": d.user} {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(admitted("HTTP API AWS_IAM, signed by "+name, admin, c, nil)), &ev); err != nil {
			t.Fatal(err)
		}
		a := ev.RequestContext.Authorizer
		if a == nil || a.IAM == nil || a.IAM.UserARN != whoIs(c) || a.IAM.AccessKey != c.AccessKeyID || a.IAM.AccountID == "" || a.IAM.UserID == "" {
			t.Errorf("signed by %s: requestContext.authorizer %+v; want iam.userArn %s (moto's STS)", name, a, whoIs(c))
		}
	}
	if b := admitted("HTTP API NONE", "/"+d.httpAPI+"/open", aws.Credentials{}, nil); strings.Contains(b, `"iam"`) {
		t.Errorf("an unauthenticated route's event has an IAM identity: %s", b)
	}
	refused("HTTP API Lambda authorizer", "/"+d.httpAPI+"/lambda", testCreds, http.Header{"Authorization": {"allow"}}, 401, `{"message":"Unauthorized"}`)

	// Function URL, AWS_IAM: Lambda's words, service lambda.
	refused("function URL AWS_IAM, unsigned", "/fn/echo/", aws.Credentials{}, nil, 403, `{"Message":"Forbidden"}`)
	var fnev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(admitted("function URL AWS_IAM, signed", "/fn/echo/", d.user, nil)), &fnev); err != nil {
		t.Fatal(err)
	}
	if a := fnev.RequestContext.Authorizer; a == nil || a.IAM == nil || a.IAM.UserARN != userArn {
		t.Errorf("function URL AWS_IAM: requestContext.authorizer %+v; want iam.userArn %s", a, userArn)
	}

	// REST API, AWS_IAM.
	iamPath := "/" + d.restAPI + "/prod/iam"
	refused("REST AWS_IAM, unsigned", iamPath, aws.Credentials{}, nil, 403, `{"message":"Missing Authentication Token"}`)
	refused("REST AWS_IAM, unknown key", iamPath, aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, nil, 403,
		`{"message":"The security token included in the request is invalid."}`)
	refused("REST AWS_IAM, wrong secret", iamPath, aws.Credentials{AccessKeyID: d.user.AccessKeyID, SecretAccessKey: "nope"}, nil, 403,
		`{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`)
	var rest events.APIGatewayProxyRequest
	if err := json.Unmarshal([]byte(admitted("REST AWS_IAM, signed", iamPath, d.user, nil)), &rest); err != nil {
		t.Fatal(err)
	}
	if id := rest.RequestContext.Identity; id.UserArn != userArn || id.AccessKey != d.user.AccessKeyID || id.AccountID == "" || id.Caller == "" {
		t.Errorf("REST AWS_IAM: requestContext.identity %+v; want userArn %s", id, userArn)
	}

	// REST API, ApiKeyRequired.
	keyed := "/" + d.restAPI + "/prod/keyed"
	forbidden := `{"message":"Forbidden"}`
	refused("REST API key, none", keyed, aws.Credentials{}, nil, 403, forbidden)
	refused("REST API key, wrong", keyed, aws.Credentials{}, http.Header{"X-Api-Key": {"not-a-key-of-this-account-at-all"}}, 403, forbidden)
	refused("REST API key, in another stage's plan", keyed, aws.Credentials{}, http.Header{"X-Api-Key": {d.otherStageKey}}, 403, forbidden)
	refused("REST API key, disabled", keyed, aws.Credentials{}, http.Header{"X-Api-Key": {d.disabledKey}}, 403, forbidden)
	rest = events.APIGatewayProxyRequest{}
	if err := json.Unmarshal([]byte(admitted("REST API key, right", keyed, aws.Credentials{}, http.Header{"X-Api-Key": {d.goodKey}})), &rest); err != nil {
		t.Fatal(err)
	}
	if id := rest.RequestContext.Identity; id.APIKeyID != d.goodKeyID || id.APIKey != d.goodKey || id.AccessKey != "" || id.UserArn != "" {
		t.Errorf("REST API key: requestContext.identity %+v; want apiKeyId %s and no IAM identity", id, d.goodKeyID)
	}
	// The dev stage's plan admits its key there.
	admitted("REST API key, dev stage", "/"+d.restAPI+"/dev/keyed", aws.Credentials{}, http.Header{"X-Api-Key": {d.otherStageKey}})

	// REST API, a Cognito user pool: refused whatever the request carries.
	refused("REST COGNITO_USER_POOLS", "/"+d.restAPI+"/prod/cognito", testCreds, nil, 401, `{"message":"Unauthorized"}`)

	logMu.Lock()
	defer logMu.Unlock()
	all := strings.Join(logged, "\n")
	for _, want := range []string{"cannot run COGNITO_USER_POOLS authorizers, so it refuses every request", "cannot run CUSTOM authorizers",
		"a JWT authorizer (HTTP API) with a local identity provider"} {
		if !strings.Contains(all, want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	for _, secret := range []string{d.user.SecretAccessKey, "Signature="} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds a secret or a signature (%.12s...)", secret)
		}
	}
}
