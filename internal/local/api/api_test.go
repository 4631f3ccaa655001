package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/local/servetest"
)

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		template, path string
		ok             bool
		params         map[string]string
	}{
		{"/token", "/token", true, map[string]string{}},
		{"/token", "/token/", true, map[string]string{}},
		{"/token", "/tokens", false, nil},
		{"/items/{id}", "/items/42", true, map[string]string{"id": "42"}},
		{"/items/{id}", "/items", false, nil},
		{"/items/{id}", "/items/42/more", false, nil},
		{"/{proxy+}", "/a/b/c", true, map[string]string{"proxy": "a/b/c"}},
		{"/{proxy+}", "/", false, nil},
		{"/", "/", true, map[string]string{}},
	} {
		params, _, ok := matchPath(tc.template, tc.path)
		if ok != tc.ok || (ok && !maps.Equal(params, tc.params)) {
			t.Errorf("%s on %s: %v %v, want %v %v", tc.template, tc.path, params, ok, tc.params, tc.ok)
		}
	}
}

// API Gateway's choice: a literal path over a parameter over a greedy
// one, an exact method over ANY, $default last.
func TestPick(t *testing.T) {
	routes := []route{
		{template: "", ref: "default"},
		{method: "ANY", template: "/{proxy+}", ref: "greedy"},
		{method: "GET", template: "/items/{id}", ref: "item"},
		{method: "ANY", template: "/token", ref: "token-any"},
		{method: "POST", template: "/token", ref: "token-post"},
	}
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/token", "token-post"},
		{"GET", "/token", "token-any"},
		{"GET", "/items/7", "item"},
		{"DELETE", "/items/7", "greedy"},
		{"GET", "/", "default"},
	} {
		rt, _, err := pick(routes, tc.method, tc.path)
		if err != nil || rt.ref != tc.want {
			t.Errorf("%s %s: %+v %v, want %s", tc.method, tc.path, rt, err, tc.want)
		}
	}
	if _, _, err := pick(routes[2:3], "POST", "/x"); err == nil || !strings.Contains(err.Error(), "no route matches POST /x") {
		t.Errorf("no match: %v", err)
	}
	if rt := parseRouteKey("POST /token"); rt.method != "POST" || rt.template != "/token" {
		t.Errorf("parseRouteKey: %+v", rt)
	}
}

func TestFunctionName(t *testing.T) {
	for uri, want := range map[string]string{
		"arn:aws:lambda:us-east-1:123456789012:function:issuer":                                                                           "issuer",
		"arn:aws:lambda:us-east-1:123456789012:function:issuer:live":                                                                      "issuer",
		"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:issuer/invocations": "issuer",
	} {
		if got, err := functionName(uri); got != want || err != nil {
			t.Errorf("%s: %q %v", uri, got, err)
		}
	}
	if _, err := functionName("http://example.com/"); err == nil {
		t.Error("an HTTP integration was taken for a function")
	}
}

func request(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr = "198.51.100.7:5555"
	r.Header.Set("User-Agent", "ExoPlayerLib/2.19.1")
	r.Header.Add("X-Multi", "a")
	r.Header.Add("X-Multi", "b")
	r.Header.Set("Cookie", "a=1; b=2")
	return r
}

