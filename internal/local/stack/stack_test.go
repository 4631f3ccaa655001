package stack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfsdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// get reports whether url answers at all, and its status.
func get(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// startWithMoto starts the stack with opts, moto_server included, for the
// rest of the test (cross tier).
func startWithMoto(t *testing.T, opts Options) *Stack {
	t.Helper()
	testenv.Cross(t)
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatal("moto_server is not installed: " + testenv.MotoInstall)
	}
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The local CloudFront alone, on free ports; Close stops it.
func TestStartCloudFrontAlone(t *testing.T) {
	s, err := Start(context.Background(), Options{WithoutMoto: true, CloudFront: cloudfront.Config{ViewerIPHeader: "X-Forwarded-For"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.MotoURL != "" || s.API != nil {
		t.Errorf("without moto: MotoURL %q, API %v; want neither", s.MotoURL, s.API)
	}
	if !strings.HasPrefix(s.CloudFront.Endpoint, "http://127.0.0.1:") || !strings.HasPrefix(s.CloudFront.EdgeEndpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoints %q, %q", s.CloudFront.Endpoint, s.CloudFront.EdgeEndpoint)
	}
	if code, err := get(s.CloudFront.Endpoint + "/2020-05-31/function"); err != nil || code != 200 {
		t.Fatalf("ListFunctions: %d %v", code, err)
	}
	edge := s.CloudFront.EdgeEndpoint
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(edge); err == nil {
		t.Error("the edge still answers after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// Start's local CloudFront is faithful by default (make demo and the
// tests on the stack get it): a new distribution is InProgress, then
// Deployed after cloudfront.DefaultDeployDelay; publishing unchanged code
// again is refused with 412 PreconditionFailed.
func TestStartFaithfulByDefault(t *testing.T) {
	s, err := Start(context.Background(), Options{WithoutMoto: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	c := cloudFrontClient(s)

	fn := createFunction(t, s, "f")
	if _, err := c.PublishFunction(ctx, &cfsdk.PublishFunctionInput{Name: aws.String("f"), IfMatch: fn.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PublishFunction(ctx, &cfsdk.PublishFunctionInput{Name: aws.String("f"), IfMatch: fn.ETag})
	if ae := (*cftypes.PreconditionFailed)(nil); !errors.As(err, &ae) {
		t.Errorf("publishing unchanged code again: %v; want PreconditionFailed, as AWS", err)
	}

	d, err := c.CreateDistribution(ctx, &cfsdk.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("r"), Comment: aws.String(""), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("o"), DomainName: aws.String("origin.example.test"),
			CustomOriginConfig: &cftypes.CustomOriginConfig{HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpOnly}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("o"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(d.Distribution.Status); got != "InProgress" {
		t.Fatalf("a new distribution is %s; want InProgress (cloudfront.DefaultDeployDelay)", got)
	}
	// The hang guard is 10 times the delay; the waiter polls every 100 ms.
	w := cfsdk.NewDistributionDeployedWaiter(c, func(o *cfsdk.DistributionDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx, &cfsdk.GetDistributionInput{Id: d.Distribution.Id}, 10*cloudfront.DefaultDeployDelay); err != nil {
		t.Fatalf("waiting for Deployed: %v", err)
	}
}

// A taken address is an error that names it, and leaves nothing running.
func TestStartTakenAddress(t *testing.T) {
	first, err := Start(context.Background(), Options{WithoutMoto: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	taken := strings.TrimPrefix(first.CloudFront.Endpoint, "http://")
	if _, err := Start(context.Background(), Options{WithoutMoto: true, EdgeAddr: taken}); err == nil || !strings.Contains(err.Error(), taken) {
		t.Fatalf("edge on a taken address: %v; want an error naming %s", err, taken)
	}
}

// Without moto_server, Start says how to install it, and starts nothing.
func TestStartWithoutMotoInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s, err := Start(context.Background(), Options{})
	if !errors.Is(err, ErrNoMoto) || !strings.Contains(err.Error(), "pip install") || s != nil {
		t.Fatalf("Start without moto_server: %v, %v; want ErrNoMoto with the install command", s, err)
	}
}

// The whole stack: moto, the local CloudFront and the local API answer,
// and Close stops moto_server.
func TestStartWithMoto(t *testing.T) {
	s := startWithMoto(t, Options{})
	if s.API == nil || s.MotoURL == "" {
		t.Fatalf("MotoURL %q, API %v; want both", s.MotoURL, s.API)
	}
	if code, err := get(s.MotoURL + "/moto-api/"); err != nil || code != 200 {
		t.Fatalf("moto: %d %v", code, err)
	}
	// An API that does not exist: the local API asked moto and says so.
	if code, err := get(s.API.URL + "/nosuchapi/"); err != nil || code != 404 {
		t.Fatalf("local API: %d %v; want 404", code, err)
	}
	moto := s.MotoURL
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(moto + "/moto-api/"); err == nil {
		t.Error("moto_server still answers after Close")
	}
}

// The stack's moto lets no web page read its answers: no
// Access-Control-Allow-Origin to a request with an Origin, preflight or
// not (moto's global CORS allows every origin).
func TestMotoWithoutCORS(t *testing.T) {
	s := startWithMoto(t, Options{WithoutAPI: true})
	localtest.NoCORS(t, s.MotoURL)
}

// The stack's moto answers loopback names only (a proxy in front of it
// checks Host): a web page that rebinds its own name to 127.0.0.1 cannot
// call it as same-origin. The SDK's calls, by 127.0.0.1, go through.
func TestMotoForeignHostRefused(t *testing.T) {
	s := startWithMoto(t, Options{WithoutAPI: true})
	for host, want := range map[string]int{"evil.example": 403, "evil.example:5000": 403, "x.cloudfront.local": 403, "127.0.0.1": 200, "localhost:5000": 200} {
		req, _ := http.NewRequest(http.MethodGet, s.MotoURL+"/moto-api/", nil)
		req.Host = host
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != want || (want == 403 && !strings.Contains(string(b), "Host")) {
			t.Errorf("Host %q: %d %s; want %d", host, resp.StatusCode, b, want)
		}
	}
	// moto's own API through the proxy, as the SDK calls it.
	req, _ := http.NewRequest(http.MethodPost, s.MotoURL+"/", strings.NewReader("{}"))
	req.Header = http.Header{
		"X-Amz-Target":  {"TrentService.ListKeys"},
		"Content-Type":  {"application/x-amz-json-1.1"},
		"Authorization": {"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0"},
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Keys") {
		t.Errorf("kms ListKeys through the stack's moto URL: %d %s", resp.StatusCode, b)
	}
}
