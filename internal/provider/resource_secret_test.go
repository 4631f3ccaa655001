package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

var kidRE = regexp.MustCompile(`^k\d{8}T\d{6}-[0-9a-f]{4}$`)

// attrs returns a resource's attributes from the state, failing clearly
// when it is not there.
func attrs(s *terraform.State, addr string) (map[string]string, error) {
	rs, ok := s.RootModule().Resources[addr]
	if !ok {
		return nil, fmt.Errorf("%s is not in the state", addr)
	}
	return rs.Primary.Attributes, nil
}

// capture keeps an attribute's value for later steps.
func capture(addr, attr string, dst *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, addr)
		*dst = a[attr]
		return err
	}
}

// checkRing decrypts the ring of a secret in the state with its function
// name and checks it: the key ids the state lists, 32 bytes of secret
// each, and nothing of it in any state file.
func (e *accEnv) checkRing(addr string, wantKeys int, extraSecrets ...[]byte) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, addr)
		if err != nil {
			return err
		}
		doc, err := e.openRing(a["ciphertext"], a["function_name"])
		if err != nil {
			return fmt.Errorf("%s: the ciphertext does not decrypt with LambdaFunctionName=%s: %w", addr, a["function_name"], err)
		}
		if len(doc.Keys) != wantKeys || a["keys.#"] != fmt.Sprint(wantKeys) {
			return fmt.Errorf("%s: %d keys in the ring, %s in the state; want %d", addr, len(doc.Keys), a["keys.#"], wantKeys)
		}
		// The state lists the keys oldest first.
		sort.SliceStable(doc.Keys, func(i, j int) bool { return doc.Keys[i].Created.Before(doc.Keys[j].Created) })
		secrets := map[string][]byte{}
		for i, k := range doc.Keys {
			if got := a[fmt.Sprintf("keys.%d.kid", i)]; got != k.ID {
				return fmt.Errorf("%s: keys.%d.kid = %q, the ring has %q", addr, i, got, k.ID)
			}
			if got := a[fmt.Sprintf("keys.%d.created", i)]; got != k.Created.UTC().Format(time.RFC3339) {
				return fmt.Errorf("%s: keys.%d.created = %q, the ring has %v", addr, i, got, k.Created)
			}
			secrets["key "+k.ID] = k.Secret
			if k.Seed {
				continue
			}
			raw, err := base64.RawURLEncoding.DecodeString(string(k.Secret))
			if err != nil || len(raw) < 32 {
				return fmt.Errorf("%s: key %s is not 32 random bytes in base64url", addr, k.ID)
			}
			secrets["random bytes of "+k.ID] = raw
			if !kidRE.MatchString(k.ID) {
				return fmt.Errorf("%s: key id %q", addr, k.ID)
			}
		}
		for i, x := range extraSecrets {
			secrets[fmt.Sprintf("extra secret %d", i)] = x
		}
		found, files, err := e.grepStates(secrets)
		if err != nil {
			return err
		}
		if files == 0 {
			return errors.New("no state file found to search: the state grep searched nothing")
		}
		if len(found) > 0 {
			return fmt.Errorf("secret material in the state:\n%s", strings.Join(found, "\n"))
		}
		return nil
	}
}

// checkDestroyed asks KMS that every key a managed secret created is
// scheduled for deletion after its deletion window, and that every key the
// user brought is left alone.
func (e *accEnv) checkDestroyed(s *terraform.State) error {
	for addr, rs := range s.RootModule().Resources {
		if rs.Type != "securestream_secret" {
			continue
		}
		m, err := e.describeKey(rs.Primary.ID)
		if err != nil {
			return fmt.Errorf("%s: kms:DescribeKey %s: %w", addr, rs.Primary.ID, err)
		}
		if rs.Primary.Attributes["manages_kms_key"] != "true" {
			if m.KeyState != kmstypes.KeyStateEnabled {
				return fmt.Errorf("%s: the user's KMS key %s is %s after destroy; it must be left alone", addr, rs.Primary.ID, m.KeyState)
			}
			continue
		}
		if m.KeyState != kmstypes.KeyStatePendingDeletion {
			return fmt.Errorf("%s: KMS key %s is %s after destroy; want PendingDeletion", addr, rs.Primary.ID, m.KeyState)
		}
		days, err := strconv.Atoi(rs.Primary.Attributes["deletion_window_in_days"])
		if err != nil {
			days = defaultDeletionWindowDays
		}
		if m.DeletionDate != nil {
			if d := time.Until(*m.DeletionDate) - time.Duration(days)*24*time.Hour; d < -time.Hour || d > time.Hour {
				return fmt.Errorf("%s: KMS key %s is deleted at %v, not %d days from now", addr, rs.Primary.ID, m.DeletionDate, days)
			}
		} else if e.endpoint == "" {
			return fmt.Errorf("%s: KMS key %s has no deletion date", addr, rs.Primary.ID)
		}
	}
	return nil
}

