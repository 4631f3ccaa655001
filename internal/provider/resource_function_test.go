package provider

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// cfEnv is an acceptance test's CloudFront: the local CloudFront, an
// origin that serves an HLS stream and records what reaches it, and the
// SDK client the test checks with.
type cfEnv struct {
	*accEnv
	cf     *localcf.Server
	client *cloudfront.Client
	origin *httptest.Server
	mu     sync.Mutex
	seen   []*http.Request // what reached the origin
}

func newCFEnv(t *testing.T, cfg localcf.Config) *cfEnv {
	e := &cfEnv{accEnv: newAccEnv(t), cf: localtest.StartCloudFront(t, cfg)}
	e.client = cloudfront.NewFromConfig(e.clients.Config, func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(e.cf.Endpoint) })
	e.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.seen = append(e.seen, r.Clone(context.Background()))
		e.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/master.m3u8"):
			fmt.Fprint(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2000000\n720p/index.m3u8\n")
		case strings.HasSuffix(r.URL.Path, ".m3u8"):
			fmt.Fprint(w, "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg1.ts\n#EXT-X-ENDLIST\n")
		case strings.HasSuffix(r.URL.Path, ".ts"):
			_, _ = w.Write(make([]byte, 188*10))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(e.origin.Close)
	return e
}

// provider is the provider block with the local CloudFront.
func (e *cfEnv) provider() string {
	return e.accEnv.provider(cloudfrontEndpoint(e.cf.Endpoint))
}

// publishFunction creates the CloudFront Function name, which passes
// every request on, and publishes it, as someone else would, outside
// Terraform; it returns the function's ARN.
func (e *cfEnv) publishFunction(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	out, err := e.client.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String(name), FunctionCode: []byte("function handler(e) { return e.request; }"),
		FunctionConfig: &cftypes.FunctionConfig{Comment: aws.String("theirs"), Runtime: cftypes.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String(name), IfMatch: out.ETag}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.FunctionSummary.FunctionMetadata.FunctionARN)
}

// runOnDefault puts the function arn on the default cache behavior of the
// distribution dist (viewer requests), outside Terraform.
func (e *cfEnv) runOnDefault(t *testing.T, dist, arn string) {
	t.Helper()
	ctx := context.Background()
	got, err := e.client.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(dist)})
	if err != nil {
		t.Fatal(err)
	}
	got.DistributionConfig.DefaultCacheBehavior.FunctionAssociations = &cftypes.FunctionAssociations{Quantity: aws.Int32(1),
		Items: []cftypes.FunctionAssociation{{EventType: cftypes.EventTypeViewerRequest, FunctionARN: aws.String(arn)}}}
	if _, err := e.client.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(dist), IfMatch: got.ETag, DistributionConfig: got.DistributionConfig}); err != nil {
		t.Fatal(err)
	}
}

// secretHCL is securestream_secret.s for the issuer function fn, with args
// added to its arguments.
func secretHCL(fn, args string) string {
	return fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name = %q
  %s
}
`, fn, args)
}

// functionHCL is a securestream_function (the resource label) named edge
// on the ring of securestream_secret.s, with body added to its arguments
// (its associations, for one).
func functionHCL(label, edge, body string) string {
	return fmt.Sprintf(`
