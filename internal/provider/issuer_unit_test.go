package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
)

// Lambda's answers that pass are retried; any other fails at once.
func TestRetryLambda(t *testing.T) {
	r := &issuerResource{lambdaRetry: backoff{first: time.Millisecond, max: time.Millisecond}}
	notYet := &lambdatypes.InvalidParameterValueException{Message: strPtr("The role defined for the function cannot be assumed by Lambda.")}
	calls := 0
	err := r.retryLambda(context.Background(), func() error {
		if calls++; calls < 3 {
			return notYet
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("retryLambda: %v after %d calls; want success after 3", err, calls)
	}
	inProgress := &lambdatypes.ResourceConflictException{Message: strPtr("The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:f")}
	if !retryable(inProgress) {
		t.Fatal("a ResourceConflictException for an update in progress is not retried")
	}
	for _, msg := range []string{"Function already exist: f", "The statement id (securestream-api) provided already exists. Please provide a new statement id, or remove the existing statement.",
		"Failed to create function url config for [functionArn = arn:aws:lambda:us-east-1:123456789012:function:f]. Error message:  FunctionUrlConfig exists for this Lambda function"} {
		if retryable(&lambdatypes.ResourceConflictException{Message: strPtr(msg)}) {
			t.Errorf("a conflict with an object that exists is retried (waiting does not resolve it): %s", msg)
		}
	}
	other := &lambdatypes.InvalidParameterValueException{Message: strPtr("Unsupported runtime")}
	calls = 0
	if err := r.retryLambda(context.Background(), func() error { calls++; return other }); !errors.Is(err, other) || calls != 1 {
		t.Fatalf("an invalid parameter was retried: %v, %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.retryLambda(ctx, func() error { return notYet }); err == nil || !strings.Contains(err.Error(), "timeouts = { create") {
		t.Fatalf("a retry past the deadline: %v", err)
	}
}

func strPtr(s string) *string { return &s }

// fakeIssuer is an issuer resource whose AWS calls all go to a fake that
// records each in got ("METHOD escaped-path body") and answers the JSON
// answer gives.
func fakeIssuer(t *testing.T, got *[]string, answer func(r *http.Request) string) *issuerResource {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = append(*got, r.Method+" "+r.URL.EscapedPath()+" "+string(b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer(r))
	}))
	t.Cleanup(srv.Close)
	c, err := awsclients.New(context.Background(), awsclients.Options{Region: "us-east-1", Endpoint: srv.URL, AccessKey: "a", SecretKey: "b",
		SkipCredentialsValidation: true})
	if err != nil {
		t.Fatal(err)
	}
	return &issuerResource{resourceBase: resourceBase{providerData{clients: c}}}
}

// Throttling changes update the $default stage in place (moto has no
// UpdateStage, so this checks the request itself).
func TestUpdateHTTPAPIThrottling(t *testing.T) {
	var got []string
	r := fakeIssuer(t, &got, func(*http.Request) string { return `{}` })
	state := issuerModel{APIID: types.StringValue("abc123"), ThrottleRateLimit: types.Float64Value(50), ThrottleBurstLimit: types.Int64Value(100)}
	plan := state
	plan.ThrottleRateLimit, plan.ThrottleBurstLimit = types.Float64Value(5), types.Int64Value(10)
	if diags := r.updateHTTPAPI(context.Background(), &plan, &state, nil, nil); diags.HasError() {
		t.Fatal(diags)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "PATCH /v2/apis/abc123/stages/%24default ") ||
		!strings.Contains(got[0], `"throttlingRateLimit":5`) || !strings.Contains(got[0], `"throttlingBurstLimit":10`) {
		t.Fatalf("requests %q; want one UpdateStage of $default with the new limits", got)
	}
}
