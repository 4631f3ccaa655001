package faultproxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// backend stands for moto: it answers every call it receives with the
// error FromBackend in the call's protocol, so that a test tells a
// forwarded call from an injected failure, and counts what reached it.
type backend struct {
	mu   sync.Mutex
	seen []string
}

const fromBackend = "FromBackend"

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, proto := faultproxy.Operation(r, body)
	b.mu.Lock()
	b.seen = append(b.seen, op)
	b.mu.Unlock()
	faultproxy.WriteError(w, proto, op, &faultproxy.Fault{Code: fromBackend, Status: http.StatusBadRequest, Message: "the backend answered"})
}

func (b *backend) calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.seen)
}

// clients are SDK clients of one protocol each, through the proxy, with
// retries off so that each call is one request.
type clients struct {
	iam    *iam.Client
	kms    *kms.Client
	lambda *lambda.Client
	sts    *sts.Client
}

func newClients(endpoint string) clients {
	cfg := emulators.SDKConfig(endpoint)
	cfg.RetryMaxAttempts = 1
	return clients{iam: iam.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg), lambda: lambda.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
}

func start(t *testing.T) (*faultproxy.Proxy, *backend, clients) {
	b := &backend{}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	p := localtest.StartFaultProxy(t, srv.URL)
	return p, b, newClients(p.URL)
}

// calls makes one SDK call per protocol, and the REST calls the issuer
// resource's Lambda side makes, returning the operation each should be
// named.
func sdkCalls(c clients) []struct {
	op   string
	call func(context.Context) error
} {
	name := aws.String("securestream-issuer")
	return []struct {
		op   string
		call func(context.Context) error
	}{
		{"iam:CreateRole", func(ctx context.Context) error {
			_, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String("{}")})
			return err
		}},
		{"iam:PutRolePolicy", func(ctx context.Context) error {
			_, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: name, PolicyDocument: aws.String("{}")})
			return err
		}},
		{"sts:GetCallerIdentity", func(ctx context.Context) error {
			_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"kms:Decrypt", func(ctx context.Context) error {
			_, err := c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("x")})
			return err
		}},
		{"lambda:CreateFunction", func(ctx context.Context) error {
			_, err := c.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: name, Role: name, Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}})
			return err
		}},
		{"lambda:GetFunction", func(ctx context.Context) error {
			_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
			return err
		}},
		{"lambda:UpdateFunctionConfiguration", func(ctx context.Context) error {
			_, err := c.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name})
			return err
		}},
		{"lambda:CreateFunctionUrlConfig", func(ctx context.Context) error {
			_, err := c.lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: name, AuthType: "NONE"})
			return err
		}},
		{"lambda:RemovePermission", func(ctx context.Context) error {
			_, err := c.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: name, StatementId: aws.String("apigw")})
			return err
		}},
		{"lambda:TagResource", func(ctx context.Context) error {
			_, err := c.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f"), Tags: map[string]string{"a": "b"}})
			return err
		}},
	}
}

func apiError(t *testing.T, err error) (smithy.APIError, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an AWS API error: %v", err)
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae, status
}

// The SDK's own requests are named right in every protocol, reach the
// target when no fault hits them, and are counted.
func TestOperationsOfSDKCalls(t *testing.T) {
	p, b, c := start(t)
	ctx := context.Background()
	var want []string
	for _, tc := range sdkCalls(c) {
		ae, _ := apiError(t, tc.call(ctx))
		if ae.ErrorCode() != fromBackend {
			t.Errorf("%s: answered %s, want the backend's answer", tc.op, ae.ErrorCode())
		}
		want = append(want, tc.op)
	}
	if got := b.calls(); !slices.Equal(got, want) {
		t.Errorf("operations\n got %v\nwant %v", got, want)
	}
	counts := p.Counts()
	if counts["iam:CreateRole"] != 1 || counts["*"] != len(want) {
		t.Errorf("counts %v", counts)
	}
	wantWrites := slices.DeleteFunc(slices.Clone(want), func(op string) bool {
		return op == "sts:GetCallerIdentity" || op == "kms:Decrypt" || op == "lambda:GetFunction"
	})
	if got := p.Writes(); !slices.Equal(got, wantWrites) {
		t.Errorf("writes\n got %v\nwant %v", got, wantWrites)
	}
	p.Reset()
	if len(p.Counts()) != 0 || len(p.Calls()) != 0 {
		t.Error("Reset kept calls")
	}
}