resource "securestream_function" %q {
  name     = %q
  key_ring = securestream_secret.s.key_ring
  %s
}
`, label, edge, body)
}

// distribution creates a distribution in front of the origin, with the
// default behavior and one for /live/*, and returns its id.
func (e *cfEnv) distribution(t *testing.T) string {
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(e.origin.URL, "http://"))
	p, _ := strconv.Atoi(port)
	methods := &cftypes.AllowedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{"GET", "HEAD"},
		CachedMethods: &cftypes.CachedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{"GET", "HEAD"}}}
	none := &cftypes.FunctionAssociations{Quantity: aws.Int32(0)}
	out, err := e.client.CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(name("ref")), Comment: aws.String("video"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("media"), DomainName: aws.String(host),
			CustomOriginConfig: &cftypes.CustomOriginConfig{HTTPPort: aws.Int32(int32(p)), HTTPSPort: aws.Int32(443),
				OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpOnly}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("media"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), AllowedMethods: methods, FunctionAssociations: none},
		CacheBehaviors: &cftypes.CacheBehaviors{Quantity: aws.Int32(1), Items: []cftypes.CacheBehavior{{PathPattern: aws.String("/live/*"),
			TargetOriginId: aws.String("media"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), AllowedMethods: methods, FunctionAssociations: none}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Distribution.Id)
}

// functionsOn returns the CloudFront Functions a behavior of a
// distribution runs ("" for the default behavior).
func (e *cfEnv) functionsOn(dist, pattern string) ([]string, error) {
	out, err := e.client.GetDistributionConfig(context.Background(), &cloudfront.GetDistributionConfigInput{Id: aws.String(dist)})
	if err != nil {
		return nil, err
	}
	fns := out.DistributionConfig.DefaultCacheBehavior.FunctionAssociations
	if pattern != "" {
		for _, b := range out.DistributionConfig.CacheBehaviors.Items {
			if aws.ToString(b.PathPattern) == pattern {
				fns = b.FunctionAssociations
			}
		}
	}
	var arns []string
	if fns != nil {
		for _, f := range fns.Items {
			arns = append(arns, aws.ToString(f.FunctionARN))
		}
	}
	return arns, nil
}

// liveHash is the SHA-256 of a function's LIVE code.
func (e *cfEnv) liveHash(name string) (string, error) {
	out, err := e.client.GetFunction(context.Background(), &cloudfront.GetFunctionInput{Name: aws.String(name), Stage: cftypes.FunctionStageLive})
	if err != nil {
		return "", err
	}
	return hashOf(out.FunctionCode), nil
}

// get fetches path through the distribution's edge.
func (e *cfEnv) get(dist, path string, header map[string]string) (int, error) {
	req, err := http.NewRequest("GET", e.cf.EdgeURL(dist)+path, nil)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// checkDestroyed: the function is gone, and no behavior runs it (another
// function may stay).
func (e *cfEnv) checkDestroyed(function string, dists ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		if err := e.accEnv.checkDestroyed(s); err != nil {
			return err
		}
		if _, err := e.client.DescribeFunction(context.Background(), &cloudfront.DescribeFunctionInput{Name: aws.String(function)}); err == nil {
			return fmt.Errorf("the function %s is still there", function)
		}
		for _, d := range dists {
			for _, p := range []string{"", "/live/*"} {
				arns, err := e.functionsOn(d, p)
				if err != nil {
					return err
				}
				for _, a := range arns {
					if strings.HasSuffix(a, ":function/"+function) {
						return fmt.Errorf("distribution %s %q still runs %s", d, p, a)
					}
				}
			}
		}
		return nil
	}
}

func functionConfig(e *cfEnv, fn, issuer, rotation, extra, assoc string) string {
	return e.provider() + secretHCL(issuer, fmt.Sprintf("rotation_triggers = { n = %q }", rotation)) +
		functionHCL("f", fn, extra+"\n  "+assoc) + `
# A key for the client the edge sees (the test, on loopback).
` + streamKeyBlock("data", "k", `activation_delay = "0s"`,
		`playback_url = "https://video.example.com/live/a/index.m3u8"`, `client_ip = "127.0.0.1"`,
		`user_agent = "Player/1.0"`, `bind_host = false`) + `
