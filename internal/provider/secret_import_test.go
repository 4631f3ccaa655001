package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

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
