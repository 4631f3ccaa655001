package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
)

// fakeRIE builds testdata/fakerie, statically as the local API requires,
// and returns its path.
func fakeRIE(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to build the test's stand-in for aws-lambda-rie: put Go's bin directory on PATH")
	}
	bin := filepath.Join(t.TempDir(), "fakerie")
	cmd := exec.Command(goBin, "build", "-o", bin, "./testdata/fakerie")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/fakerie: %v\n%s", err, out)
	}
	return bin
}

// fakeLambda answers GetFunction and GetFunctionUrlConfig for one function
// whose code is pkg, whose environment is vars and which reserves a
// concurrency of reserved (none when negative).
func fakeLambda(t *testing.T, name string, pkg []byte, vars map[string]string, reserved int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/2015-03-31/functions/" + name:
			out := map[string]any{"Configuration": map[string]any{
				"FunctionName": name, "CodeSha256": issuerpkg.SourceCodeHash(pkg), "Architectures": []string{hostArch()},
				"Timeout": 10, "MemorySize": 128, "Environment": map[string]any{"Variables": vars}}}
			if reserved >= 0 {
				out["Concurrency"] = map[string]any{"ReservedConcurrentExecutions": reserved}
			}
			_ = json.NewEncoder(w).Encode(out)
		case "/2021-10-31/functions/" + name + "/url":
			_ = json.NewEncoder(w).Encode(map[string]any{"FunctionUrl": "https://abcdefgh.lambda-url.us-east-1.on.aws/", "AuthType": "NONE"})
		default:
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"not found"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// startCounting runs a local API as start does, logging to the test;
// starts counts the functions it started.
func startCounting(t testing.TB, opts Options) (s *Server, starts *atomic.Int32) {
	t.Helper()
	starts = &atomic.Int32{}
	opts.Logf = func(format string, args ...any) {
		if strings.HasPrefix(format, "local API: started function") {
			starts.Add(1)
		}
		t.Logf(format, args...)
	}
	return start(t, opts), starts
}

// stubPackage writes a package whose bootstrap does nothing (the stand-in
// emulator never runs it) and returns it and its path.
func stubPackage(t testing.TB) (pkg []byte, path string) {
	t.Helper()
	pkg, err := issuerpkg.Zip([]byte("#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "issuer.zip")
	if err := os.WriteFile(path, pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	return pkg, path
}

// localAPI runs a local API with opts over a function, issuer, whose
// environment is vars; starts counts the functions it started.
func localAPI(t *testing.T, opts Options, vars map[string]string) (s *Server, starts *atomic.Int32) {
	t.Helper()
	pkg, path := stubPackage(t)
	opts.Endpoint, opts.Package = fakeLambda(t, "issuer", pkg, vars, -1), path
	return startCounting(t, opts)
}

// processEnv calls the function issuer on s, under the stand-in emulator
// (fakeRIE), which answers with the environment it was started with, and
// returns that environment: a repeated name keeps its last value, as exec
// does.
func processEnv(t *testing.T, s *Server) map[string]string {
	t.Helper()
	status, body := post(t, s.URL+"/fn/issuer/", "{}", "")
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	var environ []string
	if err := json.Unmarshal([]byte(body), &environ); err != nil {
		t.Fatalf("the stand-in's answer %s: %v", body, err)
	}
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// A function's environment reaches the process the local API starts only
// through an allow-list: its SECURESTREAM_* variables, then the local
// API's own (moto's endpoint and test credentials, the function's name
// and limits), which the function cannot override. Anything else that
// moto holds for the function (which any local process may have set) is
// left out.
func TestFunctionEnvironmentAllowList(t *testing.T) {
	rie := fakeRIE(t)
	s, starts := localAPI(t, Options{RIE: rie}, map[string]string{
		"SECURESTREAM_AUTH":         "none",
		"AWS_ENDPOINT_URL":          "http://attacker.example",
		"AWS_ACCESS_KEY_ID":         "AKIAEVIL",
		"AWS_LAMBDA_FUNCTION_NAME":  "other",
		"_HANDLER":                  "evil",
		"GODEBUG":                   "x509ignoreCN=0",
		"PATH":                      "/tmp/evil",
		"securestream_lower":        "x",
		"NODE_OPTIONS":              "--require /tmp/evil.js",
		"SECURESTREAM_ALLOWED_HOST": "media.example.com",
	})
	got := processEnv(t, s)
	for k, want := range map[string]string{
		"SECURESTREAM_AUTH": "none", "SECURESTREAM_ALLOWED_HOST": "media.example.com",
		"AWS_ENDPOINT_URL": s.opts.Endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_LAMBDA_FUNCTION_NAME": "issuer",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "10", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
	} {
		if got[k] != want {
			t.Errorf("%s=%q in the function's process; want %q", k, got[k], want)
		}
	}
	for _, k := range []string{"_HANDLER", "GODEBUG", "securestream_lower", "NODE_OPTIONS"} {
		if v, ok := got[k]; ok && v == map[string]string{"_HANDLER": "evil", "GODEBUG": "x509ignoreCN=0", "securestream_lower": "x", "NODE_OPTIONS": "--require /tmp/evil.js"}[k] {
			t.Errorf("%s=%q reached the function's process from its configuration in moto", k, v)
		}
	}
	if got["PATH"] == "/tmp/evil" {
		t.Error("the function's configuration set the process's PATH")
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("%d starts, want 1", n)
	}
}

// A function whose environment sets a dynamic loader variable (LD_PRELOAD
// runs a library of the attacker's choice in the emulator) is refused
// with 502 and the reason, and nothing is started.
func TestFunctionWithLoaderVariableRefused(t *testing.T) {
	rie := fakeRIE(t)
	for _, name := range []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "ld_audit"} {
		t.Run(name, func(t *testing.T) {
			s, starts := localAPI(t, Options{RIE: rie}, map[string]string{"SECURESTREAM_AUTH": "none", name: "/tmp/evil.so"})
			status, body := post(t, s.URL+"/fn/issuer/", "{}", "")
			if status != http.StatusBadGateway || !strings.Contains(body, name) || !strings.Contains(body, "remove it") {
				t.Errorf("%d %s; want 502 naming %s and saying to remove it", status, body, name)
			}
			if strings.Contains(body, "/tmp/evil.so") {
				t.Errorf("the answer repeats the variable's value: %s", body)
			}
			if n := starts.Load(); n != 0 {
				t.Errorf("the function was started %d times", n)
			}
		})
	}
}

// The local API answers loopback names only: a web page that rebinds its
// own name to 127.0.0.1 would otherwise call the functions (and read
// their answers) as same-origin.
func TestForeignHostRefused(t *testing.T) {
	s := start(t, Options{Endpoint: notFoundAWS(t)})
	for host, want := range map[string]int{
		"evil.example":           http.StatusForbidden,
		"evil.example:4582":      http.StatusForbidden,
		"x.cloudfront.local":     http.StatusForbidden,
		"127.0.0.1.evil.example": http.StatusForbidden,
		"127.0.0.1":              http.StatusNotFound, // served: the fake AWS knows no API
		"localhost:4582":         http.StatusNotFound,
		"[::1]":                  http.StatusNotFound,
	} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/a1b2c3/prod/key", strings.NewReader("{}"))
		req.Host = host
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == http.StatusForbidden && (!strings.Contains(string(b), "Host") || resp.Header.Get("X-Local-Api-Error") != "true")) {
			t.Errorf("Host %q: %d %s; want %d", host, resp.StatusCode, b, want)
		}
	}
}

// With a KVSEndpoint (the local stack's CloudFront), the function's
// process gets AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE, which wins over
// any value the function's configuration holds: an issuer's revocation
// store is written through the local CloudFront, not moto. Without one,
// nothing is passed.
func TestFunctionGetsKVSEndpoint(t *testing.T) {
	rie := fakeRIE(t)
	vars := map[string]string{"SECURESTREAM_AUTH": "none", "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE": "http://attacker.example"}
	environ := func(kvs string) map[string]string {
		t.Helper()
		s, _ := localAPI(t, Options{RIE: rie, KVSEndpoint: kvs}, vars)
		return processEnv(t, s)
	}
	const local = "http://127.0.0.1:4580"
	if got := environ(local)["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"]; got != local {
		t.Errorf("AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE=%q in the function's process; want %q", got, local)
	}
	if got, ok := environ("")["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"]; ok {
		t.Errorf("AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE=%q passed without a KVSEndpoint", got)
	}
}