# A key that expired long ago.
` + streamKeyBlock("data", "old", `not_before = "2020-01-01T00:00:00Z"`,
		`expires_at = "2020-01-01T01:00:00Z"`, `playback_url = "https://video.example.com/live/a/index.m3u8"`,
		`client_ip = "127.0.0.1"`, `user_agent = "Player/1.0"`, `bind_host = false`)
}

// The function is rendered from the ring, published and attached; the
// edge lets a key through and refuses the rest; settings, a rotation and
// out-of-band drift re-render and republish; the code is never in the
// state; import by name; destroy detaches before deleting.
func TestAccFunction_lifecycle(t *testing.T) {
	e := newCFEnv(t, localcf.Config{ViewerIPHeader: "X-Test-Viewer-IP"})
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	assoc := assocOn(dist)
	cfg := func(rotation, extra string) string { return functionConfig(e, fn, issuer, rotation, extra, assoc) }
	var hash1 string
	edge := func(withKey bool, path string, want int) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, err := attrs(s, "data.securestream_stream_key.k")
			if err != nil {
				return err
			}
			h := map[string]string{"User-Agent": "Player/1.0"}
			if withKey {
				h["x-stream-token"] = a["token"]
			}
			got, err := e.get(dist, path, h)
			if err != nil || got != want {
				return fmt.Errorf("GET %s (key: %v): %d %v; want %d", path, withKey, got, err, want)
			}
			return nil
		}
	}
	// Every channel lets the key through to a master playlist and its
	// segments; a tampered, expired or elsewhere-used key does not.
	channels := func(s *terraform.State) error {
		a, _ := attrs(s, "data.securestream_stream_key.k")
		old, _ := attrs(s, "data.securestream_stream_key.old")
		tok := a["token"]
		flip := byte('A') // a character of the MAC, changed
		if tok[len(tok)-10] == 'A' {
			flip = 'B'
		}
		tampered := tok[:len(tok)-10] + string(flip) + tok[len(tok)-9:]
		ua := map[string]string{"User-Agent": "Player/1.0"}
		with := func(k, v string) map[string]string { return map[string]string{"User-Agent": "Player/1.0", k: v} }
		for _, c := range []struct {
			name, path string
			header     map[string]string
			want       int
		}{
			{"path prefix, master playlist", "/t/" + tok + "/live/a/master.m3u8", ua, 200},
			{"path prefix, variant playlist", "/t/" + tok + "/live/a/720p/index.m3u8", ua, 200},
			{"path prefix, segment", "/t/" + tok + "/live/a/720p/seg1.ts", ua, 200},
			{"query", "/live/a/index.m3u8?stream_token=" + tok, ua, 200},
			{"cookie", "/live/a/seg1.ts", with("Cookie", "stream_token="+tok), 200},
			{"header", "/live/a/seg1.ts", with("x-stream-token", tok), 200},
			{"tampered", "/live/a/seg1.ts", with("x-stream-token", tampered), 403},
			{"expired", "/live/a/seg1.ts", with("x-stream-token", old["token"]), 403},
			{"another address", "/live/a/seg1.ts", map[string]string{"User-Agent": "Player/1.0", "x-stream-token": tok, "X-Test-Viewer-IP": "203.0.113.9"}, 403},
			{"another user agent", "/live/a/seg1.ts", map[string]string{"User-Agent": "curl/8", "x-stream-token": tok}, 403},
		} {
			if got, err := e.get(dist, c.path, c.header); err != nil || got != c.want {
				return fmt.Errorf("%s: GET %s: %d %v; want %d", c.name, c.path, got, err, c.want)
			}
		}
		return nil
	}
	live := func(s *terraform.State) error {
		a, _ := attrs(s, "securestream_function.f")
		h, err := e.liveHash(fn)
		if err != nil || h != a["code_sha256"] || a["live_code_sha256"] != h {
			return fmt.Errorf("LIVE code hash %s (%v); state code_sha256 %s, live_code_sha256 %s", h, err, a["code_sha256"], a["live_code_sha256"])
		}
		for _, p := range []string{"", "/live/*"} {
			arns, err := e.functionsOn(dist, p)
			if err != nil || len(arns) != 1 || !strings.HasSuffix(arns[0], ":function/"+fn) || arns[0] != a["arn"] {
				return fmt.Errorf("behavior %q runs %v (%v); want %s", p, arns, err, a["arn"])
			}
		}
		return nil
	}
	changed := func(s *terraform.State) error {
		a, _ := attrs(s, "securestream_function.f")
		if a["code_sha256"] == hash1 {
			return fmt.Errorf("the code did not change (%s)", hash1)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed(fn, dist),
		Steps: []resource.TestStep{
			{
				Config: cfg("1", ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("key_ids"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("status"), knownvalue.NotNull()),
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 1), // also: no key of the ring in any state file
					capture("securestream_function.f", "code_sha256", &hash1), live, channels,
					edge(true, "/live/a/index.m3u8", 200), edge(true, "/live/a/seg1.ts", 200),
					edge(false, "/live/a/index.m3u8", 403), edge(true, "/vod/b/index.m3u8", 403),
					func(*terraform.State) error { // the token never reaches the origin
						e.mu.Lock()
						defer e.mu.Unlock()
						for _, r := range e.seen {
							if r.Header.Get("x-stream-token") != "" || strings.Contains(r.URL.RawQuery, "stream_token") {
								return fmt.Errorf("the origin saw a token: %s %v", r.URL, r.Header)
							}
						}
						if len(e.seen) == 0 {
							return fmt.Errorf("nothing reached the origin")
						}
						return nil
					},
				),
			},
			{
				// A setting: the header channel only. Rendered at plan (the
				// ring is known now): the hash is known; republished.
				Config: cfg("1", "token_query = \"\"\n  token_cookie = \"\"\n  exempt_paths = [\"/favicon.ico\"]"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("code_sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
					plancheck.ExpectUnknownValue("securestream_function.f", tfjsonpath.New("live_etag")),
				}},
				Check: resource.ComposeTestCheckFunc(changed, live, edge(true, "/live/a/seg1.ts", 200)),
			},
			{
				// The verifier's settings: each is written into the code.
				Config: cfg("1", "token_query = \"\"\n  token_cookie = \"\"\n  exempt_paths = [\"/favicon.ico\"]\n  max_lifetime = \"12h\"\n"+
					"  leeway = \"0s\"\n  preflight_needs_token = true\n  debug_reasons = true\n  comment = \"video edge\""),
				Check: resource.ComposeTestCheckFunc(live, edge(true, "/live/a/seg1.ts", 200),
					func(*terraform.State) error { // debug_reasons: the precise reason in the 403
						req, _ := http.NewRequest("GET", e.cf.EdgeURL(dist)+"/live/a/seg1.ts", nil)
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							return err
						}
						resp.Body.Close()
						if got := resp.Header.Get("x-stream-key-error"); resp.StatusCode != 403 || got != "missing" {
							return fmt.Errorf("no key: %d with x-stream-key-error %q; want 403 missing", resp.StatusCode, got)
						}
						return nil
					}),
			},
			{
				// report_only: every request passes, refusals are logged.
				Config: cfg("1", "token_query = \"\"\n  token_cookie = \"\"\n  report_only = true"),
				Check:  resource.ComposeTestCheckFunc(live, edge(false, "/live/a/index.m3u8", 200)),
			},
			{
				// A rotation of the ring: two keys in the function. The
				// ring is known only at apply; the ARN and the status,
				// which an update and publish do not change, stay known
				// (issue 20, item 12).
				Config: cfg("2", "token_query = \"\"\n  token_cookie = \"\"\n  exempt_paths = [\"/favicon.ico\"]"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("securestream_function.f", tfjsonpath.New("code_sha256")),
					plancheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("arn"), knownvalue.StringRegexp(regexp.MustCompile(`:function/`+fn+`$`))),
					plancheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("status"), knownvalue.StringExact("DEPLOYED")),
					plancheck.ExpectUnknownValue("securestream_function.f", tfjsonpath.New("etag")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("key_ids"), knownvalue.ListSizeExact(2)),
				},
				Check: resource.ComposeTestCheckFunc(live, e.checkRing("securestream_secret.s", 2), edge(true, "/live/a/seg1.ts", 200)),
			},
			{
				// Drift: the code edited and the association removed out of
				// band; the plan shows it, the apply repairs it.
				PreConfig: func() {
					ctx := context.Background()
					d, err := e.client.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(fn)})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := e.client.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String(fn), IfMatch: d.ETag,
						FunctionCode:   []byte("function handler(event) { return event.request; }"),
						FunctionConfig: &cftypes.FunctionConfig{Comment: aws.String("edited"), Runtime: cftypes.FunctionRuntimeCloudfrontJs20}}); err != nil {
						t.Fatal(err)
					}
					got, err := e.client.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(dist)})
					if err != nil {
						t.Fatal(err)
					}
					got.DistributionConfig.DefaultCacheBehavior.FunctionAssociations = &cftypes.FunctionAssociations{Quantity: aws.Int32(0)}
					if _, err := e.client.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(dist), IfMatch: got.ETag,
						DistributionConfig: got.DistributionConfig}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg("2", "token_query = \"\"\n  token_cookie = \"\"\n  exempt_paths = [\"/favicon.ico\"]"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(live, edge(false, "/live/a/index.m3u8", 403)),
			},
			{
				ResourceName:      "securestream_function.f",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateId:     fn,
				// Only the configuration knows what the code is rendered from.
				ImportStateVerifyIgnore: []string{"key_ring", "token_query", "token_cookie", "exempt_paths",
					"association", "key_ids", "timeouts"},
			},
		},
	})
}

// Rendering problems are plan errors on the argument at fault.
func TestAccFunction_refusedAtPlan(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	var huge []string
	for i := range 200 {
		huge = append(huge, fmt.Sprintf("%q", fmt.Sprintf("/posters/a-rather-long-directory-name-%03d/*", i)))
	}
	var steps []resource.TestStep
	for _, c := range []struct{ extra, want string }{
		{"seed_compat = true", `ring has no seed key.*secret_wo`},
		{"exempt_paths = [" + strings.Join(huge, ", ") + "]", `Cannot render the edge function.*10240`},
		{"token_header = \"\"\n  token_query = \"\"\n  token_cookie = \"\"\n  token_path_prefix = \"\"", `Every token channel is off`},
		{"exempt_paths = [\"/a/../b\"]", `Invalid path pattern`},
		{"token_header = \"x_token\"", `token_header`},
	} {
		steps = append(steps, resource.TestStep{Config: functionConfig(e, fn, issuer, "1", c.extra, ""), ExpectError: regexp.MustCompile(`(?s)` + c.want)})
	}
	steps = append(steps, resource.TestStep{Config: functionConfig(e, fn, issuer, "1", "", "")}) // so that the destroy plan is valid
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, CheckDestroy: e.accEnv.checkDestroyed, Steps: steps})
}

// Another function on the behavior is refused, naming it, unless
// replace_existing; CloudFront's 412 races and throttling are survived.
func TestAccFunction_associationRules(t *testing.T) {
	e := newCFEnv(t, localcf.Config{DeployDelay: time.Second})
	dist := e.distribution(t)
	ctx := context.Background()
	// Someone else's function on the default behavior.
	other := name("other")
	e.runOnDefault(t, dist, e.publishFunction(t, other))
	fn, issuer := name("edge"), name("issuer")
	assoc := func(replace bool) string {
		return assocHCL(assocEntry(dist, "", fmt.Sprintf("replace_existing = %v", replace)))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed(fn, dist),
		Steps: []resource.TestStep{
			{
				// Refused at plan (issue 20, item 4): nothing is made.
				Config:      functionConfig(e, fn, issuer, "1", "", assoc(false)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)The cache behavior runs another function.*runs the CloudFront\s+Function\s.*` + other + `.*replace_existing`),
			},
			{
				// The apply's own plan refuses it too, before the secret or
				// the function is made.
				Config:      functionConfig(e, fn, issuer, "1", "", assoc(false)),
				ExpectError: regexp.MustCompile(`(?s)The cache behavior runs another function.*` + other),
			},
			{
				// Races and throttling on the way: the apply converges.
				PreConfig: func() {
					e.noFunction(t, other)
					e.cf.Fail("UpdateDistribution", 1, "PreconditionFailed")
					e.cf.Fail("GetDistributionConfig", 2, "Throttling")
					e.cf.Fail("PublishFunction", 1, "Throttling")
				},
				Config: functionConfig(e, fn, issuer, "1", "", assoc(true)),
				Check: func(s *terraform.State) error {
					a, _ := attrs(s, "securestream_function.f")
					arns, err := e.functionsOn(dist, "")
					if err != nil || len(arns) != 1 || arns[0] != a["arn"] {
						return fmt.Errorf("the default behavior runs %v (%v); want only %s", arns, err, a["arn"])
					}
					return nil
				},
			},
			{
				// A change that waits for the distribution to deploy.
				Config: functionConfig(e, fn, issuer, "1", "wait_for_deployment = true\n  debug_reasons = true", assoc(true)),
				Check: func(*terraform.State) error {
					got, err := e.client.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(dist)})
					if err != nil || aws.ToString(got.Distribution.Status) != "Deployed" {
						return fmt.Errorf("after the apply the distribution is %v (%v); want Deployed", aws.ToString(got.Distribution.Status), err)
					}
					return nil
				},
			},
		},
	})
}