func secretConfig(e *accEnv, body string) string {
	return e.provider() + "\nresource \"securestream_secret\" \"s\" {\n" + body + "\n}\n"
}

func TestAccSecret_lifecycle(t *testing.T) {
	e := newAccEnv(t)
	fn, fn2 := name("issuer"), name("renamed")
	issuerRole := "arn:aws:iam::123456789012:role/service/" + fn2
	same := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q", fn)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
					plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("key_ring")),
					// Known from the configuration: no kms_key_id, so the key is the resource's.
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("manages_kms_key"), knownvalue.Bool(true)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("manages_kms_key"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("deletion_window_in_days"), knownvalue.Null()),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("max_token_lifetime"), knownvalue.StringExact("24h")),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("activation_delay"), knownvalue.StringExact("10m")),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("kms_key_arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:kms:`))),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("newest_key_id"), knownvalue.StringRegexp(kidRE)),
					same.AddStateValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 1),
					e.checkKeyPolicy("securestream_secret.s", fn),
					// kms_key_id names a key of the user's: a created key is id and kms_key_arn.
					resource.TestCheckNoResourceAttr("securestream_secret.s", "kms_key_id"),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "newest_key_id", "securestream_secret.s", "keys.0.kid"),
					resource.TestCheckResourceAttr("securestream_secret.s", "keys.0.seed", "false"),
					// key_ring is the ring as consumers take it.
					resource.TestCheckResourceAttrPair("securestream_secret.s", "key_ring.ciphertext", "securestream_secret.s", "ciphertext"),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "key_ring.kms_key_id", "securestream_secret.s", "kms_key_arn"),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "key_ring.function_name", "securestream_secret.s", "function_name"),
					func(s *terraform.State) error {
						a, _ := attrs(s, "securestream_secret.s")
						if st, err := e.keyState(a["id"]); err != nil || st != "Enabled" {
							return fmt.Errorf("KMS key %s: %s %v; want Enabled", a["id"], st, err)
						}
						return nil
					},
				),
			},
			{
				// Settings that do not touch the ring update in place and
				// keep the ciphertext.
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\ndeletion_window_in_days = 7\nactivation_delay = \"30m\"", fn)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("ciphertext"), knownvalue.NotNull()),
						// Known while the ring stays: consumers plan no change.
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("key_ring").AtMapKey("ciphertext"), knownvalue.NotNull()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					same.AddStateValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
				},
			},
			{
				// A new function name re-encrypts the same keys under the
				// new encryption context; the key policy follows it.
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\ndeletion_window_in_days = 7\ndecrypt_role_arns = [%q]", fn2, issuerRole)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("key_ring")),
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("rotated_at"), knownvalue.NotNull()),
						// The keys stay: nothing downstream of them changes.
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("newest_key_id"), knownvalue.StringRegexp(kidRE)),
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("keys"), knownvalue.ListSizeExact(1)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 1),
					e.checkKeyPolicy("securestream_secret.s", fn2, issuerRole),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "key_ring.ciphertext", "securestream_secret.s", "ciphertext"),
					resource.TestCheckResourceAttr("securestream_secret.s", "key_ring.function_name", fn2),
					func(s *terraform.State) error {
						a, _ := attrs(s, "securestream_secret.s")
						if _, err := e.openRing(a["ciphertext"], fn); err == nil {
							return errors.New("the ring still decrypts under the old function name")
						}
						return nil
					},
				),
			},
			{
				ResourceName:      "securestream_secret.s",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					a, err := attrs(s, "securestream_secret.s")
					return a["id"] + "," + a["function_name"] + "," + a["ciphertext"], err
				},
				// Who created the key and decrypt_role_arns are read from the
				// key (its tag and policy); KMS has no deletion window to read
				// before a deletion is scheduled.
				ImportStateVerifyIgnore: []string{"deletion_window_in_days"},
			},
		},
	})
}

