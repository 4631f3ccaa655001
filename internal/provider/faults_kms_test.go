package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// edgeToken mints, with the newest key of the ring in the state, a token
// for /vod/* that the edge function accepts from any client.
func (e *accEnv) edgeToken(s *terraform.State) (string, error) {
	a, err := attrs(s, "securestream_secret.s")
	if err != nil {
		return "", err
	}
	doc, err := e.openRing(a["ciphertext"], a["function_name"])
	if err != nil {
		return "", err
	}
	ring, err := doc.Ring()
	if err != nil {
		return "", err
	}
	newest, _ := doc.Newest()
	now := time.Now()
	return ring.Mint(newest.ID, streamkey.Grant{NotBefore: now.Add(-time.Minute), Expires: now.Add(time.Hour), Paths: []string{"/vod/*"}, IPBinding: streamkey.IPOff})
}

// edgeAccepts checks what the edge answers a segment request with tok.
func (e *cfEnv) edgeAccepts(dist, tok string, want bool) error {
	status, err := e.get(dist, "/vod/a/seg1.ts", map[string]string{"x-stream-token": tok, "User-Agent": "Player/1.0"})
	if err != nil {
		return err
	}
	if got := status == 200; got != want {
		return fmt.Errorf("the edge answers %d to a key of the ring it had (want accepted: %v)", status, want)
	}
	return nil
}

// A KMS key disabled, then scheduled for deletion, outside Terraform, and
// the issuer's ring ciphertext edited by hand: the diagnostics name the
// resource, the AWS call and the fix, nothing panics, and the edge keeps
// accepting the keys it has until an apply changes them (a failed plan
// or apply republishes nothing).
func TestAccFaults_ringKeyTrouble(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	dist := e.distribution(t)
	// moto's kms:Decrypt and kms:Encrypt ignore the key's state: the proxy
	// answers them as KMS does for a disabled key or one pending deletion.
	p := localtest.StartFaultProxy(t, e.endpoint)
	pkgPath, _ := testPackage(t, "echo one")
	fn, edge := name("issuer"), name("edge")
	cfg := func(rotation string) string {
		return stackConfig(p.URL, e.cf.Endpoint, fn, edge, dist, pkgPath, fmt.Sprintf("rotation_triggers = { n = %q }", rotation))
	}
	ctx := context.Background()
	var keyID, keyARN, tok, live string
	// keyState makes KMS refuse the ring's key as it does in that state.
	keyState := func(code, state string) {
		for _, op := range []string{"kms:Decrypt", "kms:Encrypt"} {
			p.Inject(faultproxy.Fault{Op: op, Match: keyID, Code: code, Message: keyARN + " is " + state + "."})
		}
	}
	// unchanged: the edge still runs the code it had and accepts tok.
	unchanged := func() {
		t.Helper()
		if h, err := e.liveHash(edge); err != nil || h != live {
			t.Fatalf("the edge function's LIVE code changed (%v): %s, was %s", err, h, live)
		}
		if err := e.edgeAccepts(dist, tok, true); err != nil {
			t.Fatal(err)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg("1"),
				Check: func(s *terraform.State) error {
					a, _ := attrs(s, "securestream_secret.s")
					keyID, keyARN = a["id"], a["kms_key_arn"]
					var err error
					if tok, err = e.edgeToken(s); err != nil {
						return err
					}
					if live, err = e.liveHash(edge); err != nil {
						return err
					}
					return e.edgeAccepts(dist, tok, true)
				},
			},
			{
				// Disabled: a rotation cannot open the ring.
				PreConfig: func() {
					if _, err := e.clients.KMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
						t.Fatal(err)
					}
					keyState("DisabledException", "disabled")
				},
				Config:      cfg("2"),
				ExpectError: regexp.MustCompile(`(?s)Error: kms:Decrypt of the key ring failed.*with securestream_secret\.s.*DisabledException.*is disabled\. Enable it \(aws\s+kms\s+enable-key`),
			},
			{
				// A plan that changes nothing: the edge function's plan
				// renders from the ring and says why it cannot; the issuer's
				// ring is not opened again, and no error of it blames the ring.
				PreConfig:   unchanged,
				Config:      cfg("1"),
				ExpectError: regexp.MustCompile(`(?s)Error: kms:Decrypt of the key ring failed.*with securestream_function\.f.*is disabled\. Enable it`),
			},
			{
				PreConfig: func() {
					unchanged()
					p.Reset()
					if _, err := e.clients.KMS.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyID)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg("2"),
				Check: func(s *terraform.State) error {
					if err := e.edgeAccepts(dist, tok, true); err != nil {
						return fmt.Errorf("after the rotation, the previous key: %w", err)
					}
					newTok, err := e.edgeToken(s)
					if err != nil {
						return err
					}
					return e.edgeAccepts(dist, newTok, true)
				},
			},
			{
				// The issuer's ring edited by hand: the plan shows it, the
				// apply puts the secret's back.
				PreConfig: func() {
					env, err := e.functionEnvOf(fn)
					if err != nil {
						t.Fatal(err)
					}
					env[envKeyring] = "bm90IGEgcmluZw=="
					if _, err := e.clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
						Environment: &lambdatypes.Environment{Variables: env}}); err != nil {
						t.Fatal(err)
					}
				},
				Config:           cfg("2"),
				ConfigPlanChecks: updatesInPlace("securestream_issuer.i"),
				Check: func(s *terraform.State) error {
					env, err := e.functionEnvOf(fn)
					if err != nil {
						return err
					}
					a, _ := attrs(s, "securestream_secret.s")
					if env[envKeyring] != a["ciphertext"] {
						return errors.New("the issuer's SECURESTREAM_KEYRING is not the secret's after the apply")
					}
					return nil
				},
			},
			{
				// Scheduled for deletion: the refresh warns and forgets the
				// secret, whose ring cannot be opened again, so that the
				// plan makes a new one.
				PreConfig: func() {
					if _, err := e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)}); err != nil {
						t.Fatal(err)
					}
					keyState("KMSInvalidStateException", "pending deletion")
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Until that plan is applied the edge keeps its keys; the
				// apply gives it the new ring (and the issuer with it).
				PreConfig: func() {
					if err := e.edgeAccepts(dist, tok, true); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg("2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("securestream_issuer.i", plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(s *terraform.State) error {
					newTok, err := e.edgeToken(s)
					if err != nil {
						return err
					}
					if err := e.edgeAccepts(dist, newTok, true); err != nil {
						return fmt.Errorf("a key of the new ring: %w", err)
					}
					return e.edgeAccepts(dist, tok, false) // the apply changed the keys
				},
			},
		},
	})
}
