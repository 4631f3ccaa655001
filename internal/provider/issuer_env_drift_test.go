package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Issue 20, item 6: the issuer's environment edited in the console (a
// variable the provider sets from the state removed or changed, a foreign
// variable added) or its role swapped is drift: the refresh takes the KMS
// key, the ring, the sealed secrets and the role from the state (so it
// never asks KMS about an empty key id), the plan shows each difference
// in `drift` by name (never a value: the environment holds ciphertexts)
// as an in-place update, and the apply puts the environment back whole.
func TestAccIssuer_environmentDrift(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	key := "hs256-key-env-drift-0123456789abcdefghij"
	cfg := issuerConfig(e, fn, pkgPath, `  api_type                 = "function_url"
  function_url_auth_type   = "AWS_IAM"
`+hs256Key(key)+jwtSettings)
	ctx := context.Background()
	// values are the environment's values before each edit and those the
	// edit wrote: none may appear in the drift text.
	var values []string
	edit := func(change func(env map[string]string)) func() {
		return func() {
			env, err := e.functionEnvOf(fn)
			if err != nil {
				t.Fatal(err)
			}
			values = values[:0]
			for _, v := range env {
				values = append(values, v)
			}
			change(env)
			for _, v := range env {
				values = append(values, v)
			}
			if _, err := e.clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
				Environment: &lambdatypes.Environment{Variables: env}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var otherRole string // the role the function is switched to
	repaired := func(drift ...string) resource.ConfigPlanChecks {
		return resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate),
				driftPlanned{addr: "securestream_issuer.i", want: func() []string {
					for i := range drift {
						drift[i] = strings.ReplaceAll(drift[i], "<other role>", otherRole)
					}
					return drift
				}, secrets: &values},
			},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		}
	}
	// asMade: the function's environment is exactly what the provider
	// sets (the ring, its key, the sealed key, the settings), and its role
	// the issuer's.
	asMade := func(s *terraform.State) error {
		a, sec, env, err := e.issuerAndSecret(s)
		if err != nil {
			return err
		}
		want := map[string]string{envKeyring: sec["ciphertext"], envKMSKeyID: sec["kms_key_arn"],
			"SECURESTREAM_JWT_HS256_KEY": a["jwt_hs256_key_ciphertext"], "SECURESTREAM_AUTH": "jwt",
			"SECURESTREAM_JWT_AUDIENCE": "video", "SECURESTREAM_ALLOWED_HOSTS": "media.example.com"}
		for k, v := range want {
			if env[k] != v {
				return fmt.Errorf("the function's %s is not the provider's (set: %t)", k, env[k] != "")
			}
		}
		for k := range env {
			if _, ok := want[k]; !ok {
				return fmt.Errorf("the function's environment still has %s", k)
			}
		}
		c, err := e.clients.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			return err
		}
		if aws.ToString(c.Role) != a["role_arn"] {
			return fmt.Errorf("the function runs as %s; want the issuer's role %s", aws.ToString(c.Role), a["role_arn"])
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg, Check: resource.ComposeTestCheckFunc(asMade, e.checkSealed(sealedSettings[0], key))},
			{
				// The case of the issue: the refresh used to ask KMS for
				// the grants of the key "" (moto answers 500).
				PreConfig:        edit(func(env map[string]string) { delete(env, envKMSKeyID) }),
				Config:           cfg,
				ConfigPlanChecks: repaired("lambda: environment SECURESTREAM_KMS_KEY_ID removed"),
				Check:            resource.ComposeTestCheckFunc(asMade, e.checkSealed(sealedSettings[0], key)),
			},
			{
				// The ring and the sealed key edited: named, never shown.
				PreConfig: edit(func(env map[string]string) {
					delete(env, envKeyring)
					env["SECURESTREAM_JWT_HS256_KEY"] = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtYmUtc2hvd24="
				}),
				Config: cfg,
				ConfigPlanChecks: repaired("lambda: environment SECURESTREAM_JWT_HS256_KEY changed",
					"lambda: environment SECURESTREAM_KEYRING removed"),
				Check: resource.ComposeTestCheckFunc(asMade, e.checkSealed(sealedSettings[0], key)),
			},
			{
				// A foreign variable added, and another KMS key named.
				PreConfig: edit(func(env map[string]string) {
					env["LD_PRELOAD"] = "/tmp/evil.so"
					env[envKMSKeyID] = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
				}),
				Config: cfg,
				ConfigPlanChecks: repaired("lambda: environment LD_PRELOAD added (not the provider's)",
					"lambda: environment SECURESTREAM_KMS_KEY_ID changed"),
				Check: asMade,
			},
			{
				// The function switched to another role.
				PreConfig: func() {
					values = values[:0]
					other, err := e.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fn + "-other"),
						AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy)})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() {
						_, _ = e.clients.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(fn + "-other")})
					})
					otherRole = aws.ToString(other.Role.Arn)
					if _, err := e.clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
						Role: other.Role.Arn}); err != nil {
						t.Fatal(err)
					}
				},
				Config:           cfg,
				ConfigPlanChecks: repaired("lambda: role <other role> (not the issuer's)"),
				Check:            asMade,
			},
		},
	})
}

