package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// noFunction fails the test when the local CloudFront holds a function
// (other than the allowed ones): what a refused plan must leave.
func (e *cfEnv) noFunction(t *testing.T, allowed ...string) {
	t.Helper()
	names, err := e.functionNames()
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, n := range names {
		if !ok[n] {
			t.Fatalf("the local CloudFront holds the function %s after a refused plan; want none", n)
		}
	}
}

// Issue 20, item 1, through Terraform: an association with a distribution
// that does not exist fails (at plan: item 4) with a diagnostic that names
// the call that failed, says what does not exist and which attribute named
// it, and gives no IAM advice; nothing is created.
func TestAccFunction_missingDistribution(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	tf := newTFProcess(t, functionConfig(e, fn, issuer, "1", "", assocHCL(assocEntry("E0DOESNOTEXIST", ""))))
	out, err := tf.run("apply", "-auto-approve", "-no-color")
	t.Log(out)
	if err == nil {
		t.Fatalf("the apply succeeded:\n%s", out)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"Error: cloudfront:GetDistributionConfig failed",
		"with securestream_function.f",
		"NoSuchDistribution",
		"Distribution E0DOESNOTEXIST does not exist",
		"association[0].distribution_id names it",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"credentials need", "cloudfront:UpdateDistribution failed"} {
		if strings.Contains(flat, bad) {
			t.Errorf("the output says %q:\n%s", bad, out)
		}
	}
	if got := tf.stateResources(); len(got) != 0 {
		t.Errorf("the refused apply created %v", got)
	}
	e.noFunction(t)
}

// Issue 20, item 4: what the apply could not do is refused at plan, before
// the secret or the function is made: every token channel off, a
// path_pattern the distribution has no behavior for, a distribution that
// does not exist, a behavior that runs another function (in
// TestAccFunction_associationRules). Each plan fails on the argument at
// fault, and leaves no function.
func TestAccFunction_refusedAtPlanNotApply(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	assoc := func(id, pattern string) string { return assocHCL(assocEntry(id, pattern)) }
	off := "token_header = \"\"\n  token_query = \"\"\n  token_cookie = \"\"\n  token_path_prefix = \"\""
	var steps []resource.TestStep
	for _, c := range []struct{ extra, assoc, want string }{
		// Terraform shows a top-level attribute at fault as its line; for
		// an attribute inside association, the resource's line, and the
		// detail names the attribute.
		{off, assoc(dist, ""), `Every token channel is off.*with securestream_function\.f.*token_header = ""`},
		{"", assocHCL(assocEntry(dist, ""), assocEntry(dist, "/vod/*")),
			`The distribution has no such cache behavior.*with securestream_function\.f.*no cache behavior\s+with\s+the\s+path\s+pattern\s+"/vod/\*"\.\s+Fix\s+association\[1\]\.path_pattern`},
		{"", assoc("E0DOESNOTEXIST", ""), `cloudfront:GetDistributionConfig failed.*with securestream_function\.f.*Distribution\s+E0DOESNOTEXIST\s+does\s+not\s+exist.*association\[0\]\.distribution_id\s+names\s+it`},
	} {
		steps = append(steps, resource.TestStep{
			PreConfig:   func() { e.noFunction(t) },
			Config:      functionConfig(e, fn, issuer, "1", c.extra, c.assoc),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)` + c.want),
		})
	}
	// The same, applied: refused by the apply's plan, before anything.
	steps = append(steps, resource.TestStep{
		Config:      functionConfig(e, fn, issuer, "1", "", assoc(dist, "/vod/*")),
		ExpectError: regexp.MustCompile(`(?s)The distribution has no such cache behavior`),
	}, resource.TestStep{
		PreConfig:   func() { e.noFunction(t) },
		Config:      functionConfig(e, fn, issuer, "1", off, ""),
		ExpectError: regexp.MustCompile(`(?s)Every token channel is off`),
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.accEnv.checkDestroyed,
		Steps:                    steps,
	})
	e.noFunction(t)
}

// Issue 20, item 12: a rotation with a thin margin warns once, at plan,
// and the apply, which plans again with the new ring known, does not say
// it a second time.
func TestAccFunction_rotationWarnsOnce(t *testing.T) {
	// The rotation warnings are under test, not the wait for deployment:
	// distributions deploy at once.
	e := newCFEnv(t, localcf.Config{InstantDeploy: true})
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	cfg := func(rotation string) string {
		return functionConfig(e, fn, issuer, rotation, "wait_for_deployment = true", assocOn(dist))
	}
	tf := newTFProcess(t, cfg("1"))
	t.Cleanup(func() {
		if out, err := tf.run("destroy", "-auto-approve", "-no-color"); err != nil {
			t.Errorf("terraform destroy: %v\n%s", err, out)
		}
	})
	if out, err := tf.run("apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	const warning = "Warning: The key ring's activation_delay must cover this publish"
	tf.write(cfg("2"))
	for _, cmd := range [][]string{{"plan", "-no-color"}, {"apply", "-auto-approve", "-no-color"}} {
		out, err := tf.run(cmd...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", cmd[0], err, out)
		}
		if n := strings.Count(out, warning); n != 1 || strings.Contains(out, "similar warning") {
			t.Errorf("terraform %s warns %d times (want once, alone):\n%s", cmd[0], n, out)
		}
	}
}
