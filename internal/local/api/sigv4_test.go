package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// sigv4Server verifies, as an execute-api of us-east-1 that knows test/test,
// each request it gets, and answers "ok" or the message AWS would give.
// Requests go through a real server so that the path, query and headers
// are what a server reads off the wire.
func sigv4Server(t *testing.T, now func() time.Time) string {
	t.Helper()
	v := &sigv4Verifier{service: "execute-api", region: "us-east-1", secrets: map[string]string{"test": "test", "AKIDEXAMPLE": "a-second-secret"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, err := v.verify(r, body, now())
		if err != nil {
			_, _ = io.WriteString(w, err.(*errSignature).message)
			return
		}
		_, _ = io.WriteString(w, "ok "+key)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func send(t *testing.T, r *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signed is a request signed by the AWS SDK for Go's own signer.
type signed struct {
	method, path, body string
	creds              aws.Credentials
	service, region    string
	at                 time.Time
	header             http.Header
}

func (s signed) request(t *testing.T, base string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(s.method, base+s.path, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range s.header {
		r.Header[k] = vs
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), s.creds, r, sha256Hex([]byte(s.body)), s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return r
}

// The verifier accepts what the AWS SDK's signer signs (a body, a query,
// a path with characters that need escaping, a session token, a
// presigned URL) and refuses each tampering with AWS's words.
func TestSigV4AgainstSDKSigner(t *testing.T) {
	now := time.Now()
	base := sigv4Server(t, func() time.Time { return now })
	good := signed{method: "POST", path: "/api1/prod/items/a%20b%2Fc:d$e/%C3%A9?x=1&a=b%20c&a=a&empty=&sp=a+b", body: `{"playback_url":"x"}`,
		creds: aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, service: "execute-api", region: "us-east-1", at: now,
		header: http.Header{"X-Custom": {"  one   two  "}, "Content-Type": {"application/json"}}}

	accept := map[string]signed{"body, query and escaped path": good}
	withToken := good
	withToken.creds.SessionToken = "a-session-token"
	accept["session token"] = withToken
	get := good
	get.method, get.body, get.path = "GET", "", "/api1/streamkey"
	accept["GET without a body"] = get
	second := good
	second.creds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "a-second-secret"}
	accept["another known key"] = second
	skewed := good
	skewed.at = now.Add(-14 * time.Minute)
	accept["14 minutes old"] = skewed
	for name, s := range accept {
		if got := send(t, s.request(t, base)); got != "ok "+s.creds.AccessKeyID {
			t.Errorf("%s: %s; want it verified", name, got)
		}
	}

	for name, tc := range map[string]struct {
		tamper func(*signed, *http.Request)
		want   string
	}{
		"method": {func(_ *signed, r *http.Request) { r.Method = "PUT" }, msgMismatch},
		"path":   {func(_ *signed, r *http.Request) { r.URL.Path, r.URL.RawPath = "/api1/prod/items/other", "" }, msgMismatch},
		"query":  {func(_ *signed, r *http.Request) { r.URL.RawQuery += "&y=2" }, msgMismatch},
		"query value": {func(_ *signed, r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "x=1", "x=2", 1)
		}, msgMismatch},
		"signed header": {func(_ *signed, r *http.Request) { r.Header.Set("X-Custom", "three") }, msgMismatch},
		"body": {func(_ *signed, r *http.Request) {
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"playback_url":"y"}`)), int64(len(`{"playback_url":"y"}`))
		}, msgMismatch},
		"16 minutes old":   {func(s *signed, _ *http.Request) { s.at = now.Add(-16 * time.Minute) }, "Signature expired: "},
		"16 minutes ahead": {func(s *signed, _ *http.Request) { s.at = now.Add(16 * time.Minute) }, "Signature not yet current: "},
		"wrong secret":     {func(s *signed, _ *http.Request) { s.creds.SecretAccessKey = "not-the-secret" }, msgMismatch},
		"unknown key":      {func(s *signed, _ *http.Request) { s.creds.AccessKeyID = "AKIDUNKNOWN" }, msgInvalidToken},
		"service lambda":   {func(s *signed, _ *http.Request) { s.service = "lambda" }, "Credential should be scoped to correct service: 'execute-api'. "},
		"another region":   {func(s *signed, _ *http.Request) { s.region = "eu-west-1" }, "Credential should be scoped to a valid region, not 'eu-west-1'. "},
		"host not signed": {func(_ *signed, r *http.Request) {
			r.Header.Set("Authorization", regexp.MustCompile(`SignedHeaders=[^,]*`).ReplaceAllStringFunc(r.Header.Get("Authorization"),
				func(s string) string { return strings.Replace(s, "host;", "", 1) }))
		}, "'Host' or ':authority' must be a 'SignedHeader'"},
		"no Authorization": {func(_ *signed, r *http.Request) { r.Header.Del("Authorization") }, msgMissingToken},
		"another algorithm": {func(_ *signed, r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), sigv4Algorithm, "AWS4-HMAC-SHA512", 1))
		}, "algorithm"},
	} {
		s := good
		// Tampering with the signing inputs happens before signing; with
		// the request, after.
		tc.tamper(&s, httptest.NewRequest("GET", "/", nil))
		r := s.request(t, base)
		tc.tamper(&signed{}, r)
		if got := send(t, r); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q; want %q", name, got, tc.want)
		}
	}
}

// A presigned URL (the signature in the query) verifies until
// X-Amz-Expires runs out.
func TestSigV4Presigned(t *testing.T) {
	now := time.Now()
	base := sigv4Server(t, func() time.Time { return now })
	presign := func(at time.Time, path string) *http.Request {
		r, _ := http.NewRequest("GET", base+path, nil)
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, r,
			sha256Hex(nil), "execute-api", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := http.NewRequest("GET", u, nil)
		return pr
	}
	if got := send(t, presign(now, "/api1/prod/streamkey?X-Amz-Expires=300&x=1")); got != "ok test" {
		t.Errorf("presigned: %s", got)
	}
	if got := send(t, presign(now.Add(-10*time.Minute), "/api1/prod/streamkey?X-Amz-Expires=300")); !strings.HasPrefix(got, "Signature expired") {
		t.Errorf("presigned, expired: %s", got)
	}
	r := presign(now, "/api1/prod/streamkey?X-Amz-Expires=300&x=1")
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "x=1", "x=2", 1)
	if got := send(t, r); got != msgMismatch {
		t.Errorf("presigned, query changed: %s", got)
	}
}

// A request that botocore signs (the signer of the AWS CLI and awscurl)
// verifies: body, query, a path that needs escaping and a session token.
func TestSigV4AgainstBotocore(t *testing.T) {
	testenv.Cross(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to sign with botocore: install Python 3, then `pip install botocore`")
	}
	base := sigv4Server(t, time.Now)
	const script = `
import json, sys
try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:
    sys.exit("botocore is missing (%s): pip install botocore" % e)
a = json.load(sys.stdin)
req = AWSRequest(method=a["method"], url=a["url"], data=a["body"].encode(), headers={"Content-Type": "application/json"})
SigV4Auth(Credentials("test", "test", a["token"] or None), "execute-api", "us-east-1").add_auth(req)
print(json.dumps(dict(req.headers.items())))
`
	for name, tc := range map[string]struct{ method, path, body, token string }{
		"POST with a body and query": {"POST", "/api1/prod/items/a%20b%2Fc:d/%C3%A9?x=1&a=b%20c&a=a", `{"playback_url":"x"}`, ""},
		"GET with a session token":   {"GET", "/api1/streamkey", "", "a-session-token"},
	} {
		in, _ := json.Marshal(map[string]string{"method": tc.method, "url": base + tc.path, "body": tc.body, "token": tc.token})
		cmd := exec.Command(python, "-c", script)
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: signing with botocore: %v: %s (install it with `pip install botocore`)", name, err, stderr.String())
		}
		var headers map[string]string
		if err := json.Unmarshal(out, &headers); err != nil {
			t.Fatalf("%s: botocore's headers %s: %v", name, out, err)
		}
		r, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		if got := send(t, r); got != "ok test" {
			t.Errorf("%s: %s; want botocore's signature verified", name, got)
		}
		r, _ = http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body+" "))
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		if got := send(t, r); got != msgMismatch {
			t.Errorf("%s, body changed: %s; want it refused", name, got)
		}
	}
}