// The events carry what the issuer reads: method, source address, user
// agent, headers, query and body, in each payload's shape.
func TestEvents(t *testing.T) {
	now := time.Unix(1767225600, 0)
	r := request("POST", "/abc/prod/token?x=1&x=2", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`)
	tg := &target{kind: httpAPI, apiID: "abc", stage: "prod", routeKey: "POST /token", path: "/token", function: "f", payload: "2.0"}
	b, err := event(r, []byte(`{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`), tg, now)
	if err != nil {
		t.Fatal(err)
	}
	var v2 events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &v2); err != nil {
		t.Fatal(err)
	}
	if v2.Version != "2.0" || v2.RouteKey != "POST /token" || v2.RawPath != "/prod/token" || v2.RequestContext.HTTP.Method != "POST" ||
		v2.RequestContext.HTTP.SourceIP != "198.51.100.7" || v2.Headers["user-agent"] != "ExoPlayerLib/2.19.1" || v2.Headers["x-multi"] != "a,b" ||
		v2.QueryStringParameters["x"] != "1,2" || len(v2.Cookies) != 2 || v2.IsBase64Encoded || !strings.Contains(v2.Body, "playback_url") ||
		v2.RequestContext.Stage != "prod" || v2.RequestContext.TimeEpoch != now.UnixMilli() {
		t.Errorf("HTTP API event: %s", b)
	}

	tg = &target{kind: restAPI, apiID: "abc", stage: "prod", routeKey: "/token", path: "/token", function: "f", payload: "1.0"}
	b, _ = event(request("POST", "/abc/prod/token?x=1", ""), []byte{0xff, 0xfe}, tg, now)
	var v1 events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &v1); err != nil {
		t.Fatal(err)
	}
	if v1.HTTPMethod != "POST" || v1.Resource != "/token" || v1.RequestContext.Identity.SourceIP != "198.51.100.7" ||
		v1.RequestContext.Path != "/prod/token" || v1.Headers["user-agent"] != "ExoPlayerLib/2.19.1" || len(v1.MultiValueHeaders["x-multi"]) != 2 ||
		v1.QueryStringParameters["x"] != "1" || !v1.IsBase64Encoded || v1.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}) {
		t.Errorf("REST event: %s", b)
	}

	// What AWS_IAM and an API key pass: identity (1.0), authorizer.iam
	// (2.0); nothing of them without.
	caller := &callerIdentity{accessKey: "AKIDEXAMPLE", account: "123456789012", arn: "arn:aws:iam::123456789012:user/backend", userID: "AIDAEXAMPLE"}
	tg = &target{kind: restAPI, apiID: "abc", stage: "prod", routeKey: "/token", path: "/token", function: "f", payload: "1.0",
		caller: caller, apiKey: &usedKey{id: "k1", value: "the-key"}}
	b, _ = event(request("POST", "/abc/prod/token", ""), nil, tg, now)
	v1 = events.APIGatewayProxyRequest{}
	if err := json.Unmarshal(b, &v1); err != nil {
		t.Fatal(err)
	}
	if id := v1.RequestContext.Identity; id.AccessKey != "AKIDEXAMPLE" || id.UserArn != caller.arn || id.AccountID != caller.account ||
		id.Caller != "AIDAEXAMPLE" || id.User != "AIDAEXAMPLE" || id.APIKeyID != "k1" || id.APIKey != "the-key" {
		t.Errorf("REST event with IAM and an API key: %s", b)
	}
	tg = &target{kind: httpAPI, apiID: "abc", stage: "$default", routeKey: "POST /token", path: "/token", function: "f", payload: "2.0", caller: caller}
	b, _ = event(request("POST", "/abc/token", ""), nil, tg, now)
	v2 = events.APIGatewayV2HTTPRequest{}
	if err := json.Unmarshal(b, &v2); err != nil {
		t.Fatal(err)
	}
	if a := v2.RequestContext.Authorizer; a == nil || a.IAM == nil || a.IAM.UserARN != caller.arn || a.IAM.AccessKey != "AKIDEXAMPLE" ||
		a.IAM.CallerID != "AIDAEXAMPLE" || a.IAM.UserID != "AIDAEXAMPLE" || a.IAM.AccountID != caller.account || a.JWT != nil {
		t.Errorf("HTTP API event with IAM: %s", b)
	}

	tg = &target{kind: functionURL, apiID: "urlid", stage: "$default", routeKey: "$default", path: "/", function: "f", payload: "2.0"}
	b, _ = event(request("GET", "/fn/f/?playback_url=x", ""), nil, tg, now)
	if err := json.Unmarshal(b, &v2); err != nil || v2.RouteKey != "$default" || v2.RawPath != "/" || v2.RequestContext.HTTP.Method != "GET" {
		t.Errorf("function URL event: %s", b)
	}
}

func TestRespond(t *testing.T) {
	for _, tc := range []struct {
		name, out, payload string
		status             int
		body, header       string
		err                string
	}{
		{"structured", `{"statusCode":201,"headers":{"content-type":"application/json"},"multiValueHeaders":{"x-a":["1","2"]},"body":"{}"}`, "2.0", 201, "{}", "application/json", ""},
		{"base64", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, "1.0", 200, "hi", "", ""},
		{"2.0 bare JSON", `{"token":"x"}`, "2.0", 200, `{"token":"x"}`, "application/json", ""},
		{"1.0 without status", `{"token":"x"}`, "1.0", 0, "", "", "no statusCode"},
		{"function error", `{"errorMessage":"boom","errorType":"Runtime.ExitError"}`, "2.0", 0, "", "", "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := respond(w, []byte(tc.out), tc.payload)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != tc.header {
				t.Errorf("%v %d %q %v", err, w.Code, w.Body, w.Header())
			}
		})
	}
}

// notFoundAWS answers every call as AWS does for a missing thing.
func notFoundAWS(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := "NotFoundException"
		if strings.HasPrefix(r.URL.Path, "/20") {
			code = "ResourceNotFoundException"
		}
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"not found"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A URL that names nothing in moto is a 404 that says what the URL should
// look like.
func TestNotFound(t *testing.T) {
	s := start(t, Options{Endpoint: notFoundAWS(t)})
	for path, want := range map[string]string{
		"/":                "/<api id>/<stage>/<path>",
		"/fn/issuer/":      `function \"issuer\" has no function URL`,
		"/a1b2c3/prod/key": `no HTTP API or REST API has the id \"a1b2c3\"`,
	} {
		resp, err := http.Post(s.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(b.String(), want) || resp.Header.Get("X-Local-Api-Error") != "true" {
			t.Errorf("%s: %d %s, want 404 with %s", path, resp.StatusCode, b.String(), want)
		}
	}
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "moto") {
		t.Errorf("New without an endpoint: %v", err)
	}
}

// A call to moto that fails (here refused) is a 500 that says the local
// API was reading the API from moto and names the call; it is logged too.
func TestMotoFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"denied"}`))
	}))
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var logged []string
	s := start(t, Options{Endpoint: srv.URL, Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	}})
	resp, err := http.Post(s.URL+"/a1b2c3/prod/key", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	resp.Body.Close()
	if want := "local API: reading the API from moto: apigatewayv2 GetApi a1b2c3"; resp.StatusCode != http.StatusInternalServerError || !strings.Contains(b.String(), want) {
		t.Errorf("%d %s, want 500 with %q", resp.StatusCode, b.String(), want)
	}
	// Logged before the client had the answer, which is sent when the
	// handler returns.
	mu.Lock()
	defer mu.Unlock()
	if want := "local API: POST /a1b2c3/prod/key: apigatewayv2 GetApi a1b2c3"; !strings.Contains(strings.Join(logged, "\n"), want) {
		t.Errorf("the log has no %q:\n%s", want, strings.Join(logged, "\n"))
	}
}

// The local API runs only the package the function was created from.
func TestPackageMustBeTheFunctionsCode(t *testing.T) {
	pkg, path := stubPackage(t)
	rs := &runtimes{opts: Options{Package: path}}
	_, err := rs.pkg("issuer", hostArch(), "c29tZXRoaW5nIGVsc2U=")
	if err == nil || !strings.Contains(err.Error(), "CodeSha256 c29tZXRoaW5nIGVsc2U=") || !strings.Contains(err.Error(), path) {
		t.Errorf("another function's code was accepted, or the error does not say which: %v", err)
	}
	if _, err := rs.pkg("issuer", hostArch(), issuerpkg.SourceCodeHash(pkg)); err != nil {
		t.Errorf("the right package was refused: %v", err)
	}
	other := map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[hostArch()]
	if _, err := rs.pkg("issuer", other, issuerpkg.SourceCodeHash(pkg)); err == nil || !strings.Contains(err.Error(), "set architecture = ") {
		t.Errorf("a function of another architecture: %v", err)
	}
	dir := t.TempDir()
	bin, err := extract(pkg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(bin); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("bootstrap not extracted executable: %v %v", st, err)
	}
	if _, err := extract([]byte("not a zip"), dir); err == nil {
		t.Error("extracting a non-zip worked")
	}
}

// post sends body to url as JSON, with userAgent unless it is empty, and
// returns the answer's status and body.
func post(t testing.TB, url, body, userAgent string) (int, string) {
	t.Helper()
	header := http.Header{"Content-Type": {"application/json"}}
	if userAgent != "" {
		header.Set("User-Agent", userAgent)
	}
	return postWith(t, url, body, header)
}

// postWith sends body to url with header and returns the answer's status
// and body.
func postWith(t testing.TB, url, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(req.Header, header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// start runs a local API for the rest of the test, as localtest.StartAPI
// does (which this package's tests cannot import: it imports this
// package).
func start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	return servetest.Listen(t, s, err, func(s *Server) error { return s.Listen("127.0.0.1:0") })
}
