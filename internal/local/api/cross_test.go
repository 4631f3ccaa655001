package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

const (
	functionName = "securestream-issuer"
	playbackURL  = "https://media.example.com/vod/movie-42/index.m3u8"
	userAgent    = "ExoPlayerLib/2.19.1"
)

// lambdaArch is this machine's architecture as Lambda names it: the
// emulator runs the bootstrap natively.
func lambdaArch() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

// deployment is what the test applied to moto, as Terraform would.
type deployment struct {
	ring      *keyring.Document
	functionA string // the issuer's function ARN
	httpAPI   string
	restAPI   string
}

// deploy creates, through the SDK against moto, the issuer as the
// securestream_issuer resource would: a KMS key and the key ring sealed
// under it for the function, an IAM role, the function from pkg with the
// issuer's environment, a function URL, an HTTP API and a REST API with a
// POST /streamkey route integrated with it.
func deploy(t *testing.T, moto string, pkg []byte) deployment {
	t.Helper()
	ctx := context.Background()
	cfg := emulators.SDKConfig(moto)
	created := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	d := deployment{ring: &keyring.Document{Version: 1, Keys: []keyring.Key{{ID: "k1", Secret: []byte("a-key-for-the-local-api-test-32b!"), Created: created}}}}

	kc := kms.NewFromConfig(cfg)
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("securestream local API test")})
	must(t, err, "kms CreateKey")
	sealed, err := keyring.Seal(ctx, keyring.KMS{Client: kc}, aws.ToString(key.KeyMetadata.Arn), functionName, d.ring)
	must(t, err, "sealing the ring")

	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(functionName),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err, "iam CreateRole")

	lc := lambda.NewFromConfig(cfg)
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(functionName), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(lambdaArch())}, Code: &lambdatypes.FunctionCode{ZipFile: pkg},
		Environment: &lambdatypes.Environment{Variables: map[string]string{
			"SECURESTREAM_KEYRING": sealed, "SECURESTREAM_KMS_KEY_ID": aws.ToString(key.KeyMetadata.Arn), "SECURESTREAM_AUTH": "none",
			"SECURESTREAM_ALLOWED_HOSTS": "media.example.com", "SECURESTREAM_ALLOWED_PATH_PREFIXES": "/vod/", "SECURESTREAM_ACTIVATION_DELAY": "1m",
		}},
	})
	must(t, err, "lambda CreateFunction")
	d.functionA = aws.ToString(fn.FunctionArn)
	_, err = lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(functionName), AuthType: lambdatypes.FunctionUrlAuthTypeNone})
	must(t, err, "lambda CreateFunctionUrlConfig")

	v2 := apigatewayv2.NewFromConfig(cfg)
	httpAPI, integration := createHTTPAPI(ctx, t, v2, "securestream", fn.FunctionArn)
	d.httpAPI = aws.ToString(httpAPI)
	_, err = v2.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: httpAPI, RouteKey: aws.String("POST /streamkey"),
		Target: aws.String("integrations/" + aws.ToString(integration))})
	must(t, err, "apigatewayv2 CreateRoute")

	v1 := apigateway.NewFromConfig(cfg)
	restAPI, root := createRESTAPI(ctx, t, v1, "securestream")
	d.restAPI = aws.ToString(restAPI)
	resource, err := v1.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: restAPI, ParentId: root, PathPart: aws.String("streamkey")})
	must(t, err, "apigateway CreateResource")
	_, err = v1.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: restAPI, ResourceId: resource.Id, HttpMethod: aws.String("POST"), AuthorizationType: aws.String("NONE")})
	must(t, err, "apigateway PutMethod")
	_, err = v1.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: restAPI, ResourceId: resource.Id, HttpMethod: aws.String("POST"),
		Type: "AWS_PROXY", IntegrationHttpMethod: aws.String("POST"),
		Uri: aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + d.functionA + "/invocations")})
	must(t, err, "apigateway PutIntegration")
	_, err = v1.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: restAPI, StageName: aws.String("prod")})
	must(t, err, "apigateway CreateDeployment")
	return d
}