// checkKeyPolicy checks the policy of a KMS key the secret created: the
// account administers it without using it or granting; kms:Encrypt,
// kms:Decrypt and kms:CreateGrant are allowed only to the named principals
// and only under the function's encryption context, with a purpose where a
// secret is used (issue 18). keyPolicy's unit test checks the rest.
func (e *accEnv) checkKeyPolicy(addr, function string, roles ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, addr)
		if err != nil {
			return err
		}
		out, err := e.clients.KMS.GetKeyPolicy(context.Background(), &kms.GetKeyPolicyInput{KeyId: aws.String(a["id"]), PolicyName: aws.String("default")})
		if err != nil {
			return err
		}
		doc, err := parsePolicy(aws.ToString(out.Policy))
		if err != nil {
			return fmt.Errorf("key policy %q: %w", aws.ToString(out.Policy), err)
		}
		uses := 0
		readers := map[string]bool{}
		for _, st := range doc.Statement {
			actions := policyList(st.Action)
			use := slices.ContainsFunc(actions, func(a string) bool {
				return a == "kms:Encrypt" || a == "kms:Decrypt" || a == "kms:CreateGrant" || strings.Contains(a, "*")
			})
			if !use {
				continue
			}
			uses++
			if got := policyList(st.Condition["StringEquals"]["kms:EncryptionContext:LambdaFunctionName"]); !slices.Equal(got, []string{function}) {
				return fmt.Errorf("statement %s allows %s under the contexts %v; want only %s", st.Sid, actions, got, function)
			}
			principals := policyList(st.Condition["ArnLike"]["aws:PrincipalArn"])
			if len(principals) == 0 {
				return fmt.Errorf("statement %s allows %s to every principal of the account", st.Sid, actions)
			}
			// Only Terraform's own Decrypt goes without a purpose: it re-seals what earlier versions sealed.
			if st.Sid != "TerraformOpensTheKeyRing" && !slices.Equal(policyList(st.Condition["StringEquals"]["kms:EncryptionContext:Purpose"]), keyring.Purposes) {
				return fmt.Errorf("statement %s allows %s without the purposes: %v", st.Sid, actions, st.Condition)
			}
			if slices.Contains(actions, "kms:Decrypt") {
				for _, p := range principals {
					readers[p] = true
				}
			}
		}
		for _, r := range roles {
			if !readers[r] {
				return fmt.Errorf("no statement lets %s decrypt: %s", r, aws.ToString(out.Policy))
			}
		}
		if want := 3 + min(len(roles), 1); uses != want {
			return fmt.Errorf("the key policy has %d statements using the key; want %d (Encrypt, Decrypt, CreateGrant, the roles' Decrypt): %s", uses, want, aws.ToString(out.Policy))
		}
		return nil
	}
}

// nullSecretModel is a model whose every value is null, of its type.
func nullSecretModel() secretModel {
	return secretModel{
		Tags: types.MapNull(types.StringType), TagsAll: types.MapNull(types.StringType), RotationTriggers: types.MapNull(types.StringType),
		DecryptRoleARNs: types.SetNull(types.StringType), Keys: types.ListNull(keyObjectType), KeyRing: types.ObjectNull(keyRingAttrTypes),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType})},
	}
}

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

// Issue 18, H1: every secret is sealed for a purpose, and what versions
// before the purpose sealed is re-sealed by the next apply.

// userKey creates a KMS key the test owns, described as desc (deleted
// with the test).
func (e *accEnv) userKey(t *testing.T, desc string) (id, arn string) {
	t.Helper()
	ctx := context.Background()
	key, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(desc)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)})
	})
	return aws.ToString(key.KeyMetadata.KeyId), aws.ToString(key.KeyMetadata.Arn)
}

// legacySeal seals pt as every secret was sealed before the purpose (and
// as the original deployment sealed its secret): {LambdaFunctionName}.
func (e *accEnv) legacySeal(t *testing.T, keyID, function string, pt []byte) string {
	t.Helper()
	out, err := e.clients.KMS.Encrypt(context.Background(), &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: pt,
		EncryptionContext: map[string]string{"LambdaFunctionName": function}})
	if err != nil {
		t.Fatal(err)
	}
	return keyring.EncodeCiphertext(out.CiphertextBlob)
}

// opensUnder: ciphertext decrypts under exactly the context encCtx.
func (e *accEnv) opensUnder(ciphertext string, encCtx map[string]string) bool {
	ct, err := keyring.DecodeCiphertext(ciphertext)
	if err != nil {
		return false
	}
	_, err = e.clients.KMS.Decrypt(context.Background(), &kms.DecryptInput{CiphertextBlob: ct, EncryptionContext: encCtx})
	return err == nil
}

