package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// CloudFront's faults (412 races, Throttling, 503, and answers lost on the
// way back) at every step of securestream_function: create, publish,
// association, update, detach and delete. After each apply, or after the
// one that follows a failed apply, there is exactly one function, LIVE
// with the code of the state, on every behavior it names and on no other,
// the distributions Deployed; a destroy leaves no function and no
// association.

// behaviors are the cache behaviors of cfEnv.distribution.
var behaviors = []string{"", "/live/*"}

// assocOn attaches the function to both behaviors of each distribution.
func assocOn(dists ...string) string {
	var entries []string
	for _, d := range dists {
		entries = append(entries, assocEntry(d, ""), assocEntry(d, "/live/*"))
	}
	return assocHCL(entries...)
}

// assocEntry is one association, on one line: distribution dist, the
// behavior of pattern ("" for the default one), and more "name = value"s.
func assocEntry(dist, pattern string, more ...string) string {
	args := []string{fmt.Sprintf("distribution_id = %q", dist)}
	if pattern != "" {
		args = append(args, fmt.Sprintf("path_pattern = %q", pattern))
	}
	return "{ " + strings.Join(append(args, more...), ", ") + " }"
}

// assocHCL is the association argument of the entries, one a line ("" for
// none).
func assocHCL(entries ...string) string {
	if len(entries) == 0 {
		return ""
	}
	return "association = [\n    " + strings.Join(entries, ",\n    ") + ",\n  ]\n  "
}

// functionNames lists the functions the local CloudFront holds (one row
// per function: its DEVELOPMENT stage).
func (e *cfEnv) functionNames() ([]string, error) {
	out, err := e.client.ListFunctions(context.Background(), &cloudfront.ListFunctionsInput{Stage: cftypes.FunctionStageDevelopment})
	if err != nil {
		return nil, err
	}
	var names []string
	if out.FunctionList != nil {
		for _, f := range out.FunctionList.Items {
			names = append(names, aws.ToString(f.Name))
		}
	}
	return names, nil
}

// attachedTo returns, for each behavior of a distribution, the functions
// it runs, and the distribution's status.
func (e *cfEnv) attachedTo(dist string) (map[string][]string, string, error) {
	runs := map[string][]string{}
	for _, p := range behaviors {
		arns, err := e.functionsOn(dist, p)
		if err != nil {
			return nil, "", err
		}
		runs[p] = arns
	}
	got, err := e.client.GetDistribution(context.Background(), &cloudfront.GetDistributionInput{Id: aws.String(dist)})
	if err != nil {
		return nil, "", err
	}
	return runs, aws.ToString(got.Distribution.Status), nil
}

// converged checks the state against the local CloudFront: exactly one
// function, fn, LIVE with the state's code; each distribution of on runs
// it on both behaviors and nothing else, each of off runs nothing; all
// Deployed.
func (e *cfEnv) converged(fn string, on, off []string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, "securestream_function.f")
		if err != nil {
			return err
		}
		names, err := e.functionNames()
		if err != nil || !slices.Equal(names, []string{fn}) {
			return fmt.Errorf("the local CloudFront holds the functions %v (%v); want exactly [%s]", names, err, fn)
		}
		live, err := e.liveHash(fn)
		if err != nil || live != a["code_sha256"] || a["live_code_sha256"] != live {
			return fmt.Errorf("LIVE code %s (%v); the state says code_sha256 %s, live_code_sha256 %s", live, err, a["code_sha256"], a["live_code_sha256"])
		}
		for _, d := range append(slices.Clone(on), off...) {
			want := []string(nil)
			if slices.Contains(on, d) {
				want = []string{a["arn"]}
			}
			runs, status, err := e.attachedTo(d)
			if err != nil {
				return err
			}
			for _, p := range behaviors {
				if !slices.Equal(runs[p], want) {
					return fmt.Errorf("distribution %s, behavior %q runs %v; want %v", d, p, runs[p], want)
				}
			}
			if status != "Deployed" {
				return fmt.Errorf("distribution %s is %s; want Deployed", d, status)
			}
		}
		return nil
	}
}

// checkNothingLeft is a CheckDestroy: the AWS objects are gone (see
// accEnv.checkDestroyed), no function is left and no behavior of dists
// runs one.
func (e *cfEnv) checkNothingLeft(dists ...string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		if err := e.accEnv.checkDestroyed(s); err != nil {
			return err
		}
		return e.nothingLeft(dists...)
	}
}