// driftPlanned checks the plan of addr: the refreshed `drift` (the
// change's before) is want, in any order, none of it holding a value of
// secrets, and the planned one empty.
type driftPlanned struct {
	addr    string
	want    func() []string
	secrets *[]string
}

func (d driftPlanned) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != d.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		got := strs(before["drift"])
		if w := slices.Sorted(slices.Values(d.want())); !slices.Equal(slices.Sorted(slices.Values(got)), w) {
			resp.Error = fmt.Errorf("%s: the refresh found drift %q; want %q", d.addr, got, w)
			return
		}
		for _, line := range got {
			for _, v := range *d.secrets {
				if len(v) >= 8 && strings.Contains(line, v) {
					resp.Error = fmt.Errorf("%s: drift %q shows a value of the environment", d.addr, line)
					return
				}
			}
		}
		if a := strs(after["drift"]); len(a) != 0 {
			resp.Error = fmt.Errorf("%s: the plan keeps drift %q; want it empty", d.addr, a)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", d.addr)
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// environmentDrift names each variable removed, changed or added, in the
// order of their names, and never a value.
func TestEnvironmentDrift(t *testing.T) {
	ring, sealed := "c2VhbGVkLXJpbmctY2lwaGVydGV4dA==", "c2VhbGVkLWhzMjU2LWtleQ=="
	want := map[string]string{envKeyring: ring, envKMSKeyID: "arn:aws:kms:us-east-1:123456789012:key/k",
		"SECURESTREAM_JWT_HS256_KEY": sealed, "SECURESTREAM_AUTH": "jwt"}
	same := map[string]string{}
	for k, v := range want {
		same[k] = v
	}
	if got := environmentDrift(same, want); len(got) != 0 {
		t.Errorf("the provider's own environment: drift %q", got)
	}
	live := map[string]string{envKeyring: "b3RoZXItcmluZw==", "SECURESTREAM_AUTH": "jwt",
		"SECURESTREAM_JWT_HS256_KEY": sealed + "x", "LD_PRELOAD": "/tmp/evil.so", "SECURESTREAM_BIND_USER_AGENT": "maybe"}
	got := environmentDrift(live, want)
	wantDrift := []string{
		"lambda: environment SECURESTREAM_JWT_HS256_KEY changed",
		"lambda: environment SECURESTREAM_KEYRING changed",
		"lambda: environment SECURESTREAM_KMS_KEY_ID removed",
		"lambda: environment LD_PRELOAD added (not the provider's)",
		"lambda: environment SECURESTREAM_BIND_USER_AGENT changed",
	}
	if !slices.Equal(got, wantDrift) {
		t.Errorf("drift\n%q\nwant\n%q", got, wantDrift)
	}
	for _, line := range got {
		for _, v := range []string{ring, sealed, "b3RoZXItcmluZw==", "/tmp/evil.so", "maybe", "arn:aws:kms"} {
			if strings.Contains(line, v) {
				t.Errorf("drift %q shows the value %q", line, v)
			}
		}
	}
}
