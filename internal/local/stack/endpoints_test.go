package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	cfsdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
)

func TestChanges(t *testing.T) {
	iss := api.Entry{Name: "player-keys", Issuer: true, Kind: "http_api", ID: "a1", URL: "http://127.0.0.1:4582/a1/"}
	other := api.Entry{Name: "misc", Kind: "rest_api", ID: "r1", URL: "http://127.0.0.1:4582/r1/prod/"}
	fnURL := api.Entry{Name: "fn1", Kind: "function_url", ID: "fn1", URL: "http://127.0.0.1:4582/fn/fn1/"}
	moved := iss
	moved.URL = "http://127.0.0.1:4582/a2/"
	for _, tc := range []struct {
		prev, cur []api.Entry
		want      []string
	}{
		{nil, []api.Entry{iss, other, fnURL}, []string{
			"issuer player-keys → http://127.0.0.1:4582/a1/",
			"API misc (r1) → http://127.0.0.1:4582/r1/prod/",
			"function URL of fn1 → http://127.0.0.1:4582/fn/fn1/"}},
		{[]api.Entry{iss, other}, []api.Entry{iss, other}, nil},
		{[]api.Entry{iss, other}, []api.Entry{moved}, []string{
			"issuer player-keys → http://127.0.0.1:4582/a2/",
			"issuer player-keys is gone (http://127.0.0.1:4582/a1/)",
			"API misc (r1) is gone (http://127.0.0.1:4582/r1/prod/)"}},
	} {
		got := Changes(Endpoints{Issuers: tc.prev}, Endpoints{Issuers: tc.cur})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Changes(%v, %v) = %q, want %q", tc.prev, tc.cur, got, tc.want)
		}
	}
}

// moto_server's output goes to MotoLog, and to MotoOutput as well when
// set.
func TestMotoLog(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "sub", "moto.log")
	var seen strings.Builder
	var mu sync.Mutex
	s := startWithMoto(t, Options{WithoutAPI: true, WithoutMoto: false, MotoLog: logFile,
		MotoOutput: writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return seen.Write(p) })})
	if code, err := get(s.MotoURL + "/moto-api/data.json"); err != nil || code != 200 {
		t.Fatalf("moto: %d %v", code, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(b), "GET /moto-api/data.json") {
		t.Errorf("moto's log: %v\n%s\nwant its access log line for GET /moto-api/data.json", err, b)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(seen.String(), "GET /moto-api/data.json") {
		t.Errorf("MotoOutput got %q; want moto's output there too", seen.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Watch reports each issuer the local API serves and each distribution's
// own edge URL when they appear; WriteEndpoints writes them for scripts.
func TestWatchEndpoints(t *testing.T) {
	s := startWithMoto(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan Endpoints, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Watch(ctx, 50*time.Millisecond, func(e Endpoints) { seen <- e })
	}()
	defer func() { cancel(); <-done }()
	next := func(what string, ok func(Endpoints) bool) Endpoints {
		t.Helper()
		timeout := time.After(time.Minute) // a hang guard: it polls every 50 ms
		for {
			select {
			case e := <-seen:
				if ok(e) {
					return e
				}
			case <-timeout:
				t.Fatalf("Watch never reported %s", what)
			}
		}
	}
	first := next("the stack", func(Endpoints) bool { return true })
	if first.Moto != s.MotoURL || first.API != s.API.URL || first.CloudFront != s.CloudFront.Endpoint || first.Edge != s.CloudFront.EdgeEndpoint ||
		first.CloudFrontKeyValueStore != s.CloudFront.Endpoint ||
		first.PID != os.Getpid() || len(first.Issuers) != 0 || len(first.Distributions) != 0 {
		t.Errorf("first reading %+v", first)
	}

	// An issuer's HTTP API, as securestream_issuer makes it: tagged, with
	// a $default stage.
	v2 := apigatewayv2.NewFromConfig(emulators.SDKConfig(s.MotoURL))
	a, err := v2.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("player-keys"), ProtocolType: "HTTP",
		Tags: map[string]string{api.IssuerTag: "player-keys"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	wantURL := s.API.URL + "/" + aws.ToString(a.ApiId) + "/"
	withIssuer := next("the issuer", func(e Endpoints) bool { return len(e.Issuers) > 0 })
	if want := []api.Entry{{Name: "player-keys", Issuer: true, Kind: "http_api", ID: aws.ToString(a.ApiId), URL: wantURL}}; !reflect.DeepEqual(withIssuer.Issuers, want) {
		t.Errorf("issuers %+v, want %+v", withIssuer.Issuers, want)
	}
	if lines := Changes(first, withIssuer); len(lines) != 1 || lines[0] != "issuer player-keys → "+wantURL {
		t.Errorf("Changes: %q", lines)
	}

	id := createDistribution(t, s)
	withDist := next("the distribution", func(e Endpoints) bool { return len(e.Distributions) > 0 })
	if u := withDist.Distributions[id]; u == "" || u != s.CloudFront.EdgeURL(id) {
		t.Errorf("distributions %v; want %s at %s", withDist.Distributions, id, s.CloudFront.EdgeURL(id))
	}

	path := filepath.Join(t.TempDir(), "dir", "endpoints.json")
	if err := WriteEndpoints(path, withDist); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var read struct {
		Moto, API     string
		Issuers       []struct{ Name, URL string }
		Distributions map[string]string
	}
	if err := json.Unmarshal(b, &read); err != nil || read.Moto != s.MotoURL || read.API != s.API.URL || len(read.Issuers) != 1 ||
		read.Issuers[0].URL != wantURL || read.Distributions[id] == "" {
		t.Errorf("endpoints.json: %v\n%s", err, b)
	}
}

// createDistribution makes a distribution in the stack's local CloudFront
// and returns its id.
func createDistribution(t *testing.T, s *Stack) string {
	t.Helper()
	methods := &cftypes.AllowedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead},
		CachedMethods: &cftypes.CachedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead}}}
	out, err := cloudFrontClient(s).CreateDistribution(context.Background(), &cfsdk.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(fmt.Sprint(time.Now().UnixNano())),
		Comment:         aws.String(""),
		Enabled:         aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("o"), DomainName: aws.String("127.0.0.1"),
			CustomOriginConfig: &cftypes.CustomOriginConfig{HTTPPort: aws.Int32(9), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpOnly}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("o"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"), AllowedMethods: methods},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Distribution.Id)
}