// An injected error hits exactly the Nth call, with the status and body
// of the operation's protocol, which the SDK decodes into its code and
// message; the calls around it go through.
func TestFailNthCall(t *testing.T) {
	for _, tc := range []struct {
		op, code string
		status   int
	}{
		{"iam:CreateRole", "EntityAlreadyExists", 409},
		{"iam:PutRolePolicy", "Throttling", 400},
		{"kms:Decrypt", "ThrottlingException", 400},
		{"lambda:CreateFunction", "TooManyRequestsException", 429},
		{"lambda:GetFunction", "ResourceNotFoundException", 404},
		{"lambda:CreateFunctionUrlConfig", "ServiceException", 500},
	} {
		t.Run(tc.op, func(t *testing.T) {
			p, b, c := start(t)
			var call func(context.Context) error
			for _, s := range sdkCalls(c) {
				if s.op == tc.op {
					call = s.call
				}
			}
			p.Fail(tc.op, 2, tc.code)
			for i := 1; i <= 3; i++ {
				ae, status := apiError(t, call(context.Background()))
				want, wantStatus := fromBackend, 400
				if i == 2 {
					want, wantStatus = tc.code, tc.status
				}
				if ae.ErrorCode() != want || status != wantStatus {
					t.Errorf("call %d: %s %d, want %s %d", i, ae.ErrorCode(), status, want, wantStatus)
				}
				if i == 2 && !strings.Contains(ae.ErrorMessage(), "call 2 of "+tc.op) {
					t.Errorf("call 2: message %q", ae.ErrorMessage())
				}
			}
			if n := len(b.calls()); n != 2 {
				t.Errorf("%d calls reached the backend, want 2", n)
			}
			if calls := p.Calls(); calls[1].Failed != tc.code || calls[0].Failed != "" {
				t.Errorf("calls %+v", calls)
			}
		})
	}
}

// Faults on every call, on a run of calls, on every operation, and
// latency alone.
func TestFaultShapes(t *testing.T) {
	p, b, c := start(t)
	ctx := context.Background()
	getFunction := func() string {
		_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
		ae, _ := apiError(t, err)
		return ae.ErrorCode()
	}
	p.Inject(faultproxy.Fault{Op: "lambda:GetFunction", Nth: 2, Times: 2, Code: "TooManyRequestsException"})
	var got []string
	for range 4 {
		got = append(got, getFunction())
	}
	if want := []string{fromBackend, "TooManyRequestsException", "TooManyRequestsException", fromBackend}; !slices.Equal(got, want) {
		t.Errorf("a run of two: %v", got)
	}

	p.Reset()
	p.Fail("*", 0, "ServiceUnavailable")
	if code := getFunction(); code != "ServiceUnavailable" {
		t.Errorf("every call of every operation: %s", code)
	}
	if len(b.calls()) != 2 {
		t.Errorf("backend saw %v", b.calls())
	}

	p.Reset()
	p.Delay("lambda:GetFunction", 150*time.Millisecond)
	start := time.Now()
	if code := getFunction(); code != fromBackend {
		t.Errorf("a delay alone failed the call: %s", code)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("the call took %s, want at least the 150ms delay", d)
	}
	p.Inject(faultproxy.Fault{Op: "lambda:GetFunction", Nth: 1, Code: "ServiceException", Status: 502, Message: "custom"})
	_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
	if ae, status := apiError(t, err); ae.ErrorMessage() != "custom" || status != 502 {
		t.Errorf("status and message overrides: %d %q", status, ae.ErrorMessage())
	}
}

// Requests the SDK clients above do not make, named from the wire: a
// JSON protocol target without a signature, API Gateway's two REST APIs,
// and a path no table knows.
func TestOperationFromWire(t *testing.T) {
	sig := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	for _, tc := range []struct {
		method, path, service, target, form string
		op                                  string
		proto                               faultproxy.Protocol
	}{
		{"POST", "/", "logs", "Logs_20140328.CreateLogGroup", "", "logs:CreateLogGroup", faultproxy.JSON},
		{"POST", "/", "", "Logs_20140328.PutRetentionPolicy", "", "logs:PutRetentionPolicy", faultproxy.JSON},
		{"POST", "/", "", "TrentService.GenerateDataKey", "", "kms:GenerateDataKey", faultproxy.JSON},
		{"POST", "/", "iam", "", "Action=DeleteRolePolicy&Version=2010-05-08", "iam:DeleteRolePolicy", faultproxy.Query},
		{"POST", "/v2/apis", "apigateway", "", "", "apigatewayv2:CreateApi", faultproxy.REST},
		{"POST", "/v2/apis/a1b2c3/integrations", "apigateway", "", "", "apigatewayv2:CreateIntegration", faultproxy.REST},
		{"PATCH", "/v2/apis/a1b2c3/routes/r1", "apigateway", "", "", "apigatewayv2:UpdateRoute", faultproxy.REST},
		{"POST", "/v2/apis/a1b2c3/stages", "apigateway", "", "", "apigatewayv2:CreateStage", faultproxy.REST},
		{"POST", "/restapis", "apigateway", "", "", "apigateway:CreateRestApi", faultproxy.REST},
		{"POST", "/restapis/a1/resources/root1", "apigateway", "", "", "apigateway:CreateResource", faultproxy.REST},
		{"GET", "/restapis/a1/resources/r1", "apigateway", "", "", "apigateway:GetResource", faultproxy.REST},
		{"PUT", "/restapis/a1/resources/r1/methods/POST/integration", "apigateway", "", "", "apigateway:PutIntegration", faultproxy.REST},
		{"GET", "/2015-03-31/functions/", "lambda", "", "", "lambda:ListFunctions", faultproxy.REST},
		{"PUT", "/2015-03-31/functions/f/code", "lambda", "", "", "lambda:UpdateFunctionCode", faultproxy.REST},
		{"POST", "/2015-03-31/functions/f/policy", "lambda", "", "", "lambda:AddPermission", faultproxy.REST},
		{"DELETE", "/2015-03-31/functions/f", "lambda", "", "", "lambda:DeleteFunction", faultproxy.REST},
		{"POST", "/2099-01-01/new", "lambda", "", "", "lambda:POST /2099-01-01/new", faultproxy.REST},
		{"GET", "/other", "", "", "", ":GET /other", faultproxy.Unknown},
	} {
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.form))
		if tc.service != "" {
			r.Header.Set("Authorization", sig(tc.service))
		}
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		if tc.form != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		if op, proto := faultproxy.Operation(r, []byte(tc.form)); op != tc.op || proto != tc.proto {
			t.Errorf("%s %s: %s (%d), want %s (%d)", tc.method, tc.path, op, proto, tc.op, tc.proto)
		}
	}
}

