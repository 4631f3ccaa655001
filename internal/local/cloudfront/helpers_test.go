package cloudfront

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"

	"github.com/securestream/terraform-provider-securestream/internal/local/servetest"
)

var ctx = context.Background()

// testAccessKey is the access key id of the credentials the tests' SDK
// clients sign with (the local CloudFront accepts any).
const testAccessKey = "AKIDLOCAL"

var testCredentials = credentials.NewStaticCredentialsProvider(testAccessKey, "secret", "")

// sdk returns the unmodified SDK client pointed at s.
func sdk(s *Server) *cf.Client {
	return cf.New(cf.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       "us-east-1",
		Credentials:  testCredentials,
	})
}

const testCode = `function handler(event) { return event.request; }`

func createFn(t *testing.T, c *cf.Client, name, code string) *cf.CreateFunctionOutput {
	t.Helper()
	out, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String(name), FunctionCode: []byte(code),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

func createDist(t testing.TB, c *cf.Client, cfg *types.DistributionConfig) *cf.CreateDistributionOutput {
	t.Helper()
	out, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// createLive creates and publishes a function and returns its ARN.
func createLive(t *testing.T, c *cf.Client, name, code string) string {
	t.Helper()
	out := createFn(t, c, name, code)
	if _, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String(name), IfMatch: out.ETag}); err != nil {
		t.Fatalf("PublishFunction %s: %v", name, err)
	}
	return *out.FunctionSummary.FunctionMetadata.FunctionARN
}

// wantCode checks that err is the API error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("got error %v; want %s", err, code)
	}
}

// raw sends a request at the wire, without the SDK.
func raw(t *testing.T, s *Server, method, path string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// wantWireError checks an error response as CloudFront sends it: the
// status, text/xml, the ErrorResponse document in the API's namespace
// with Type, Code, Message and a RequestId equal to x-amzn-RequestId.
func wantWireError(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	var doc struct {
		XMLName   xml.Name
		Type      string `xml:"Error>Type"`
		Code      string `xml:"Error>Code"`
		Message   string `xml:"Error>Message"`
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("error body is not XML (%v): %s", err, body)
	}
	wantType := "Sender"
	if status >= 500 {
		wantType = "Receiver"
	}
	switch {
	case resp.StatusCode != status || doc.Code != code:
		t.Fatalf("got %d %s; want %d %s: %s", resp.StatusCode, doc.Code, status, code, body)
	case doc.XMLName.Local != "ErrorResponse" || doc.XMLName.Space != Namespace:
		t.Fatalf("root %v; want ErrorResponse in %s", doc.XMLName, Namespace)
	case doc.Type != wantType || doc.Message == "":
		t.Fatalf("Type %q, Message %q; want %s and a message", doc.Type, doc.Message, wantType)
	case doc.RequestID == "" || resp.Header.Get("X-Amzn-Requestid") != doc.RequestID:
		t.Fatalf("RequestId %q, x-amzn-RequestId %q: want equal and set", doc.RequestID, resp.Header.Get("X-Amzn-Requestid"))
	case resp.Header.Get("Content-Type") != "text/xml":
		t.Fatalf("Content-Type %q; want text/xml", resp.Header.Get("Content-Type"))
	}
}

// distConfig is a distribution configuration with an HTTP origin at
// host:port, a /media/* behavior and a default behavior, the function
// fnARN (if any) on viewer requests of both.
func distConfig(ref, host string, port int32, fnARN string) *types.DistributionConfig {
	assoc := &types.FunctionAssociations{Quantity: aws.Int32(0)}
	if fnARN != "" {
		assoc = &types.FunctionAssociations{Quantity: aws.Int32(1), Items: []types.FunctionAssociation{
			{FunctionARN: aws.String(fnARN), EventType: types.EventTypeViewerRequest}}}
	}
	methods := &types.AllowedMethods{Quantity: aws.Int32(3), Items: []types.Method{"GET", "HEAD", "OPTIONS"},
		CachedMethods: &types.CachedMethods{Quantity: aws.Int32(2), Items: []types.Method{"GET", "HEAD"}}}
	return &types.DistributionConfig{
		CallerReference: aws.String(ref),
		Comment:         aws.String("securestream test"),
		Enabled:         aws.Bool(true),
		Aliases:         &types.Aliases{Quantity: aws.Int32(1), Items: []string{"video.example.test"}},
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
			Id: aws.String("origin1"), DomainName: aws.String(host), OriginPath: aws.String(""),
			CustomHeaders: &types.CustomHeaders{Quantity: aws.Int32(0)},
			CustomOriginConfig: &types.CustomOriginConfig{HTTPPort: aws.Int32(port), HTTPSPort: aws.Int32(443),
				OriginProtocolPolicy: types.OriginProtocolPolicyHttpOnly, OriginReadTimeout: aws.Int32(30),
				OriginSslProtocols: &types.OriginSslProtocols{Quantity: aws.Int32(1), Items: []types.SslProtocol{types.SslProtocolTLSv12}}},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{TargetOriginId: aws.String("origin1"),
			ViewerProtocolPolicy: types.ViewerProtocolPolicyRedirectToHttps, CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"),
			Compress: aws.Bool(true), AllowedMethods: methods, FunctionAssociations: assoc},
		CacheBehaviors: &types.CacheBehaviors{Quantity: aws.Int32(1), Items: []types.CacheBehavior{{
			PathPattern: aws.String("/media/*"), TargetOriginId: aws.String("origin1"),
			ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll, CachePolicyId: aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
			AllowedMethods: methods, FunctionAssociations: assoc,
		}}},
		CustomErrorResponses: &types.CustomErrorResponses{Quantity: aws.Int32(1), Items: []types.CustomErrorResponse{
			{ErrorCode: aws.Int32(404), ErrorCachingMinTTL: aws.Int64(10)}}},
		Logging:    &types.LoggingConfig{Enabled: aws.Bool(false), IncludeCookies: aws.Bool(false), Bucket: aws.String(""), Prefix: aws.String("")},
		PriceClass: types.PriceClassPriceClass100,
		Restrictions: &types.Restrictions{GeoRestriction: &types.GeoRestriction{RestrictionType: types.GeoRestrictionTypeNone,
			Quantity: aws.Int32(0)}},
		ViewerCertificate: &types.ViewerCertificate{CloudFrontDefaultCertificate: aws.Bool(true)},
		HttpVersion:       types.HttpVersionHttp2and3,
		IsIPV6Enabled:     aws.Bool(true),
	}
}

// start runs a local CloudFront for the rest of the test, as
// localtest.StartCloudFront does (which this package's tests cannot
// import: it imports this package).
func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	return servetest.Listen(t, s, err, func(s *Server) error { return s.Listen("127.0.0.1:0", "127.0.0.1:0") })
}

