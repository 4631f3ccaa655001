package awsclients

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// fakeAWS answers sts:GetCallerIdentity and kms:ListKeys and records who
// was asked what, and with which User-Agent.
type fakeAWS struct {
	name string
	mu   sync.Mutex
	hits []string
	ua   string
}

func (f *fakeAWS) server(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.ua = r.Header.Get("User-Agent")
		target := r.Header.Get("X-Amz-Target")
		if target == "" {
			target = "sts"
		}
		f.hits = append(f.hits, target)
		f.mu.Unlock()
		if strings.HasPrefix(target, "TrentService.") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			fmt.Fprint(w, `{"Keys":[{"KeyId":"k-`+f.name+`"}]}`)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/%s</Arn><UserId>U</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`, f.name)
	}))
	t.Cleanup(s.Close)
	return s
}

func base() Options {
	return Options{Region: "us-east-1", AccessKey: "testing", SecretKey: "testing", UserAgent: "terraform-provider-securestream/1.2.3"}
}

func listKeys(t *testing.T, c *Clients) string {
	t.Helper()
	out, err := c.KMS.ListKeys(context.Background(), &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	return *out.Keys[0].KeyId
}

func TestEndpointPrecedence(t *testing.T) {
	all, kmsOnly, env := &fakeAWS{name: "all"}, &fakeAWS{name: "kms"}, &fakeAWS{name: "env"}
	allURL, kmsURL, envURL := all.server(t).URL, kmsOnly.server(t).URL, env.server(t).URL
	t.Setenv("AWS_ENDPOINT_URL_KMS", envURL)
	t.Setenv("AWS_ENDPOINT_URL_STS", envURL)

	// The environment applies when the provider names no endpoint.
	o := base()
	c, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, c); got != "k-env" || c.AccountID != "123456789012" {
		t.Errorf("AWS_ENDPOINT_URL_KMS: %s %s", got, c.AccountID)
	}
	// endpoint overrides the environment for every service…
	o.Endpoint = allURL
	if c, err = New(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, c); got != "k-all" {
		t.Errorf("endpoint: KMS went to %s", got)
	}
	// …and endpoints.<service> overrides endpoint for that service.
	o.Endpoints = map[string]string{"kms": kmsURL}
	if c, err = New(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, c); got != "k-kms" {
		t.Errorf("endpoints.kms: KMS went to %s", got)
	}
	all.mu.Lock()
	defer all.mu.Unlock()
	if len(all.hits) == 0 || all.hits[len(all.hits)-1] != "sts" {
		t.Errorf("STS did not go to the endpoint argument: %v", all.hits)
	}
	if !strings.Contains(all.ua, "app/terraform-provider-securestream-1.2.3") {
		t.Errorf("User-Agent %q does not name the provider", all.ua)
	}
}

// assume_role goes through STS at the configured endpoint.
func TestAssumeRole(t *testing.T) {
	var calls []string
	var mu sync.Mutex
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		calls = append(calls, r.Form.Get("Action")+" "+r.Form.Get("RoleArn")+" "+r.Form.Get("ExternalId"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("Action") == "AssumeRole" {
			fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>a</Arn><AssumedRoleId>i</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>`,
				time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			return
		}
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>210987654321</Account><Arn>a</Arn><UserId>U</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	}))
	defer s.Close()
	o := base()
	o.Endpoints = map[string]string{"sts": s.URL}
	o.AssumeRole = &AssumeRole{RoleARN: "arn:aws:iam::210987654321:role/deployer", SessionName: "tf", ExternalID: "ext-1"}
	c, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccountID != "210987654321" || len(calls) != 2 || calls[0] != "AssumeRole arn:aws:iam::210987654321:role/deployer ext-1" {
		t.Errorf("account %s, calls %q", c.AccountID, calls)
	}
}

// max_retries is the number of retries after the first attempt of a call
// that fails retryably (here: 503 from KMS).
func TestRetries(t *testing.T) {
	for _, retries := range []int{0, 2} {
		var mu sync.Mutex
		calls := 0
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			mu.Unlock()
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"__type":"KMSInternalException","message":"try again"}`)
		}))
		o := base()
		o.Endpoint, o.MaxRetries = s.URL, retries
		o.SkipCredentialsValidation, o.SkipRequestingAccountID = true, true
		c, err := New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.KMS.ListKeys(context.Background(), &kms.ListKeysInput{})
		s.Close()
		if err == nil {
			t.Fatal("ListKeys succeeded against a server that always fails")
		}
		if calls != retries+1 {
			t.Errorf("max_retries %d: %d calls; want %d", retries, calls, retries+1)
		}
	}
}

// AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL, as the SDK reads them.
func TestEndpointEnvironment(t *testing.T) {
	global, kmsOnly := &fakeAWS{name: "global"}, &fakeAWS{name: "kms"}
	t.Setenv("AWS_ENDPOINT_URL", global.server(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_KMS", kmsOnly.server(t).URL)
	c, err := New(context.Background(), base())
	if err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, c); got != "k-kms" {
		t.Errorf("KMS went to %s; want AWS_ENDPOINT_URL_KMS", got)
	}
	global.mu.Lock()
	defer global.mu.Unlock()
	if len(global.hits) == 0 || global.hits[0] != "sts" {
		t.Errorf("STS did not go to AWS_ENDPOINT_URL: %v", global.hits)
	}
}
