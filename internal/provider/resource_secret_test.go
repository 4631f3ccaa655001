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
					resource.TestCheckResourceAttrPair("securestream_secret.s", "id", "securestream_secret.s", "kms_key_id"),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "newest_key_id", "securestream_secret.s", "keys.0.kid"),
					resource.TestCheckResourceAttr("securestream_secret.s", "keys.0.seed", "false"),
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
				// What the import cannot know: who created the key, and the
				// settings that live only in the configuration.
				ImportStateVerifyIgnore: []string{"manages_kms_key", "deletion_window_in_days", "decrypt_role_arns"},
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
		DecryptRoleARNs: types.SetNull(types.StringType), Keys: types.ListNull(keyObjectType),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType})},
	}
}
