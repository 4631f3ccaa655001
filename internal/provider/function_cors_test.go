package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

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
	assoc := fmt.Sprintf("association {\n    distribution_id = %q\n    path_pattern = \"/live/*\"\n  }", dist)
	const player = "https://player.example.com"
	settings := "cors_origins = [\"" + player + "\", \"http://localhost:3000\"]\n  cors_max_age = \"90s\""
	withCode := func(extra string) string {
		return functionConfig(e, fn, issuer, "1", extra, assoc) +
			functionCodeData("securestream_secret.s.ciphertext", "securestream_secret.s.id", "securestream_secret.s.function_name", extra)
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