// functionCodeData is data "securestream_function_code" "c" with the
// given arguments (HCL expressions) and more in extra.
func functionCodeData(keyRing, extra string) string {
	return fmt.Sprintf("\ndata \"securestream_function_code\" \"c\" {\n  key_ring = %s\n  %s\n}\n", keyRing, extra)
}

// ringHCL is a key_ring written out from its three values (expressions).
func ringHCL(ciphertext, kmsKeyID, function string) string {
	return fmt.Sprintf("{\n    ciphertext    = %s\n    kms_key_id    = %s\n    function_name = %s\n  }", ciphertext, kmsKeyID, function)
}

// The code data source renders what the resource deploys: the same hash
// for the same ring and settings, the keys in the code, the runtime.
func TestAccFunctionCode_dataSource(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	cfg := functionConfig(e, fn, issuer, "1", "", "") +
		functionCodeData("securestream_secret.s.key_ring", "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed(fn),
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.securestream_function_code.c", "code_sha256", "securestream_function.f", "code_sha256"),
				resource.TestCheckResourceAttrPair("data.securestream_function_code.c", "key_ids.0", "securestream_secret.s", "newest_key_id"),
				resource.TestCheckResourceAttr("data.securestream_function_code.c", "runtime", "cloudfront-js-2.0"),
				func(s *terraform.State) error {
					a, _ := attrs(s, "data.securestream_function_code.c")
					if hashOf([]byte(a["code"])) != a["code_sha256"] || strconv.Itoa(len(a["code"])) != a["code_size"] ||
						!strings.Contains(a["code"], "function handler(event)") {
						return fmt.Errorf("code of %s bytes, sha256 %s, size %s", strconv.Itoa(len(a["code"])), a["code_sha256"], a["code_size"])
					}
					return nil
				},
			),
		}},
	})
}

