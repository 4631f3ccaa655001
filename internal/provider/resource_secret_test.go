package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
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

// A key the user brings, named by its alias, is used and left alone.
func TestAccSecret_existingKeyAndLambdaImport(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	ctx := context.Background()
	key, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("brought by the user")})
	if err != nil {
		t.Fatal(err)
	}
	alias := "alias/" + name("ss-test")
	if _, err := e.clients.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	keyID := aws.ToString(key.KeyMetadata.KeyId)
	other, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("another key of the user's")})
	if err != nil {
		t.Fatal(err)
	}
	otherID := aws.ToString(other.KeyMetadata.KeyId)
	t.Cleanup(func() {
		_, _ = e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(otherID), PendingWindowInDays: aws.Int32(7)})
		_, _ = e.clients.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String(alias)})
		_, _ = e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, alias)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("id"), knownvalue.StringExact(keyID)),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("kms_key_id"), knownvalue.StringExact(alias)),
					statecheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("manages_kms_key"), knownvalue.Bool(false)),
				},
				Check: e.checkRing("securestream_secret.s", 1),
			},
			{
				// Import reading the ciphertext from the issuer's Lambda.
				ResourceName:      "securestream_secret.s",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					a, err := attrs(s, "securestream_secret.s")
					if err != nil {
						return "", err
					}
					if err := e.createIssuerFunction(t, a["function_name"], a["ciphertext"]); err != nil {
						return "", err
					}
					return a["id"] + "," + a["function_name"] + ",lambda:" + a["function_name"], nil
				},
				ImportStateVerifyIgnore: []string{"kms_key_id"},
			},
			{
				// The same key by its ARN: an update of the spelling, not a
				// replacement with new keys.
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, aws.ToString(key.KeyMetadata.Arn))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("ciphertext"), knownvalue.NotNull()),
				}},
			},
			{
				// Another key: a new secret, with new keys, in it.
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, otherID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionReplace),
				}},
				Check: resource.TestCheckResourceAttr("securestream_secret.s", "id", otherID),
			},
			{
				Config:        secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, otherID)),
				ResourceName:  "securestream_secret.s",
				ImportState:   true,
				ImportStateId: "only-one-part",
				ExpectError:   regexp.MustCompile(`(?s)Unexpected import id.*<kms_key_id>,<function_name>,<ciphertext>`),
			},
		},
	})
}

// Import keeps every key of the ring (on 8ec92d4 the first apply after an
// import dropped keys down to retain), a later rotation drops none whose
// tokens may be valid, and an import naming another KMS key than the one
// the ring is encrypted under fails instead of recording the wrong key.
func TestAccSecret_importKeepsKeys(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	ctx := context.Background()
	var keyIDs [2]string
	for i := range keyIDs {
		key, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("brought by the user")})
		if err != nil {
			t.Fatal(err)
		}
		keyIDs[i] = aws.ToString(key.KeyMetadata.KeyId)
		t.Cleanup(func() {
			_, _ = e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)})
		})
	}
	// A ring another deployment made: three keys from the last half hour,
	// each with tokens that may still be valid.
	now := time.Now().UTC().Truncate(time.Second)
	doc := &keyring.Document{Version: keyring.Version}
	for i, age := range []time.Duration{30 * time.Minute, 20 * time.Minute, 10 * time.Minute} {
		doc.Keys = append(doc.Keys, keyring.Key{ID: fmt.Sprintf("k%s-%04x", now.Add(-age).Format("20060102T150405"), i), Secret: []byte(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{byte(i + 1)}, 32))), Created: now.Add(-age)})
	}
	pt, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.clients.KMS.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyIDs[0]), Plaintext: pt, EncryptionContext: keyring.EncryptionContext(fn)})
	if err != nil {
		t.Fatal(err)
	}
	ciphertext := keyring.EncodeCiphertext(enc.CiphertextBlob)
	cfg := func(extra string) string {
		return secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q\n%s", fn, keyIDs[0], extra))
	}
	hasImported := func(s *terraform.State) error {
		a, err := attrs(s, "securestream_secret.s")
		if err != nil {
			return err
		}
		d, err := e.openRing(a["ciphertext"], fn)
		if err != nil {
			return err
		}
		in := map[string]bool{}
		for _, k := range d.Keys {
			in[k.ID] = true
		}
		for _, k := range doc.Keys {
			if !in[k.ID] {
				return fmt.Errorf("the imported key %s left the ring: %v", k.ID, in)
			}
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Another KMS key than the ring's: refused, not recorded.
				Config:        cfg(""),
				ResourceName:  "securestream_secret.s",
				ImportState:   true,
				ImportStateId: keyIDs[1] + "," + fn + "," + ciphertext,
				ExpectError:   regexp.MustCompile(`(?s)kms:Decrypt of the key ring failed.*not\s+encrypted\s+under\s+the\s+KMS\s+key`),
			},
			{
				Config:             cfg(""),
				ResourceName:       "securestream_secret.s",
				ImportState:        true,
				ImportStatePersist: true,
				ImportStateId:      keyIDs[0] + "," + fn + "," + ciphertext,
			},
			{
				// The first apply after the import changes nothing.
				Config: cfg(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("ciphertext"), knownvalue.StringExact(ciphertext)),
				}},
				Check: resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 3), hasImported),
			},
			{
				Config: cfg(`rotation_triggers = { epoch = "1" }`),
				Check:  resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 3), hasImported),
			},
			{
				// A rotation adds a key and drops none of the imported ones.
				Config: cfg(`rotation_triggers = { epoch = "2" }`),
				Check:  resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 4), hasImported),
			},
		},
	})
}