// nothingLeft checks that no function is left and no behavior of dists
// runs one.
func (e *cfEnv) nothingLeft(dists ...string) error {
	names, err := e.functionNames()
	if err != nil || len(names) != 0 {
		return fmt.Errorf("after the destroy the local CloudFront holds the functions %v (%v); want none", names, err)
	}
	for _, d := range dists {
		runs, _, err := e.attachedTo(d)
		if err != nil {
			return err
		}
		for p, arns := range runs {
			if len(arns) != 0 {
				return fmt.Errorf("after the destroy distribution %s, behavior %q still runs %v", d, p, arns)
			}
		}
	}
	return nil
}

// edgeProtects checks that the edge lets the state's stream key through
// to a segment, and refuses a request without one.
func (e *cfEnv) edgeProtects(dist string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		k, err := attrs(s, "data.securestream_stream_key.k")
		if err != nil {
			return err
		}
		for _, c := range []struct {
			header map[string]string
			want   int
		}{
			{map[string]string{"User-Agent": "Player/1.0", "x-stream-token": k["token"]}, 200},
			{map[string]string{"User-Agent": "Player/1.0"}, 403},
		} {
			got, err := e.get(dist, "/live/a/seg1.ts", c.header)
			if err != nil || got != c.want {
				return fmt.Errorf("edge of %s: GET /live/a/seg1.ts with %d headers: %d (%v); want %d", dist, len(c.header), got, err, c.want)
			}
		}
		return nil
	}
}

// callCounter counts the calls of control-plane operations from a mark,
// to check that the injected faults were met, and how.
type callCounter struct {
	e  *cfEnv
	at map[string]int
}

func (c *callCounter) mark() {
	c.at = map[string]int{}
	for _, op := range []string{"CreateFunction", "UpdateFunction", "PublishFunction", "UpdateDistribution", "DeleteFunction"} {
		c.at[op] = c.e.cf.Calls(op)
	}
}

// want checks the calls since the mark.
func (c *callCounter) want(counts map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for op, n := range counts {
			if got := c.e.cf.Calls(op) - c.at[op]; got != n {
				return fmt.Errorf("%d calls of %s; want %d (the faults were not met as planned)", got, op, n)
			}
		}
		return nil
	}
}

// Faults that the retries absorb: each apply converges at once, without a
// second function, a half-attached distribution or FunctionInUse. Lost
// answers make the retries meet their own changes: the create finds its
// function (the same code: adopted), the publish finds its LIVE code
// (AWS refuses to publish an unchanged stage again, as the local
// CloudFront does by default), the association its behaviors attached,
// the delete its function gone.
func TestAccFunctionFaults_retried(t *testing.T) {
	// Instant deploy: converged wants each distribution Deployed right
	// after an apply that does not wait for it; deploy timing is not what
	// this test is about.
	e := newCFEnv(t, localcf.Config{InstantDeploy: true})
	d1, d2 := e.distribution(t), e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	calls := &callCounter{e: e}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Create, publish, attach to two distributions.
				PreConfig: func() {
					calls.mark()
					e.cf.Fail("CreateFunction", 1, "Throttling")
					e.cf.Lose("CreateFunction", 2, "ServiceUnavailable")
					e.cf.Lose("PublishFunction", 1, "ServiceUnavailable")
					e.cf.Fail("UpdateDistribution", 1, "PreconditionFailed")
					e.cf.Lose("UpdateDistribution", 2, "Throttling")
				},
				Config: functionConfig(e, fn, issuer, "1", "", assocOn(d1, d2)),
				Check: resource.ComposeTestCheckFunc(
					e.converged(fn, []string{d1, d2}, nil), e.edgeProtects(d1), e.edgeProtects(d2),
					// Create: throttled, lost, FunctionAlreadyExists (adopted).
					// Publish: lost, 412 on the unchanged stage (LIVE holds
					// the code). d1: 412, lost, 412 (attached already); d2.
					calls.want(map[string]int{"CreateFunction": 3, "PublishFunction": 2, "UpdateDistribution": 4}),
				),
			},
			{
				// A rotation: update and publish; d2 left: detached.
				PreConfig: func() {
					e.cf.ClearFaults()
					calls.mark()
					e.cf.Fail("UpdateFunction", 1, "PreconditionFailed")
					e.cf.Lose("UpdateFunction", 2, "ServiceUnavailable")
					e.cf.Fail("PublishFunction", 1, "Throttling")
					e.cf.Fail("PublishFunction", 2, "PreconditionFailed")
					e.cf.Lose("UpdateDistribution", 1, "ServiceUnavailable")
				},
				Config: functionConfig(e, fn, issuer, "2", "", assocOn(d1)),
				Check: resource.ComposeTestCheckFunc(
					e.converged(fn, []string{d1}, []string{d2}), e.edgeProtects(d1),
					// Update: 412, lost, 412 (stale ETag), made again.
					// Publish: throttled, 412 (LIVE is not the code yet),
					// made. d1 unchanged; d2: lost, 412 (detached already).
					calls.want(map[string]int{"CreateFunction": 0, "UpdateFunction": 4, "PublishFunction": 3, "UpdateDistribution": 2}),
				),
			},
			{
				// Destroy: detach and delete.
				PreConfig: func() {
					e.cf.ClearFaults()
					calls.mark()
					e.cf.Fail("UpdateDistribution", 1, "Throttling")
					e.cf.Fail("DeleteFunction", 1, "PreconditionFailed")
					e.cf.Lose("DeleteFunction", 2, "ServiceUnavailable")
				},
				Config:  functionConfig(e, fn, issuer, "2", "", assocOn(d1)),
				Destroy: true,
				Check: resource.ComposeTestCheckFunc(
					e.accEnv.checkDestroyed, // the state before the destroy
					func(*terraform.State) error { return e.nothingLeft(d1, d2) },
					// d1: throttled, detached. Delete: 412, lost, gone.
					calls.want(map[string]int{"UpdateDistribution": 2, "DeleteFunction": 3}),
				),
			},
		},
	})
}

