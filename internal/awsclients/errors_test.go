package awsclients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// An endpoint nobody listens on is one clear error, quickly.
func TestUnreachableEndpoint(t *testing.T) {
	o := base()
	o.Endpoint = "http://127.0.0.1:1"
	start := time.Now()
	_, err := New(context.Background(), o)
	want := "sts:GetCallerIdentity cannot connect to http://127.0.0.1:1 (1 attempt;"
	if setupProblem(err) != ProblemUnreachable || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "skip_credentials_validation") {
		t.Fatalf("err = %v; want %s and %q", err, ProblemUnreachable, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	o.SkipCredentialsValidation = true
	if _, err := New(context.Background(), o); err != nil {
		t.Errorf("with the check skipped: %v", err)
	}
}

// A call to an endpoint that accepts connections and never answers fails
// within the bound of its attempts, naming the call and the endpoint.
func TestSilentEndpoint(t *testing.T) {
	o := base()
	o.Endpoint = localtest.Silent(t)
	o.SkipCredentialsValidation, o.MaxRetries = true, 1
	o.Timeouts = Timeouts{Dial: time.Second, TLSHandshake: time.Second, ResponseHeader: 300 * time.Millisecond, Attempt: time.Second}
	c, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.KMS.ListKeys(context.Background(), &kms.ListKeysInput{})
	d := time.Since(start)
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Call != "kms:ListKeys" || ue.Endpoint != o.Endpoint || ue.Attempts != 2 || ue.Cause != "got no answer from" {
		t.Fatalf("err = %#v", err)
	}
	want := "kms:ListKeys got no answer from " + o.Endpoint + " (2 attempts; each waits at most 1s to connect, 300ms for the answer to start"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant %q", err, want)
	}
	// A hang guard (the call waits for ever without the timeouts); the
	// error above says the attempts and their waits. Ten times the bound
	// allows for a loaded machine.
	if bound := Bound(o.Timeouts, o.MaxRetries); d > 10*bound {
		t.Errorf("took %s: it hung (the bound is %s)", d, bound)
	}
	// The documented bound with the defaults: about 50 s, under a minute.
	if b := Bound(DefaultTimeouts, 2); b > time.Minute {
		t.Errorf("default bound %s", b)
	}
}

// skip_credentials_validation alone makes New call nothing.
func TestSkipCredentialsValidation(t *testing.T) {
	f := &fakeAWS{name: "skip"}
	o := base()
	o.Endpoint = f.server(t).URL
	o.SkipCredentialsValidation = true
	c, err := New(context.Background(), o)
	if err != nil || c.AccountID != "" {
		t.Fatalf("New: %v, %+v", err, c)
	}
	o.SkipCredentialsValidation = false
	if c, err = New(context.Background(), o); err != nil || c.AccountID != "123456789012" {
		t.Fatalf("New: %v, %+v", err, c)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hits) != 1 {
		t.Errorf("calls %v; want one, the check made without skip_credentials_validation", f.hits)
	}
}

func setupProblem(err error) Problem {
	var se *SetupError
	if errors.As(err, &se) {
		return se.Problem
	}
	return ""
}

// stsError answers every call with an STS error.
func stsError(t *testing.T, status int, code string) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error><RequestId>1</RequestId></ErrorResponse>`, code)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// Each way the settings can be wrong has its own problem and names the
// argument at fault.
func TestSetupErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte("[profile known]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "",
		"AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": cfg + ".none", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	for name, tc := range map[string]struct {
		edit    func(*Options)
		problem Problem
		setting string
		says    string
	}{
		"access key alone":    {func(o *Options) { o.SecretKey = "" }, ProblemIncompleteKeys, "secret_key", "access_key is set but secret_key is not"},
		"secret key alone":    {func(o *Options) { o.AccessKey = "" }, ProblemIncompleteKeys, "access_key", "secret_key is set but access_key is not"},
		"no scheme":           {func(o *Options) { o.Endpoint = "localhost:4566" }, ProblemEndpoint, "endpoint", "http://"},
		"no host":             {func(o *Options) { o.Endpoints = map[string]string{"kms": "http://"} }, ProblemEndpoint, "endpoints.kms", "no host"},
		"unknown profile":     {func(o *Options) { o.Profile = "nobody" }, ProblemProfile, "profile", `"nobody"`},
		"no region":           {func(o *Options) { o.Region = "" }, ProblemRegion, "region", "AWS_REGION"},
		"refused credentials": {func(o *Options) { o.Endpoint = stsError(t, 403, "InvalidClientTokenId") }, ProblemCredentials, "access_key", "InvalidClientTokenId"},
		"role not assumable": {func(o *Options) {
			o.Endpoint = stsError(t, 403, "AccessDenied")
			o.AssumeRole = &AssumeRole{RoleARN: "arn:aws:iam::123456789012:role/other"}
		}, ProblemAssumeRole, "assume_role.role_arn", "trust policy"},
		"no credentials": {func(o *Options) { o.AccessKey, o.SecretKey, o.Endpoint = "", "", "http://127.0.0.1:1" }, ProblemNoCredentials, "", "access_key"},
	} {
		t.Run(name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			_, err := New(context.Background(), o)
			var se *SetupError
			if !errors.As(err, &se) || se.Problem != tc.problem || se.Setting != tc.setting || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v (%#v); want %s on %q saying %q", err, err, tc.problem, tc.setting, tc.says)
			}
		})
	}
}

func TestChecks(t *testing.T) {
	for _, ok := range []string{"http://localhost:4566", "https://kms.eu-west-1.amazonaws.com"} {
		if err := CheckEndpoint(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"localhost:4566", "kms.amazonaws.com", "ftp://h", "http://", "/path"} {
		if CheckEndpoint(bad) == nil {
			t.Errorf("%s passed", bad)
		}
	}
	for _, ok := range []string{"eu-west-1", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1"} {
		if err := CheckRegion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"eu-west", "EU-WEST-1", "euwest1", "eu-west-1a"} {
		if CheckRegion(bad) == nil {
			t.Errorf("%s passed", bad)
		}
	}
	if err := CheckRoleARN("arn:aws-us-gov:iam::123456789012:role/path/deployer"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"deployer", "arn:aws:iam::123456789012:user/me", "arn:aws:iam::12345:role/x"} {
		if CheckRoleARN(bad) == nil {
			t.Errorf("%s passed", bad)
		}
	}
}