// issuerPackage is the embedded package for this machine, or, without
// `make issuer`, one built now; it returns the zip's path too.
func issuerPackage(t *testing.T) (pkg []byte, path string) {
	t.Helper()
	pkg, err := issuerpkg.Package(lambdaArch())
	if err != nil {
		if pkg, err = issuerpkg.Build(context.Background(), testenv.RepoRoot(t), lambdaArch()); err != nil {
			t.Fatal(err)
		}
	}
	path = filepath.Join(t.TempDir(), issuerpkg.FileName(lambdaArch()))
	if err := os.WriteFile(path, pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	return pkg, path
}

// What Terraform would apply to moto answers through the local API, as
// API Gateway and the function URL would: the issuer package runs under
// aws-lambda-rie with the function's environment, opens its ring through
// moto's KMS, and mints keys the Go verifier accepts, through an HTTP API,
// a REST API and a function URL, from one warm runtime.
func TestIssuerThroughLocalAPI(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	pkg, pkgPath := issuerPackage(t)
	d := deploy(t, moto.Endpoint, pkg)

	s, starts := api.StartCounting(t, api.Options{Endpoint: moto.Endpoint, Package: pkgPath, RIE: localtest.FindRIE(t)})
	ring, err := d.ring.Ring()
	if err != nil {
		t.Fatal(err)
	}
	ver := &streamkey.Verifier{Ring: ring}
	for name, path := range map[string]string{
		"HTTP API":     "/" + d.httpAPI + "/streamkey",
		"REST API":     "/" + d.restAPI + "/prod/streamkey",
		"function URL": "/fn/" + functionName + "/",
	} {
		t.Run(name, func(t *testing.T) {
			status, body := api.Post(t, s.URL+path, `{"playback_url": "`+playbackURL+`"}`, userAgent)
			if status != http.StatusOK {
				t.Fatalf("%d %s", status, body)
			}
			var key struct {
				Token string `json:"token"`
				KeyID string `json:"key_id"`
			}
			if err := json.Unmarshal([]byte(body), &key); err != nil || key.KeyID != "k1" {
				t.Fatalf("answer %s (%v)", body, err)
			}
			r := ver.Verify(key.Token, streamkey.Request{Path: "/vod/movie-42/720p/seg_1.ts", Host: "media.example.com", ClientIP: "127.0.0.1", UserAgent: userAgent})
			if !r.OK() {
				t.Fatalf("the Go verifier refuses the key: %s", r.Reason)
			}
			if status, body := api.Post(t, s.URL+path, `{"playback_url": "https://other.example.com/vod/a.m3u8"}`, userAgent); status != http.StatusForbidden || !strings.Contains(body, "host_not_allowed") {
				t.Errorf("a host the issuer does not sign for: %d %s", status, body)
			}
		})
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("the function was started %d times for three front doors; one warm runtime serves them", n)
	}

	// Routes and stages that do not exist are 404s that say so.
	if status, body := api.Post(t, s.URL+"/"+d.restAPI+"/dev/streamkey", "{}", userAgent); status != http.StatusNotFound || !strings.Contains(body, `no stage \"dev\"`) {
		t.Errorf("a missing stage: %d %s", status, body)
	}
	if status, body := api.Post(t, s.URL+"/"+d.httpAPI+"/other", "{}", userAgent); status != http.StatusNotFound || !strings.Contains(body, "no route matches POST /other") {
		t.Errorf("a missing route: %d %s", status, body)
	}

	// Code that is not the package is refused, not run in its place.
	other, _ := issuerpkg.Zip([]byte("#!/bin/sh\necho not the issuer\n"))
	_, err = lambda.NewFromConfig(emulators.SDKConfig(moto.Endpoint)).UpdateFunctionCode(context.Background(),
		&lambda.UpdateFunctionCodeInput{FunctionName: aws.String(functionName), ZipFile: other})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := api.Post(t, s.URL+"/fn/"+functionName+"/", `{"playback_url": "`+playbackURL+`"}`, userAgent); status != http.StatusBadGateway ||
		!strings.Contains(body, "CodeSha256 "+issuerpkg.SourceCodeHash(other)) {
		t.Errorf("changed code: %d %s", status, body)
	}
}

// must fails t, naming what the test was doing, when err is not nil.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// createHTTPAPI creates an HTTP API named name with a Lambda proxy
// integration (payload 2.0) of the function fn and its $default stage,
// deployed automatically, as the provider does, and returns the API's and
// the integration's ids.
func createHTTPAPI(ctx context.Context, t *testing.T, v2 *apigatewayv2.Client, name string, fn *string) (api, integration *string) {
	t.Helper()
	out, err := v2.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(name), ProtocolType: "HTTP"})
	must(t, err, "apigatewayv2 CreateApi")
	in, err := v2.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: out.ApiId, IntegrationType: "AWS_PROXY",
		IntegrationUri: fn, PayloadFormatVersion: aws.String("2.0")})
	must(t, err, "apigatewayv2 CreateIntegration")
	_, err = v2.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: out.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)})
	must(t, err, "apigatewayv2 CreateStage")
	return out.ApiId, in.IntegrationId
}

// createRESTAPI creates a REST API named name and returns its id and its
// root resource's.
func createRESTAPI(ctx context.Context, t *testing.T, v1 *apigateway.Client, name string) (api, root *string) {
	t.Helper()
	out, err := v1.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(name)})
	must(t, err, "apigateway CreateRestApi")
	res, err := v1.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: out.Id})
	must(t, err, "apigateway GetResources")
	return out.Id, res.Items[0].Id
}
