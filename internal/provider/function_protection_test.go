package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	e := newCFEnv(t, localcf.Config{})
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
			"wait_for_deployment = true\n  timeouts {\n    create = \"5s\"\n    update = \"5s\"\n  }", assocOn(dist))
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
	out, err := client.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String(fn), FunctionCode: []byte("function handler(event) { return event.request; }"),
		FunctionConfig: &cftypes.FunctionConfig{Comment: aws.String("c"), Runtime: cftypes.FunctionRuntimeCloudfrontJs20}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String(fn), IfMatch: out.ETag}); err != nil {
		t.Fatal(err)
	}
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