// chosenRing is an HS256 key a user may choose that is also a valid key
// ring document: the review's case.
const chosenRing = `{"version":1,"keys":[{"kid":"chosen","secret":"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=","created":"2026-01-01T00:00:00Z"}]}`

// The review's reproduction: the issuer's sealed HS256 key, given as the
// ring to securestream_function_code, renders no function.
func TestAccPurpose_hs256CiphertextIsNotARing(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	pkgPath, _ := testPackage(t, "echo one")
	if _, err := keyring.Parse([]byte(chosenRing)); err != nil {
		t.Fatalf("the chosen key must be a valid ring for the test to mean anything: %v", err)
	}
	cfg := issuerConfig(e, fn, pkgPath, "  api_type                 = \"function_url\"\n"+hs256Key(chosenRing)+jwtSettings) +
		functionCodeData(ringHCL("securestream_issuer.i.jwt_hs256_key_ciphertext", "securestream_secret.s.kms_key_arn", "securestream_secret.s.function_name"), "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`kms:Decrypt of the key ring`),
		}},
	})
}

// The upgrade of a ring sealed without a purpose (by an earlier version,
// or the original deployment's, imported as the migration guide does):
// consumers refuse it and say to apply the secret; the import accepts it;
// the next apply re-seals it in place with the same keys, and consumers
// then render from it.
func TestAccPurpose_secretUpgrade(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	keyID, _ := e.userKey(t, "brought by the user")
	now := time.Now().UTC().Truncate(time.Second)
	doc := &keyring.Document{Version: keyring.Version, Keys: []keyring.Key{
		{ID: "k-old-ring", Secret: []byte("an-old-ring-key-of-at-least-32-bytes!!"), Created: now.Add(-time.Hour)}}}
	pt, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	legacy := e.legacySeal(t, keyID, fn, pt)
	code := func(keyRing string) string { return functionCodeData(keyRing, "") }
	secret := secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q\n", fn, keyID))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// No consumer opens the old form: it says to apply the secret.
				Config:      e.provider() + code(ringHCL(fmt.Sprintf("%q", legacy), fmt.Sprintf("%q", keyID), fmt.Sprintf("%q", fn))),
				ExpectError: regexp.MustCompile(`(?s)sealed without a purpose.*Apply\s+the\s+securestream_secret`),
			},
			{
				Config:             secret,
				ResourceName:       "securestream_secret.s",
				ImportState:        true,
				ImportStateId:      keyID + "," + fn + "," + legacy,
				ImportStatePersist: true,
			},
			{
				Config: secret + code("securestream_secret.s.key_ring"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					func(s *terraform.State) error {
						a, err := attrs(s, "securestream_secret.s")
						if err != nil {
							return err
						}
						if a["ciphertext"] == legacy || e.opensUnder(a["ciphertext"], keyring.LegacyContext(fn)) {
							return fmt.Errorf("the ring was not re-sealed")
						}
						d, err := e.openRing(a["ciphertext"], fn) // with the purpose
						if err != nil {
							return err
						}
						if len(d.Keys) != 1 || d.Keys[0].ID != "k-old-ring" || string(d.Keys[0].Secret) != string(doc.Keys[0].Secret) {
							return fmt.Errorf("the re-sealed ring changed its keys: %v", d.Keys)
						}
						return nil
					},
					resource.TestCheckResourceAttrSet("data.securestream_function_code.c", "code_sha256"),
				),
			},
		},
	})
}

// noPrivate is the private state of a resource an earlier version wrote.
type noPrivate struct{}

func (noPrivate) GetKey(context.Context, string) ([]byte, diag.Diagnostics) { return nil, nil }