func TestIsWrite(t *testing.T) {
	for op, want := range map[string]bool{
		"iam:GetRole": false, "apigatewayv2:GetRoutes": false, "logs:DescribeLogGroups": false, "lambda:ListTags": false,
		"kms:Decrypt": false, "sts:AssumeRole": false,
		"iam:CreateRole": true, "lambda:UpdateFunctionCode": true, "logs:PutRetentionPolicy": true, "kms:ScheduleKeyDeletion": true,
		"lambda:Invoke": true, "lambda:POST /2099-01-01/new": true, "nonsense": true,
	} {
		if faultproxy.IsWrite(op) != want {
			t.Errorf("IsWrite(%s) = %v", op, !want)
		}
	}
}

func TestNewRefusesARelativeTarget(t *testing.T) {
	if _, err := faultproxy.New("127.0.0.1:5000"); err == nil || !strings.Contains(err.Error(), "http://") {
		t.Errorf("error %v does not show the form expected", err)
	}
}

// A held call waits, unanswered, until it is released, when it goes on to
// the target; a held call whose client gives up never reaches the target.
func TestHold(t *testing.T) {
	p, b, c := start(t)
	h := p.Hold("lambda:CreateFunction")
	createInput := &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String("r"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.lambda.CreateFunction(ctx, createInput)
		done <- err
	}()
	select {
	case <-h.Arrived():
	case <-time.After(5 * time.Second):
		t.Fatal("the held call never arrived")
	}
	// Other operations pass.
	if _, err := c.lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("f")}); err == nil {
		t.Fatal("GetFunction: no error from the backend")
	}
	select {
	case err := <-done:
		t.Fatalf("the held call was answered: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel() // the client gives up, as a killed process does
	select {
	case <-h.Abandoned():
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned call was not noticed")
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned call: %v", err)
	}
	if got := b.calls(); !slices.Equal(got, []string{"lambda:GetFunction"}) {
		t.Fatalf("the backend saw %v; the abandoned call must not reach it", got)
	}
	// Released: held calls go through.
	go func() {
		_, err := c.lambda.CreateFunction(context.Background(), createInput)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	h.Release()
	select {
	case err := <-done:
		if ae, _ := apiError(t, err); ae.ErrorCode() != fromBackend {
			t.Fatalf("the released call: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the released call was not answered")
	}
}

// A fault with Match hits only the calls whose body holds it, counted
// among themselves: one KMS key refused while another works.
func TestFaultMatch(t *testing.T) {
	p, b, c := start(t)
	p.Inject(faultproxy.Fault{Op: "kms:Decrypt", Nth: 2, Code: "DisabledException", Match: "key-a"})
	decrypt := func(key string) string {
		_, err := c.kms.Decrypt(context.Background(), &kms.DecryptInput{KeyId: aws.String(key), CiphertextBlob: []byte("ct")})
		ae, _ := apiError(t, err)
		return ae.ErrorCode()
	}
	got := []string{decrypt("key-a"), decrypt("key-b"), decrypt("key-b"), decrypt("key-a"), decrypt("key-a")}
	want := []string{fromBackend, fromBackend, fromBackend, "DisabledException", fromBackend}
	if !slices.Equal(got, want) {
		t.Fatalf("answers %v; want %v", got, want)
	}
	if n := len(b.calls()); n != 4 {
		t.Errorf("%d calls reached the backend, want 4", n)
	}
}

// A lost answer: the call reaches the backend, and the client gets the
// injected error instead of the backend's answer.
func TestFaultLost(t *testing.T) {
	p, b, c := start(t)
	p.Inject(faultproxy.Fault{Op: "kms:Decrypt", Nth: 1, Code: "KMSInternalException", Lost: true})
	_, err := c.kms.Decrypt(context.Background(), &kms.DecryptInput{KeyId: aws.String("k"), CiphertextBlob: []byte("ct")})
	if ae, _ := apiError(t, err); ae.ErrorCode() != "KMSInternalException" {
		t.Errorf("answer %s, want the injected KMSInternalException", ae.ErrorCode())
	}
	if got := b.calls(); !slices.Equal(got, []string{"kms:Decrypt"}) {
		t.Errorf("the backend saw %v, want the call that was answered with a fault", got)
	}
}