// wantDefaults returns cfg (one of distConfig's) with the members
// CloudFront fills in when a request leaves them out, as it answers them.
func wantDefaults(cfg *types.DistributionConfig) *types.DistributionConfig {
	cfg.DefaultRootObject = aws.String("")
	cfg.OriginGroups = &types.OriginGroups{Quantity: aws.Int32(0)}
	cfg.WebACLId = aws.String("")
	cfg.ContinuousDeploymentPolicyId = aws.String("")
	cfg.Staging = aws.Bool(false)
	cfg.ViewerCertificate.MinimumProtocolVersion = types.MinimumProtocolVersionTLSv1
	cfg.ViewerCertificate.CertificateSource = types.CertificateSourceCloudfront //nolint:staticcheck // deprecated, still answered by CloudFront
	for i := range cfg.Origins.Items {
		o := &cfg.Origins.Items[i]
		o.ConnectionAttempts, o.ConnectionTimeout = aws.Int32(3), aws.Int32(10)
		o.OriginShield = &types.OriginShield{Enabled: aws.Bool(false)}
		o.OriginAccessControlId = aws.String("")
		if o.CustomOriginConfig.OriginKeepaliveTimeout == nil {
			o.CustomOriginConfig.OriginKeepaliveTimeout = aws.Int32(5)
		}
	}
	off := func() (*types.TrustedSigners, *types.TrustedKeyGroups, *types.LambdaFunctionAssociations) {
		return &types.TrustedSigners{Enabled: aws.Bool(false), Quantity: aws.Int32(0)},
			&types.TrustedKeyGroups{Enabled: aws.Bool(false), Quantity: aws.Int32(0)},
			&types.LambdaFunctionAssociations{Quantity: aws.Int32(0)}
	}
	dcb := cfg.DefaultCacheBehavior
	dcb.TrustedSigners, dcb.TrustedKeyGroups, dcb.LambdaFunctionAssociations = off()
	dcb.SmoothStreaming, dcb.FieldLevelEncryptionId = aws.Bool(false), aws.String("")
	for i := range cfg.CacheBehaviors.Items {
		b := &cfg.CacheBehaviors.Items[i]
		b.TrustedSigners, b.TrustedKeyGroups, b.LambdaFunctionAssociations = off()
		b.SmoothStreaming, b.FieldLevelEncryptionId = aws.Bool(false), aws.String("")
		if b.Compress == nil {
			b.Compress = aws.Bool(false)
		}
	}
	return cfg
}

// dump renders v as JSON, for failure messages.
func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
