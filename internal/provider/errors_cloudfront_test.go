package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// localFunction is a securestream_function resource whose CloudFront is a
// local CloudFront, without Terraform: the SDK's own errors, as the
// resource meets them. The client makes 3 attempts, without pauses.
func localFunction(t *testing.T) (*functionResource, *cfEnv) {
	t.Helper()
	srv := localtest.StartCloudFront(t, localcf.Config{})
	client := cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.RateLimiter = 3, ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})})
	e := &cfEnv{cf: srv, client: client, origin: httptest.NewServer(http.NotFoundHandler())}
	t.Cleanup(e.origin.Close)
	r := &functionResource{raceRetry: backoff{calls: 2}}
	r.clients = &awsclients.Clients{CloudFront: client}
	return r, e
}

func assocList(t *testing.T, as ...association) types.List {
	t.Helper()
	l, d := types.ListValueFrom(context.Background(), associationType, as)
	if d.HasError() {
		t.Fatal(d)
	}
	return l
}

func assocTo(dist string, pattern types.String) association {
	return association{DistributionID: types.StringValue(dist), PathPattern: pattern, EventType: types.StringValue(viewerRequest),
		ReplaceExisting: types.BoolValue(false)}
}

// the one diagnostic of diags, failing the test when there is not one
// error.
func oneError(t *testing.T, diags diag.Diagnostics) diag.Diagnostic {
	t.Helper()
	if len(diags) != 1 || !diags.HasError() {
		t.Fatalf("want one error, got %s", summaries(diags))
	}
	return diags[0]
}

func wantDiag(t *testing.T, d diag.Diagnostic, summary string, at path.Path, want []string, wantNot ...string) {
	t.Helper()
	if d.Summary() != summary {
		t.Errorf("summary %q, want %q", d.Summary(), summary)
	}
	p, ok := d.(diag.DiagnosticWithPath)
	if !ok || !p.Path().Equal(at) {
		t.Errorf("path %v, want %s", p, at)
	}
	for _, w := range want {
		if !strings.Contains(d.Detail(), w) {
			t.Errorf("the detail does not say %q:\n%s", w, d.Detail())
		}
	}
	for _, w := range append(wantNot, "credentials need") {
		if strings.Contains(d.Detail(), w) {
			t.Errorf("the detail says %q:\n%s", w, d.Detail())
		}
	}
}

// Issue 20, item 1, at apply (the distribution deleted after the plan):
// the association's write names the call that failed, the read, and says
// what is missing and which attribute named it; CloudFront's failures and
// a deadline get their own advice, never IAM's.
func TestFunctionAssociationErrors(t *testing.T) {
	ctx := context.Background()
	r, e := localFunction(t)
	dist := e.distribution(t)
	edgeARN := e.publishFunction(t, "edge")
	first := path.Root("association").AtListIndex(0).AtName("distribution_id")
	attachFn := func(ctx context.Context, fn, id string) diag.Diagnostics {
		want := []association{assocTo(id, types.StringNull())}
		arn := strings.TrimSuffix(edgeARN, "edge") + fn
		return r.apply(ctx, fn, "", arn, want, &distChange{id: id, attach: []int{0}})
	}
	attach := func(ctx context.Context, id string) diag.Diagnostics { return attachFn(ctx, "edge", id) }

	t.Run("no such distribution", func(t *testing.T) {
		d := oneError(t, attach(ctx, "E0DOESNOTEXIST"))
		wantDiag(t, d, "cloudfront:GetDistributionConfig failed", first,
			[]string{"NoSuchDistribution", "Distribution E0DOESNOTEXIST does not exist", "association[0].distribution_id names it", "unchanged"},
			"retried", "timeouts")
	})
	t.Run("no such function", func(t *testing.T) {
		d := oneError(t, attachFn(ctx, "gone", dist))
		wantDiag(t, d, "cloudfront:UpdateDistribution failed", first.ParentPath(),
			[]string{"NoSuchFunctionExists", "cannot run the CloudFront Function gone: it does not exist", "publish = true", "unchanged"},
			"Distribution "+dist+" does not exist")
	})
	// CloudFront failing every attempt of one call.
	for _, tc := range []struct {
		name, op, code string
		want           []string
	}{
		{"the update fails on CloudFront's side", "UpdateDistribution", "ServiceUnavailable",
			[]string{"ServiceUnavailable", "made 3 times, then the service failed", "HTTP 503", "unchanged"}},
		{"the read is throttled", "GetDistributionConfig", "Throttling",
			[]string{"made 3 times", "kept throttling it", "max_retries", "unchanged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cf.ClearFaults()
			e.cf.Inject(localcf.Fault{Op: tc.op, Nth: 1, Times: 3, Code: tc.code})
			d := oneError(t, attach(ctx, dist))
			wantDiag(t, d, "cloudfront:"+tc.op+" failed", first, tc.want, "does not exist")
		})
	}
	t.Run("the update's time runs out", func(t *testing.T) {
		e.cf.ClearFaults()
		e.cf.Delay("GetDistributionConfig", time.Minute)
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		diags := attach(dctx, dist)
		ranOutOfTime(dctx, "update", &diags)
		d := oneError(t, diags) // and no second "ran out of time" error
		wantDiag(t, d, "cloudfront:GetDistributionConfig failed", first,
			[]string{"deadline exceeded", "raise timeouts.update in the resource's timeouts argument", "unchanged"}, "does not exist", "retried")
	})
	t.Run("access denied keeps the permission", func(t *testing.T) {
		e.cf.ClearFaults()
		e.cf.Fail("UpdateDistribution", 1, "AccessDenied")
		d := oneError(t, attach(ctx, dist))
		if d.Summary() != "cloudfront:UpdateDistribution failed" ||
			!strings.Contains(d.Detail(), "credentials need cloudfront:GetDistributionConfig and cloudfront:UpdateDistribution on distribution "+dist) {
			t.Errorf("%s: %s", d.Summary(), d.Detail())
		}
	})
	e.cf.ClearFaults()
	if diags := attach(ctx, dist); diags.HasError() {
		t.Fatalf("without faults: %s", summaries(diags))
	}
}