// The issuer's side of the upgrade, against the emulator's KMS: the
// single grant of an earlier version is seen as not current and replaced
// by one grant per purpose; a sealed secret without a purpose is found at
// plan and re-sealed from its ciphertext (the write-only value is not
// needed), and one with its purpose is left alone.
func TestAccPurpose_issuerUpgrade(t *testing.T) {
	e := newAccEnv(t)
	ctx := context.Background()
	r := &issuerResource{resourceBase: resourceBase{providerData{clients: e.clients}}}
	fn := name("issuer")
	_, keyARN := e.userKey(t, "brought by the user")
	role := "arn:aws:iam::123456789012:role/securestream/" + fn

	old, err := e.clients.KMS.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(keyARN), GranteePrincipal: aws.String(role), Name: aws.String(fn),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}, Constraints: &kmstypes.GrantConstraints{EncryptionContextEquals: keyring.LegacyContext(fn)}})
	if err != nil {
		t.Fatal(err)
	}
	found, err := r.findGrant(ctx, keyARN, role, fn)
	if err != nil || found != aws.ToString(old.GrantId) || grantsCurrent(found) {
		t.Fatalf("the earlier version's grant: %q %v", found, err)
	}
	m := issuerModel{FunctionName: types.StringValue(fn), KMSKeyARN: types.StringValue(keyARN), RoleARN: types.StringValue(role)}
	if d := r.createGrant(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
	if !grantsCurrent(m.GrantID.ValueString()) {
		t.Fatalf("grant_id %q", m.GrantID.ValueString())
	}
	// Both: not current, and every one of them is listed to be revoked.
	found, err = r.findGrant(ctx, keyARN, role, fn)
	if err != nil || grantsCurrent(found) || !strings.Contains(found, aws.ToString(old.GrantId)) {
		t.Fatalf("the grants after the new ones were made: %q %v", found, err)
	}
	if d := r.revokeGrant(ctx, keyARN, found); d.HasError() {
		t.Fatal(d)
	}
	if found, err = r.findGrant(ctx, keyARN, role, fn); err != nil || found != "" {
		t.Fatalf("grants left after the revocation: %q %v", found, err)
	}
	if d := r.createGrant(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
	if found, err = r.findGrant(ctx, keyARN, role, fn); err != nil || found != m.GrantID.ValueString() {
		t.Fatalf("the new grants are read back as %q (%v), made as %q", found, err, m.GrantID.ValueString())
	}
	list, err := e.clients.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(keyARN)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range list.Grants {
		names = append(names, aws.ToString(g.Name))
	}
	slices.Sort(names)
	if want := []string{fn + ":jwt-hs256-key", fn + ":key-ring", fn + ":origin-secret"}; !slices.Equal(names, want) {
		t.Errorf("grants %v, want %v", names, want)
	}

	hsKey := []byte("an-hs256-key-of-the-players-idp-0123456789")
	state := issuerModel{FunctionName: types.StringValue(fn), KMSKeyARN: types.StringValue(keyARN),
		JWTHS256KeyWOVersion: types.Int64Value(1), JWTHS256KeyCiphertext: types.StringValue(e.legacySeal(t, keyARN, fn, hsKey)),
		OriginSecretWOVersion: types.Int64Null(), OriginSecretCiphertext: types.StringNull()}
	if !r.sealedWithoutPurpose(ctx, noPrivate{}, state, state.JWTHS256KeyCiphertext) {
		t.Fatal("the plan does not see the HS256 key sealed without a purpose")
	}
	plan := state
	plan.JWTHS256KeyCiphertext = types.StringUnknown()
	// No write-only value in the configuration: the re-seal needs none.
	if d := r.sealSecrets(ctx, tfsdk.Config{}, &plan, &state); d.HasError() {
		t.Fatal(d)
	}
	sealed := plan.JWTHS256KeyCiphertext.ValueString()
	if !e.opensUnder(sealed, keyring.Context(fn, keyring.PurposeJWTHS256Key)) || e.opensUnder(sealed, keyring.LegacyContext(fn)) ||
		e.opensUnder(sealed, keyring.EncryptionContext(fn)) {
		t.Fatal("the HS256 key is not sealed for its purpose alone")
	}
	pt, err := keyring.OpenSecret(ctx, keyring.KMS{Client: e.clients.KMS}, keyARN, fn, keyring.PurposeJWTHS256Key, sealed)
	if err != nil || string(pt) != string(hsKey) {
		t.Fatalf("the re-sealed HS256 key: %v", err)
	}
	state.JWTHS256KeyCiphertext = plan.JWTHS256KeyCiphertext
	if r.sealedWithoutPurpose(ctx, noPrivate{}, state, state.JWTHS256KeyCiphertext) {
		t.Error("a re-sealed secret is taken for one without a purpose")
	}
	plan.JWTHS256KeyCiphertext = types.StringUnknown()
	if d := r.sealSecrets(ctx, tfsdk.Config{}, &plan, &state); d.HasError() || plan.JWTHS256KeyCiphertext.ValueString() != sealed {
		t.Errorf("a secret with its purpose was sealed again: %v", d)
	}
}