// createIssuerFunction stands in for an issuer deployed some other way: a
// Lambda function with the key ring in SECURESTREAM_KEYRING.
func (e *accEnv) createIssuerFunction(t *testing.T, function, ciphertext string) error {
	ctx := context.Background()
	iamc := iam.NewFromConfig(e.clients.Config, func(o *iam.Options) {
		if e.endpoint != "" {
			o.BaseEndpoint = aws.String(e.endpoint)
		}
	})
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(function),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		return fmt.Errorf("iam:CreateRole: %w", err)
	}
	t.Cleanup(func() { _, _ = iamc.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(function)}) })
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	_, err = e.clients.Lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(function), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code:        &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"SECURESTREAM_KEYRING": ciphertext}},
	})
	if err != nil {
		return fmt.Errorf("lambda:CreateFunction: %w", err)
	}
	t.Cleanup(func() {
		_, _ = e.clients.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(function)})
	})
	return nil
}

// Changing rotation_triggers rotates: the plan shows the ring changing in place,
// new keys sign only once they are activation_delay old, and a previous key
// leaves the ring only once no token it signed can be valid: activation
// delay + max_token_lifetime + leeway after its successor was created.
// (On 8ec92d4, retain counted rotations: two rotations five minutes apart
// dropped a key whose tokens were still valid.)
func TestAccSecret_rotation(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	clock := &testClock{}
	cfg := func(epoch int) string {
		return e.provider() + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name      = %q
  activation_delay   = "1h"
  max_token_lifetime = "2h"
  rotation_triggers        = { epoch = "%d" }
}

# What the issuer signs with now, with the secret's activation delay.
data "securestream_stream_key" "now" {
  ciphertext       = securestream_secret.s.ciphertext
  kms_key_id       = securestream_secret.s.id
  function_name    = securestream_secret.s.function_name
  activation_delay = securestream_secret.s.activation_delay
  playback_url     = "https://video.example.com/live/a/index.m3u8"
  client_ip        = "198.51.100.7"
  user_agent       = "Player/1.0"
}

# What it signs with once the newest key is an hour old.
data "securestream_stream_key" "later" {
  ciphertext       = securestream_secret.s.ciphertext
  kms_key_id       = securestream_secret.s.id
  function_name    = securestream_secret.s.function_name
  activation_delay = securestream_secret.s.activation_delay
  not_before       = timeadd(securestream_secret.s.rotated_at, "1h")
  playback_url     = "https://video.example.com/live/a/index.m3u8"
  client_ip        = "198.51.100.7"
  user_agent       = "Player/1.0"
}
`, fn, epoch)
	}
	var first, firstKid, secondKid string // a key minted before any rotation, the key ids
	req := func(now time.Time) streamkeyRequest {
		return streamkeyRequest{path: "/live/a/seg1.ts", host: "video.example.com", ip: "198.51.100.9", ua: "Player/1.0", now: now}
	}
	verifies := func(tok *string, wantErr string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, _ := attrs(s, "securestream_secret.s")
			v, err := e.verifier(a["ciphertext"], fn)
			if err != nil {
				return err
			}
			return wantVerdict(v, *tok, req(time.Now()), wantErr)
		}
	}
	hasKeys := func(want ...*string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a, _ := attrs(s, "securestream_secret.s")
			in := map[string]bool{}
			for i := 0; a[fmt.Sprintf("keys.%d.kid", i)] != ""; i++ {
				in[a[fmt.Sprintf("keys.%d.kid", i)]] = true
			}
			for _, k := range want {
				if !in[*k] {
					return fmt.Errorf("key %s is not in the ring %v", *k, in)
				}
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 1),
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.now", "signing_key_id", "securestream_secret.s", "newest_key_id"),
					func(s *terraform.State) error {
						a, _ := attrs(s, "data.securestream_stream_key.now")
						first, firstKid = a["token"], a["signing_key_id"]
						return nil
					},
					verifies(&first, ""),
				),
			},
			{
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
						// The key that stays is known; the new one is not.
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("keys").AtSliceIndex(0).AtMapKey("kid"), knownvalue.StringRegexp(kidRE)),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("keys").AtSliceIndex(1)),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("newest_key_id")),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("rotated_at")),
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("id"), knownvalue.NotNull()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 2),
					// The old key stays: keys minted before still work.
					verifies(&first, ""),
					// The new key is not an hour old: the issuer still signs
					// with the old one...
					func(s *terraform.State) error {
						a, _ := attrs(s, "data.securestream_stream_key.now")
						if a["signing_key_id"] != firstKid {
							return fmt.Errorf("right after the rotation the issuer signs with %s; want the previous key %s", a["signing_key_id"], firstKid)
						}
						return nil
					},
					// ...and with the new one an hour later.
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.later", "signing_key_id", "securestream_secret.s", "newest_key_id"),
					resource.TestCheckResourceAttrPair("securestream_secret.s", "keys.0.kid", "data.securestream_stream_key.now", "signing_key_id"),
					capture("securestream_secret.s", "newest_key_id", &secondKid),
				),
			},
			{
				// Five minutes later, another rotation: the first key still
				// signs tokens (its successor is not an hour old), so it stays.
				PreConfig: func() { clock.advance(5 * time.Minute) },
				Config:    cfg(3),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 3),
					hasKeys(&firstKid, &secondKid),
					verifies(&first, ""),
				),
			},
			{
				// 3h02m after the first rotation: the first key's last token
				// (signed up to 1 h after it, living 2 h) has expired, so the
				// next rotation retires it. The second key's successor is
				// younger: it stays.
				PreConfig: func() { clock.advance(2*time.Hour + 57*time.Minute) },
				Config:    cfg(4),
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 3),
					hasKeys(&secondKid),
					verifies(&first, "unknown_kid"),
				),
			},
		},
	})
}

// The edge function holds at most 8 keys: a rotation that would need more,
// because every previous key still has valid tokens, is refused at plan
// with the time it fits, and goes through at that time.
func TestAccSecret_ringFull(t *testing.T) {
	e := newAccEnv(t)
	clock := &testClock{}
	cfg := func(epoch int) string {
		return secretConfig(e, fmt.Sprintf("function_name = %q\nmax_token_lifetime = \"24h\"\nrotation_triggers = { epoch = \"%d\" }", name("issuer"), epoch))
	}
	steps := []resource.TestStep{{Config: cfg(1)}}
	for i := 2; i <= keyring.MaxKeys; i++ {
		steps = append(steps, resource.TestStep{PreConfig: func() { clock.advance(time.Hour) }, Config: cfg(i)})
	}
	steps[len(steps)-1].Check = e.checkRing("securestream_secret.s", keyring.MaxKeys)
	steps = append(steps,
		resource.TestStep{
			Config:      cfg(keyring.MaxKeys + 1),
			ExpectError: regexp.MustCompile(`(?s)The key ring cannot take another key yet.*rotation_triggers.*at\s+most\s+8.*next\s+rotation\s+fits\s+at`),
		},
		resource.TestStep{
			// Keys were made an hour apart (the 8th 7 h after the 1st). 10m +
			// 24h + 30s after the second key was made, the first key's
			// tokens have all expired; the second key's successor is an hour
			// younger.
			PreConfig: func() { clock.advance(18*time.Hour + 15*time.Minute) },
			Config:    cfg(keyring.MaxKeys + 1),
			Check:     e.checkRing("securestream_secret.s", keyring.MaxKeys),
		})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps:                    steps,
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
		var doc struct {
			Statement []struct {
				Sid       string
				Action    any
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
			return fmt.Errorf("key policy %q: %w", aws.ToString(out.Policy), err)
		}
		list := func(v any) []string {
			switch v := v.(type) {
			case string:
				return []string{v}
			case []any:
				var out []string
				for _, e := range v {
					out = append(out, fmt.Sprint(e))
				}
				return out
			}
			return nil
		}
		uses := 0
		readers := map[string]bool{}
		for _, st := range doc.Statement {
			actions := list(st.Action)
			use := slices.ContainsFunc(actions, func(a string) bool {
				return a == "kms:Encrypt" || a == "kms:Decrypt" || a == "kms:CreateGrant" || strings.Contains(a, "*")
			})
			if !use {
				continue
			}
			uses++
			if got := list(st.Condition["StringEquals"]["kms:EncryptionContext:LambdaFunctionName"]); !slices.Equal(got, []string{function}) {
				return fmt.Errorf("statement %s allows %s under the contexts %v; want only %s", st.Sid, actions, got, function)
			}
			principals := list(st.Condition["ArnLike"]["aws:PrincipalArn"])
			if len(principals) == 0 {
				return fmt.Errorf("statement %s allows %s to every principal of the account", st.Sid, actions)
			}
			// Only Terraform's own Decrypt goes without a purpose: it re-seals what earlier versions sealed.
			if st.Sid != "TerraformOpensTheKeyRing" && !slices.Equal(list(st.Condition["StringEquals"]["kms:EncryptionContext:Purpose"]), keyring.Purposes) {
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

// A rotation_triggers whose value is known only at apply may rotate: the plan
// shows the ring changing, and the apply rotates only if a value changed.
func TestAccSecret_rotateWhenUnknown(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	cfg := func(input, replace string) string {
		return e.provider() + fmt.Sprintf(`
resource "terraform_data" "epoch" {
  input            = %q
  triggers_replace = [%q]
}

resource "securestream_secret" "s" {
  function_name = %q
  rotation_triggers   = { epoch = terraform_data.epoch.output }
}
`, input, replace, fn)
	}
	var rotatedAt string
	ringChanges := plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg("1", "a"), Check: e.checkRing("securestream_secret.s", 1)},
			{
				// A new value: rotated.
				Config:           cfg("2", "a"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{ringChanges}},
				Check: resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 2),
					capture("securestream_secret.s", "rotated_at", &rotatedAt)),
			},
			{
				// Unknown in the plan, the same value at apply: not rotated.
				Config:           cfg("2", "b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{ringChanges}},
				Check: resource.ComposeTestCheckFunc(e.checkRing("securestream_secret.s", 2),
					resource.TestCheckResourceAttrWith("securestream_secret.s", "rotated_at", func(v string) error {
						if v != rotatedAt {
							return fmt.Errorf("rotated_at moved from %s to %s", rotatedAt, v)
						}
						return nil
					})),
			},
		},
	})
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

// rotation_days rotates at the first plan once the newest key is that old.
func TestAccSecret_rotationDays(t *testing.T) {
	e := newAccEnv(t)
	clock := &testClock{}
	cfg := secretConfig(e, fmt.Sprintf("function_name = %q\nrotation_days = 30", name("issuer")))
	var rotatedAt string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWithClock(clock),
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: cfg, Check: capture("securestream_secret.s", "rotated_at", &rotatedAt)},
			{
				PreConfig:        func() { clock.advance(29 * 24 * time.Hour) },
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig: func() { clock.advance(2 * 24 * time.Hour) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("rotated_at")),
						plancheck.ExpectUnknownValue("securestream_secret.s", tfjsonpath.New("ciphertext")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					e.checkRing("securestream_secret.s", 2),
					func(s *terraform.State) error {
						a, _ := attrs(s, "securestream_secret.s")
						before, _ := time.Parse(time.RFC3339, rotatedAt)
						after, err := time.Parse(time.RFC3339, a["rotated_at"])
						if err != nil || after.Sub(before) < 31*24*time.Hour {
							return fmt.Errorf("rotated_at %s after %s; want 31 days later", a["rotated_at"], rotatedAt)
						}
						return nil
					},
				),
			},
		},
	})
}

// The rotation rules: rotation_days judged at the time of the last
// refresh, and changed rotation_triggers.
func TestRotationRules(t *testing.T) {
	rotated := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	state := nullSecretModel()
	state.RotatedAt = types.StringValue(rotated.Format(time.RFC3339))
	when := func(v string) types.Map {
		m, _ := types.MapValue(types.StringType, map[string]attr.Value{"x": types.StringValue(v)})
		return m
	}
	for _, c := range []struct {
		name string
		days types.Int64
		when types.Map
		at   time.Time
		want bool
	}{
		{"no rule", types.Int64Null(), types.MapNull(types.StringType), rotated.AddDate(1, 0, 0), false},
		{"not yet", types.Int64Value(30), types.MapNull(types.StringType), rotated.AddDate(0, 0, 29), false},
		{"due", types.Int64Value(30), types.MapNull(types.StringType), rotated.AddDate(0, 0, 30), true},
		{"trigger first set (or imported)", types.Int64Null(), when("a"), rotated, false},
		{"trigger changed", types.Int64Null(), when("b"), rotated, true},
		{"trigger unchanged", types.Int64Null(), when("a"), rotated, false},
		{"trigger removed", types.Int64Null(), types.MapNull(types.StringType), rotated, false},
		{"trigger unknown", types.Int64Null(), types.MapUnknown(types.StringType), rotated, false},
	} {
		plan, prior := state, state
		if strings.HasPrefix(c.name, "trigger") && !strings.Contains(c.name, "first set") {
			prior.RotationTriggers = when("a")
		}
		plan.RotationDays, plan.RotationTriggers = c.days, c.when
		due, _ := dueByDays(plan, prior, c.at)
		if got := due || triggersChanged(plan, prior); got != c.want {
			t.Errorf("%s: rotates = %v; want %v", c.name, got, c.want)
		}
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

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{24 * time.Hour: "24h", 10 * time.Minute: "10m", 90 * time.Minute: "1h30m", 30 * time.Second: "30s", 0: "0s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q; want %q", d, got, want)
		}
	}
}

// Read reports a disabled KMS key as a warning that names the fix and
// keeps the state; a deleted key as a warning that removes it.
func TestReadWarnsOfDisabledKey(t *testing.T) {
	testenv.Acceptance(t) // against moto_server
	ctx := context.Background()
	moto := emulators.StartMoto(t)
	c, err := awsclients.New(ctx, awsclients.Options{Region: "us-east-1", Endpoint: moto.Endpoint, AccessKey: "testing", SecretKey: "testing"})
	if err != nil {
		t.Fatal(err)
	}
	r := &secretResource{clients: c, now: time.Now}
	var sch fwresource.SchemaResponse
	r.Schema(ctx, fwresource.SchemaRequest{}, &sch)
	read := func(keyID string) fwresource.ReadResponse {
		st := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
		m := nullSecretModel()
		m.ID, m.KMSKeyID, m.FunctionName = types.StringValue(keyID), types.StringValue(keyID), types.StringValue("fn")
		m.Keys = types.ListValueMust(keyObjectType, []attr.Value{})
		if d := st.Set(ctx, &m); d.HasError() {
			t.Fatal(d)
		}
		resp := fwresource.ReadResponse{State: st}
		r.Read(ctx, fwresource.ReadRequest{State: st}, &resp)
		return resp
	}
	key, err := c.KMS.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(key.KeyMetadata.KeyId)
	if _, err := c.KMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	resp := read(id)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 || resp.State.Raw.IsNull() {
		t.Fatalf("disabled key: diagnostics %v, state removed: %v", resp.Diagnostics, resp.State.Raw.IsNull())
	}
	if w := resp.Diagnostics.Warnings()[0]; !strings.Contains(w.Summary(), "disabled") || !strings.Contains(w.Detail(), "aws kms enable-key --key-id "+id) {
		t.Errorf("warning %q: %q", w.Summary(), w.Detail())
	}
	if _, err := c.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	resp = read(id)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 || !resp.State.Raw.IsNull() {
		t.Fatalf("deleted key: diagnostics %v, state removed: %v", resp.Diagnostics, resp.State.Raw.IsNull())
	}
	if w := resp.Diagnostics.Warnings()[0]; !strings.Contains(w.Summary(), "gone") || !strings.Contains(w.Detail(), "cancel-key-deletion --key-id "+id) {
		t.Errorf("warning %q: %q", w.Summary(), w.Detail())
	}
}

// A create whose kms:Encrypt fails leaves no KMS key behind: nothing of a
// failed create is saved, so the key it made is scheduled for deletion;
// also when the failure is the create's own cancellation (Ctrl-C, a
// timeout), which on 8ec92d4 cancelled the cleanup too. The key is made
// with the securestream key policy.
func TestCreateCleansUpAfterFailedEncrypt(t *testing.T) {
	for _, cancelled := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancelled=%v", cancelled), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			var calls []string
			kmsFake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
				body, _ := io.ReadAll(r.Body)
				if op == "" && strings.Contains(string(body), "Action=GetCallerIdentity") {
					w.Header().Set("Content-Type", "text/xml")
					fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
						`<Arn>arn:aws:sts::123456789012:assumed-role/deploy/ci</Arn><UserId>AROA:ci</UserId><Account>123456789012</Account>`+
						`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
					return
				}
				mu.Lock()
				calls = append(calls, op+" "+string(body))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				switch op {
				case "CreateKey":
					fmt.Fprint(w, `{"KeyMetadata":{"KeyId":"k-123","Arn":"arn:aws:kms:us-east-1:123456789012:key/k-123"}}`)
				case "Encrypt":
					if cancelled { // the user presses Ctrl-C while Encrypt runs
						cancel()
						<-r.Context().Done()
						return
					}
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"not allowed to encrypt"}`)
				default:
					fmt.Fprint(w, `{}`)
				}
			}))
			defer kmsFake.Close()
			c, err := awsclients.New(context.Background(), awsclients.Options{Region: "us-east-1", Endpoint: kmsFake.URL, AccessKey: "a", SecretKey: "b",
				SkipCredentialsValidation: true, SkipRequestingAccountID: true})
			if err != nil {
				t.Fatal(err)
			}
			r := &secretResource{clients: c, now: time.Now}
			var sch fwresource.SchemaResponse
			r.Schema(ctx, fwresource.SchemaRequest{}, &sch)
			m := nullSecretModel()
			m.FunctionName, m.KMSKeyID = types.StringValue("fn"), types.StringUnknown()
			m.ActivationDelay, m.MaxTokenLifetime, m.Keys = types.StringValue("10m"), types.StringValue("24h"), types.ListUnknown(keyObjectType)
			m.TagsAll = types.MapValueMust(types.StringType, map[string]attr.Value{})
			plan := tfsdk.Plan{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
			config := tfsdk.Config{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
			if d := plan.Set(ctx, &m); d.HasError() {
				t.Fatal(d)
			}
			config.Raw = plan.Raw
			resp := fwresource.CreateResponse{State: tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}}
			r.Create(ctx, fwresource.CreateRequest{Plan: plan, Config: config}, &resp)

			if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Summary(), "kms:Encrypt failed") {
				t.Fatalf("diagnostics: %v", resp.Diagnostics)
			}
			if resp.Diagnostics.WarningsCount() != 1 || !strings.Contains(resp.Diagnostics.Warnings()[0].Summary(), "scheduled for deletion") {
				t.Errorf("warnings: %v", resp.Diagnostics.Warnings())
			}
			if !resp.State.Raw.IsNull() {
				t.Error("a failed create saved state")
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.HasPrefix(calls[0], "CreateKey ") || !strings.Contains(calls[0], `TerraformSealsTheKeyRing`) ||
				!strings.Contains(calls[0], `arn:aws:iam::123456789012:role/*/deploy`) {
				t.Errorf("CreateKey without the key policy: %s", calls[0])
			}
			last := calls[len(calls)-1]
			if !strings.HasPrefix(last, "ScheduleKeyDeletion ") || !strings.Contains(last, `"KeyId":"k-123"`) {
				t.Errorf("calls: %v", calls)
			}
		})
	}
}