// Issue 20, item 4: the plan refuses the associations the apply could not
// make, each on its block: a distribution that does not exist, a cache
// behavior it lacks, a behavior that runs another function; it reads each
// distribution once, and not at all for associations the state holds or
// whose values are not known.
func TestFunctionCheckAssociations(t *testing.T) {
	ctx := context.Background()
	r, e := localFunction(t)
	dist, taken := e.distribution(t), e.distribution(t)
	e.runOnDefault(t, taken, e.publishFunction(t, "theirs"))
	model := func(name string, as ...association) functionModel {
		return functionModel{Name: types.StringValue(name), Associations: assocList(t, as...)}
	}
	at := func(i int, attr string) path.Path {
		p := path.Root("association").AtListIndex(i)
		if attr != "" {
			p = p.AtName(attr)
		}
		return p
	}
	reads := func() int { return e.cf.Calls("GetDistributionConfig") }

	before := reads()
	plan := model("edge", assocTo(dist, types.StringNull()), assocTo("E0DOESNOTEXIST", types.StringNull()), assocTo(dist, types.StringValue("/vod/*")),
		assocTo(taken, types.StringNull()), assocTo(dist, types.StringValue("/live/*")))
	diags := r.checkAssociations(ctx, plan, functionModel{}, false)
	if len(diags) != 3 {
		t.Fatalf("want 3 errors, got %s", summaries(diags))
	}
	wantDiag(t, diags[0], "cloudfront:GetDistributionConfig failed", at(1, "distribution_id"),
		[]string{"Distribution E0DOESNOTEXIST does not exist", "association[1].distribution_id names it"})
	wantDiag(t, diags[1], "The distribution has no such cache behavior", at(2, "path_pattern"), []string{`no cache behavior with the path pattern "/vod/*"`})
	wantDiag(t, diags[2], "The cache behavior runs another function", at(3, ""), []string{"theirs", "replace_existing = true"})
	if n := reads() - before; n != 3 {
		t.Errorf("%d reads of distribution configurations, want 3 (one per distribution)", n)
	}

	// replace_existing, or the same function there already: no error.
	mine := assocTo(taken, types.StringNull())
	mine.ReplaceExisting = types.BoolValue(true)
	if diags := r.checkAssociations(ctx, model("edge", mine), functionModel{}, false); len(diags) != 0 {
		t.Errorf("replace_existing: %s", summaries(diags))
	}
	if diags := r.checkAssociations(ctx, model("theirs", assocTo(taken, types.StringNull())), functionModel{}, false); len(diags) != 0 {
		t.Errorf("the function's own behavior: %s", summaries(diags))
	}

	// What the state holds, or what is not known yet, is not read: the
	// apply checks it.
	before = reads()
	state := model("edge", assocTo(dist, types.StringNull()))
	unknown := assocTo(dist, types.StringNull())
	unknown.DistributionID = types.StringUnknown()
	if diags := r.checkAssociations(ctx, model("edge", assocTo(dist, types.StringNull()), unknown), state, true); len(diags) != 0 {
		t.Errorf("held or unknown: %s", summaries(diags))
	}
	if n := reads() - before; n != 0 {
		t.Errorf("%d reads for associations held or unknown, want 0", n)
	}
	// A new name checks every association again (it is attached anew).
	if diags := r.checkAssociations(ctx, model("edge2", assocTo(taken, types.StringNull())), model("edge", assocTo(taken, types.StringNull())), true); len(diags) != 1 {
		t.Errorf("rename onto a taken behavior: %s", summaries(diags))
	}
	// An unconfigured provider checks nothing.
	if diags := (&functionResource{}).checkAssociations(ctx, plan, functionModel{}, false); diags != nil {
		t.Errorf("unconfigured: %s", summaries(diags))
	}
}