// allowOptions lets the distribution's behaviors take OPTIONS, which a
// browser's CORS preflight needs (CloudFront refuses a method a behavior
// does not allow before any function runs).
func (e *cfEnv) allowOptions(t *testing.T, dist string) {
	ctx := context.Background()
	got, err := e.client.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(dist)})
	if err != nil {
		t.Fatal(err)
	}
	methods := &cftypes.AllowedMethods{Quantity: aws.Int32(3), Items: []cftypes.Method{"GET", "HEAD", "OPTIONS"},
		CachedMethods: &cftypes.CachedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{"GET", "HEAD"}}}
	dc := got.DistributionConfig
	dc.DefaultCacheBehavior.AllowedMethods = methods
	for i := range dc.CacheBehaviors.Items {
		dc.CacheBehaviors.Items[i].AllowedMethods = methods
	}
	if _, err := e.client.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(dist), IfMatch: got.ETag, DistributionConfig: dc}); err != nil {
		t.Fatal(err)
	}
}

// options sends an OPTIONS request through the distribution's edge.
func (e *cfEnv) options(dist, path string, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequest("OPTIONS", e.cf.EdgeURL(dist)+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// M1: the function answers CORS preflights itself, from cors_origins and
// cors_max_age, and no request without a key reaches the origin; the
// code data source renders the same settings.
func TestAccFunction_cors(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	dist := e.distribution(t)
	e.allowOptions(t, dist)
	fn, issuer := name("edge"), name("issuer")
	assoc := assocHCL(assocEntry(dist, "/live/*"))
	const player = "https://player.example.com"
	settings := "cors_origins = [\"" + player + "\", \"http://localhost:3000\"]\n  cors_max_age = \"90s\""
	withCode := func(extra string) string {
		return functionConfig(e, fn, issuer, "1", extra, assoc) +
			functionCodeData("securestream_secret.s.key_ring", extra)
	}
	preflight := func(origin string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-stream-token"}
	}
	// answers checks the answers to preflights and that nothing without a
	// key reached the origin.
	answers := func(allowOrigin, maxAge, vary string, refused ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			e.mu.Lock()
			before := len(e.seen)
			e.mu.Unlock()
			resp, err := e.options(dist, "/live/a/seg1.ts", preflight(player))
			if err != nil {
				return err
			}
			h := resp.Header
			if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != allowOrigin || h.Get("Access-Control-Max-Age") != maxAge ||
				h.Get("Vary") != vary || h.Get("Access-Control-Allow-Methods") != "GET, HEAD" || h.Get("Access-Control-Allow-Headers") != "x-stream-token, range" {
				return fmt.Errorf("preflight from %s: %d %v; want 204, allow-origin %q, max-age %s", player, resp.StatusCode, h, allowOrigin, maxAge)
			}
			for _, o := range refused {
				resp, err := e.options(dist, "/live/a/seg1.ts", preflight(o))
				if err != nil {
					return err
				}
				if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
					return fmt.Errorf("preflight from %s: %d %v; want 403 without Access-Control-Allow-Origin", o, resp.StatusCode, resp.Header)
				}
			}
			for _, h := range []map[string]string{nil, {"Origin": player}} {
				if resp, err := e.options(dist, "/live/a/seg1.ts", h); err != nil || resp.StatusCode != 403 {
					return fmt.Errorf("OPTIONS without a key, headers %v: %v %v; want 403", h, resp, err)
				}
			}
			if got, err := e.get(dist, "/live/a/seg1.ts", map[string]string{"Origin": player}); err != nil || got != 403 {
				return fmt.Errorf("GET without a key: %d %v; want 403", got, err)
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if len(e.seen) != before {
				return fmt.Errorf("%d request(s) without a key reached the origin: %s %s", len(e.seen)-before, e.seen[before].Method, e.seen[before].URL)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed(fn, dist),
		Steps: []resource.TestStep{
			{
				Config: withCode(settings),
				Check: resource.ComposeTestCheckFunc(
					answers(player, "90", "origin", "https://evil.example.net", "https://PLAYER.example.com"),
					resource.TestCheckResourceAttrPair("data.securestream_function_code.c", "code_sha256", "securestream_function.f", "code_sha256"),
					func(s *terraform.State) error {
						a, _ := attrs(s, "data.securestream_function_code.c")
						if !strings.Contains(a["code"], `"`+player+`"`) {
							return fmt.Errorf("the data source's code does not hold the allowed origins")
						}
						return nil
					},
				),
			},
			{
				// The defaults: any origin, ten minutes.
				Config: withCode(""),
				Check:  answers("*", "600", ""),
			},
		},
	})
}

// The CORS settings are checked at plan, naming the argument.
func TestAccFunction_corsRefusedAtPlan(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	var steps []resource.TestStep
	for _, c := range []struct{ extra, want string }{
		{`cors_origins = ["https://Player.example.com"]`, `Invalid value.*lower case`},
		{`cors_origins = ["https://player.example.com/"]`, `Invalid value.*no path`},
		{`cors_origins = ["https://player.example.com:443"]`, `Invalid value.*default port`},
		{`cors_origins = ["*", "https://player.example.com"]`, `cors_origins.*must be alone`},
		{`cors_max_age = "3h"`, `cors_max_age.*1s to 2h`},
		{`cors_max_age = "1500ms"`, `cors_max_age.*whole number of seconds`},
	} {
		steps = append(steps, resource.TestStep{Config: functionConfig(e, fn, issuer, "1", c.extra, ""), ExpectError: regexp.MustCompile(`(?s)` + c.want)})
	}
	steps = append(steps, resource.TestStep{Config: functionConfig(e, fn, issuer, "1", "", "")}) // so that the destroy plan is valid
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, CheckDestroy: e.accEnv.checkDestroyed, Steps: steps})
}

