package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// secret_wo brings an original deployment's secret: it is never in the
// state, seed-format keys signed with it verify, changing it without a
// new version changes nothing, and a new version without it removes it.
func TestAccSecret_secretWO(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	const seedSecret = "the-original-deployments-secret-0123456789"
	const otherSecret = "another-original-secret-9876543210-abcdefgh"
	cfg := func(secret string, version int) string {
		wo := ""
		if secret != "" {
			wo = fmt.Sprintf("secret_wo = %q\n", secret)
		}
		return secretConfig(e, fmt.Sprintf("function_name = %q\n%ssecret_wo_version = %d", fn, wo, version))
	}
	hasSeed := func(want string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, _ := attrs(s, "securestream_secret.s")
			doc, err := e.openRing(a["ciphertext"], fn)
			if err != nil {
				return err
			}
			var got []byte
			for _, k := range doc.Keys {
				if k.Seed {
					got = k.Secret
				}
			}
			switch {
			case want != "" && string(got) != want:
				return fmt.Errorf("seed key %q; want the secret_wo value %q", got, want)
			case want == "" && got != nil:
				return errors.New("the seed key is still in the ring")
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg(seedSecret, 1),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 2, []byte(seedSecret)),
					hasSeed(seedSecret),
					resource.TestCheckResourceAttr("securestream_secret.s", "keys.0.kid", "seed"),
					resource.TestCheckResourceAttr("securestream_secret.s", "keys.0.seed", "true"),
					resource.TestCheckNoResourceAttr("securestream_secret.s", "secret_wo"),
				),
			},
			{
				// A different value with the same version: write-only
				// arguments are not compared, so nothing happens.
				Config:           cfg(seedSecret+"-changed", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            hasSeed(seedSecret),
			},
			{
				// A new version without a secret removes the seed key.
				Config: cfg("", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("rotated_at"), knownvalue.NotNull()),
				}},
				Check: resource.ComposeTestCheckFunc(hasSeed(""), e.checkRing("securestream_secret.s", 1, []byte(seedSecret))),
			},
			{
				// A new version with another secret replaces the seed key.
				Config: cfg(otherSecret, 3),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(hasSeed(otherSecret), e.checkRing("securestream_secret.s", 2, []byte(seedSecret), []byte(otherSecret))),
			},
			{
				Config:      secretConfig(e, `function_name = "arn:aws:lambda:us-east-1:123456789012:function:x"`),
				ExpectError: regexp.MustCompile(`(?s)function_name.*must be a Lambda function name`),
			},
			{
				Config:      cfg("too-short", 4),
				ExpectError: regexp.MustCompile(`(?s)secret_wo.*at least 32`),
			},
			{Config: cfg(otherSecret, 3)}, // valid again, for the destroy
		},
	})
}

// A KMS key disabled outside Terraform is a warning on refresh that says
// how to fix it, and plans go on; a deleted one is a warning and the
// secret is planned anew.
func TestAccSecret_drift(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	cfg := secretConfig(e, fmt.Sprintf("function_name = %q", fn))
	var keyID string
	ctx := context.Background()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg, Check: capture("securestream_secret.s", "id", &keyID)},
			{
				PreConfig: func() {
					if _, err := e.clients.KMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
						t.Fatal(err)
					}
				},
				// A warning (see TestReadWarnsOfDisabledKey); the state stays.
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig: func() {
					if _, err := e.clients.KMS.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyID)}); err != nil {
						t.Fatal(err)
					}
				},
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig: func() {
					if _, err := e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionCreate),
				}},
				Check: func(s *terraform.State) error {
					a, _ := attrs(s, "securestream_secret.s")
					if a["id"] == keyID {
						return errors.New("the secret still uses the deleted key")
					}
					return nil
				},
			},
		},
	})
}