// Faults that outlast the retries: the apply fails with a diagnostic that
// names the call and CloudFront's answer, leaves nothing half done (no
// second function, no distribution with one behavior attached and not
// the other, the LIVE code and the edge as they were), and the next apply
// converges.
func TestAccFunctionFaults_persistent(t *testing.T) {
	e := newCFEnv(t, localcf.Config{InstantDeploy: true}) // converged wants Deployed without a wait (see _retried)
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	cfg := func(rotation string) string { return functionConfig(e, fn, issuer, rotation, "", assocOn(dist)) }
	persist := func(op, code string) func() {
		return func() {
			e.cf.ClearFaults()
			e.cf.Inject(localcf.Fault{Op: op, Nth: 1, Times: 3, Code: code}) // the first attempt and the SDK's 2 retries
		}
	}
	// expect checks the local CloudFront between a failed apply and the
	// next, failing the test at once.
	expect := func(functions int, attached bool) {
		names, err := e.functionNames()
		if err != nil || len(names) != functions {
			t.Fatalf("after the failed apply the local CloudFront holds the functions %v (%v); want %d", names, err, functions)
		}
		runs, _, err := e.attachedTo(dist)
		if err != nil {
			t.Fatal(err)
		}
		if n0, n1 := len(runs[""]), len(runs["/live/*"]); n0 != n1 || (n0 == 1) != attached || n0 > 1 {
			t.Fatalf("after the failed apply the behaviors run %v; want the function on both (%v) or on none", runs, attached)
		}
	}
	var liveBefore string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkNothingLeft(dist),
		Steps: []resource.TestStep{
			{
				// A function of the name with other code is someone
				// else's: it is not taken over.
				PreConfig: func() {
					if _, err := e.client.CreateFunction(context.Background(), &cloudfront.CreateFunctionInput{Name: aws.String(fn),
						FunctionCode:   []byte("function handler(event) { return event.request; }"),
						FunctionConfig: &cftypes.FunctionConfig{Comment: aws.String("securestream edge function"), Runtime: cftypes.FunctionRuntimeCloudfrontJs20}}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      cfg("1"),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:CreateFunction failed.*FunctionAlreadyExists.*with\s+other\s+code`),
			},
			{
				PreConfig: func() {
					ctx := context.Background()
					d, err := e.client.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(fn)})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := e.client.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String(fn), IfMatch: d.ETag}); err != nil {
						t.Fatal(err)
					}
					persist("CreateFunction", "ServiceUnavailable")()
				},
				Config:      cfg("1"),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:CreateFunction failed.*ServiceUnavailable`),
			},
			{
				PreConfig: func() {
					expect(0, false)
					persist("PublishFunction", "Throttling")()
				},
				Config:      cfg("1"),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:PublishFunction failed.*Throttling`),
			},
			{
				// The function, saved unpublished, is replaced (tainted);
				// the association fails: neither behavior is attached.
				PreConfig: func() {
					expect(1, false)
					persist("UpdateDistribution", "ServiceUnavailable")()
				},
				Config:      cfg("1"),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:UpdateDistribution failed.*ServiceUnavailable.*unchanged`),
			},
			{
				PreConfig: func() {
					expect(1, false)
					e.cf.ClearFaults()
				},
				Config: cfg("1"),
				Check: resource.ComposeTestCheckFunc(e.converged(fn, []string{dist}, nil), e.edgeProtects(dist),
					capture("securestream_function.f", "live_code_sha256", &liveBefore)),
			},
			{
				// A rotation that cannot update the function: LIVE and the
				// edge stay as they were.
				PreConfig:   persist("UpdateFunction", "ServiceUnavailable"),
				Config:      cfg("2"),
				ExpectError: regexp.MustCompile(`(?s)cloudfront:UpdateFunction failed.*ServiceUnavailable`),
			},
			{
				PreConfig: func() {
					expect(1, true)
					if h, err := e.liveHash(fn); err != nil || h != liveBefore {
						t.Fatalf("after the failed update LIVE holds %s (%v); want the code before, %s", h, err, liveBefore)
					}
					e.cf.ClearFaults()
				},
				Config: cfg("2"),
				Check:  resource.ComposeTestCheckFunc(e.converged(fn, []string{dist}, nil), e.edgeProtects(dist)),
			},
			{
				// A destroy that cannot delete the function: the next
				// destroy (the test's last) does.
				PreConfig:   persist("DeleteFunction", "Throttling"),
				Config:      cfg("2"),
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)cloudfront:DeleteFunction failed.*Throttling`),
			},
			{
				PreConfig: func() {
					expect(1, false) // detached before the delete failed
					e.cf.ClearFaults()
				},
				Config: cfg("2"),
				Check:  resource.ComposeTestCheckFunc(e.converged(fn, []string{dist}, nil), e.edgeProtects(dist)),
			},
		},
	})
}

// With propagation (the edge serves the previous code and configuration
// for a while after a change), wait_for_deployment returns once the edge
// runs the change: a key signed with a key the rotation just added gets
// through at once. The destroy meets FunctionInUse while the detach
// propagates, and waits for it.
func TestAccFunctionFaults_propagation(t *testing.T) {
	const delay = 1500 * time.Millisecond
	e := newCFEnv(t, localcf.Config{PropagationDelay: delay})
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	cfg := func(rotation string) string {
		return functionConfig(e, fn, issuer, rotation, "wait_for_deployment = true", assocOn(dist))
	}
	calls := &callCounter{e: e}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := e.accEnv.checkDestroyed(s); err != nil {
				return err
			}
			if err := e.nothingLeft(dist); err != nil {
				return err
			}
			// The first DeleteFunction met FunctionInUse.
			if n := e.cf.Calls("DeleteFunction") - calls.at["DeleteFunction"]; n < 2 {
				return fmt.Errorf("%d calls of DeleteFunction; want FunctionInUse first, then the delete", n)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: cfg("1"),
				Check:  resource.ComposeTestCheckFunc(e.converged(fn, []string{dist}, nil), e.edgeProtects(dist)),
			},
			{
				Config: cfg("2"),
				Check: resource.ComposeTestCheckFunc(e.converged(fn, []string{dist}, nil), e.edgeProtects(dist),
					func(*terraform.State) error { calls.mark(); return nil }),
			},
		},
	})
}

// Never lose protection (issue 20, item 5): no plan of securestream_function
// detaches the function from a behavior before its replacement is there,
// and a wait for deployment that runs out of time taints nothing.

// viewerFunction returns the CloudFront Function a behavior runs on
// viewer-request ("" when none), pattern "" naming the default behavior.
func viewerFunction(cfg *cftypes.DistributionConfig, pattern string) string {
	fns := cfg.DefaultCacheBehavior.FunctionAssociations
	if pattern != "" {
		fns = nil
		if cfg.CacheBehaviors != nil {
			for _, b := range cfg.CacheBehaviors.Items {
				if aws.ToString(b.PathPattern) == pattern {
					fns = b.FunctionAssociations
				}
			}
		}
	}
	if fns != nil {
		for _, f := range fns.Items {
			if f.EventType == cftypes.EventTypeViewerRequest {
				return aws.ToString(f.FunctionARN)
			}
		}
	}
	return ""
}

// neverUnprotected checks every configuration the distribution had, in
// order, through the local CloudFront's history: from the first in which
// both behaviors run one of the functions named fns on viewer-request,
// each behavior runs one of them in every later one. Since every
// configuration the control plane took is in the history, no edge
// location can have served the behaviors without a key check meanwhile.
func (e *cfEnv) neverUnprotected(dist string, fns ...string) resource.TestCheckFunc {
	ours := func(arn string) bool {
		for _, f := range fns {
			if arn != "" && strings.HasSuffix(arn, ":function/"+f) {
				return true
			}
		}
		return false
	}
	return func(*terraform.State) error {
		history := e.cf.DistributionConfigs(dist)
		protected := false
		for i, cfg := range history {
			all := true
			for _, p := range behaviors {
				if !ours(viewerFunction(cfg, p)) {
					all = false
					if protected {
						return fmt.Errorf("configuration %d of %d of distribution %s: behavior %q runs %q on viewer-request, none of %v: "+
							"the protected path was open", i+1, len(history), dist, p, viewerFunction(cfg, p), fns)
					}
				}
			}
			protected = protected || all
		}
		if !protected {
			return fmt.Errorf("distribution %s never ran any of %v on both behaviors (%d configurations)", dist, fns, len(history))
		}
		return nil
	}
}

// Renaming the function (its only replace path before: name forced a
// replacement, which Terraform does destroy-then-create, detaching first)
// is an update: the new function is made and published, each distribution
// swaps the old for the new in one UpdateDistribution, then the old one is
// deleted. Also with a rotation in the same apply, where the plan cannot
// render the code.
func TestAccFunctionProtection_rename(t *testing.T) {
	e := newCFEnv(t, localcf.Config{InstantDeploy: true}) // converged wants Deployed without a wait (see _retried)
	d1, d2 := e.distribution(t), e.distribution(t)
	fn1, fn2, issuer := name("edge"), name("edge"), name("issuer")
	cfg := func(fn, rotation, assoc string) string { return functionConfig(e, fn, issuer, rotation, "", assoc) }
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
		plancheck.ExpectUnknownValue("securestream_function.f", tfjsonpath.New("arn")),
	}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := e.accEnv.checkDestroyed(s); err != nil {
				return err
			}
			return e.nothingLeft(d1, d2)
		},
		Steps: []resource.TestStep{
			{
				Config: cfg(fn1, "1", assocOn(d1)),
				Check:  resource.ComposeTestCheckFunc(e.converged(fn1, []string{d1}, []string{d2}), e.edgeProtects(d1)),
			},
			{
				Config:           cfg(fn2, "1", assocOn(d1)),
				ConfigPlanChecks: update,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("id"), knownvalue.StringExact(fn2)),
				},
				Check: resource.ComposeTestCheckFunc(e.converged(fn2, []string{d1}, []string{d2}), e.edgeProtects(d1),
					e.neverUnprotected(d1, fn1, fn2)),
			},
			{
				// Renamed back, with a rotation (the plan renders nothing:
				// the ciphertext is unknown), and a second distribution.
				Config:           cfg(fn1, "2", assocOn(d1, d2)),
				ConfigPlanChecks: update,
				Check: resource.ComposeTestCheckFunc(e.converged(fn1, []string{d1, d2}, nil), e.edgeProtects(d1), e.edgeProtects(d2),
					e.neverUnprotected(d1, fn1, fn2), e.neverUnprotected(d2, fn1)),
			},
		},
	})
}

// A wait for deployment that runs out of time after the function was
// published and attached is a warning: the state is saved (nothing is
// tainted, nothing is replaced, so the edge keeps checking keys), with
// deployment_status "InProgress", which the next plan shows as an update
// that resumes the wait; once the distribution is Deployed the plan is
// empty.
func TestAccFunctionProtection_deployTimeout(t *testing.T) {
	e := newCFEnv(t, localcf.Config{DeployDelay: time.Hour})
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	cfg := func(rotation string) string {
		return functionConfig(e, fn, issuer, rotation,
			"wait_for_deployment = true\n  timeouts = {\n    create = \"5s\"\n    update = \"5s\"\n  }", assocOn(dist))
	}
	calls := &callCounter{e: e}
	status := func(want string) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("deployment_status"), knownvalue.StringExact(want))}
	}
	resumes := resource.ConfigPlanChecks{
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate)},
	}
	attached := func(s *terraform.State) error {
		a, err := attrs(s, "securestream_function.f")
		if err != nil {
			return err
		}
		runs, _, err := e.attachedTo(dist)
		if err != nil {
			return err
		}
		for _, p := range behaviors {
			if len(runs[p]) != 1 || runs[p][0] != a["arn"] {
				return fmt.Errorf("behavior %q runs %v; want the function %s", p, runs[p], a["arn"])
			}
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkNothingLeft(dist),
		Steps: []resource.TestStep{
			{
				PreConfig:          calls.mark,
				Config:             cfg("1"),
				ConfigStateChecks:  status("InProgress"),
				ConfigPlanChecks:   resumes,
				ExpectNonEmptyPlan: true,
				Check:              resource.ComposeTestCheckFunc(attached, e.edgeProtects(dist)),
			},
			{
				// Still deploying: the update waits again, and again runs
				// out of time; the function is neither replaced nor made
				// again.
				Config: cfg("1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: resumes.PostApplyPostRefresh,
				},
				ConfigStateChecks:  status("InProgress"),
				ExpectNonEmptyPlan: true,
				Check:              resource.ComposeTestCheckFunc(attached, calls.want(map[string]int{"CreateFunction": 1, "DeleteFunction": 0})),
			},
			{
				// A rotation whose deployment runs out of time: LIVE has
				// the new code, the state says so.
				Config:             cfg("2"),
				ConfigStateChecks:  status("InProgress"),
				ExpectNonEmptyPlan: true,
				Check: resource.ComposeTestCheckFunc(attached, e.edgeProtects(dist), func(s *terraform.State) error {
					a, _ := attrs(s, "securestream_function.f")
					if h, err := e.liveHash(fn); err != nil || h != a["live_code_sha256"] {
						return fmt.Errorf("LIVE holds %s (%v); the state says %s", h, err, a["live_code_sha256"])
					}
					return nil
				}),
			},
			{
				// Deployed: the refresh sees it, the plan is empty.
				PreConfig:         e.cf.FinishDeployments,
				Config:            cfg("2"),
				ConfigStateChecks: status("Deployed"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(attached, calls.want(map[string]int{"CreateFunction": 1, "DeleteFunction": 0})),
			},
		},
	})
}

// The wait that runs out of time, without Terraform: the state is read
// all the same (no "credentials need cloudfront:DescribeFunction" error
// from the spent deadline), deployment_status is InProgress, and the one
// diagnostic is a warning that names the timeout to raise.
func TestFunctionFinish_deadline(t *testing.T) {
	srv := localtest.StartCloudFront(t, localcf.Config{DeployDelay: time.Hour})
	client := cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	e := &cfEnv{cf: srv, client: client, origin: httptest.NewServer(http.NotFoundHandler())}
	t.Cleanup(e.origin.Close)
	ctx := context.Background()
	fn := "edge-finish"
	e.publishFunction(t, fn)
	dist := e.distribution(t) // InProgress for an hour
	assocs, d := types.ListValueFrom(ctx, associationType, []association{{DistributionID: types.StringValue(dist), PathPattern: types.StringNull(),
		EventType: types.StringValue(viewerRequest), ReplaceExisting: types.BoolValue(false)}})
	if d.HasError() {
		t.Fatal(d)
	}
	r := &functionResource{deployWait: backoff{first: 10 * time.Millisecond, max: 10 * time.Millisecond}, raceRetry: preconditionRetry}
	r.clients = &awsclients.Clients{CloudFront: client}
	m := functionModel{Name: types.StringValue(fn), WaitForDeployment: types.BoolValue(true), Associations: assocs}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var diags diag.Diagnostics
	r.finish(wctx, "update", &m, true, &diags)
	if diags.HasError() || len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning {
		t.Fatalf("diagnostics %v; want one warning", diags)
	}
	for _, want := range []string{"timeouts.update", dist, `"InProgress"`, "nothing is replaced"} {
		if !strings.Contains(diags[0].Detail(), want) {
			t.Errorf("the warning does not say %q: %s", want, diags[0].Detail())
		}
	}
	if m.DeploymentStatus.ValueString() != inProgress || !strings.HasSuffix(m.ARN.ValueString(), ":function/"+fn) {
		t.Errorf("deployment_status %s, arn %s; want InProgress and the function's ARN (read after the deadline)", m.DeploymentStatus, m.ARN)
	}
}