// H6: leeway is applied to a key's start (and the maximum-lifetime bound),
// never to its expiry, as the code does; the description says so.
func TestLeewayDescription(t *testing.T) {
	d := functionCodeAttrs()["leeway"].desc
	if strings.Contains(d, "start and expiry") || !strings.Contains(d, "not_before") || !strings.Contains(d, "Expiry has none") {
		t.Errorf("leeway's description: %q; want it to say the leeway applies to not_before and not to the expiry", d)
	}
}

func TestThinMargin(t *testing.T) {
	for _, c := range []struct {
		name                       string
		fresh, ring, publish, wait bool
		associations               int
		want                       bool
	}{
		{name: "rotation, wait", ring: true, publish: true, wait: true, associations: 1, want: true},
		{name: "rotation, two associations", ring: true, publish: true, associations: 2, want: true},
		{name: "rotation, one association", ring: true, publish: true, associations: 1},
		{name: "rotation, no association", ring: true, publish: true},
		{name: "no ring change", publish: true, wait: true, associations: 3},
		{name: "new function", fresh: true, ring: true, publish: true, wait: true, associations: 3},
		{name: "not published", ring: true, wait: true, associations: 3},
	} {
		if got := thinMargin(c.fresh, c.ring, c.publish, c.wait, c.associations); got != c.want {
			t.Errorf("%s: thinMargin = %v, want %v", c.name, got, c.want)
		}
	}
	if got := thinMarginWhy(true, 2); !strings.Contains(got, "wait_for_deployment = true") || !strings.Contains(got, "2 associations") {
		t.Errorf("thinMarginWhy(true, 2) = %q", got)
	}
}
