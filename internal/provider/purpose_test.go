package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/keyring"
)

// Issue 18, H1: every secret is sealed for a purpose, and what versions
// before the purpose sealed is re-sealed by the next apply.

// userKey creates a KMS key the test owns (deleted with the test).
func (e *accEnv) userKey(t *testing.T) (id, arn string) {
	t.Helper()
	ctx := context.Background()
	key, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("brought by the user")})
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
	cfg := issuerConfig(e, fn, pkgPath, fmt.Sprintf(`  api_type                 = "function_url"
  jwt_hs256_key_wo         = %q
  jwt_hs256_key_wo_version = 1
  settings = {
    auth          = "jwt"
    jwt_audience  = "video"
    allowed_hosts = ["media.example.com"]
  }
`, chosenRing)) +
		functionCodeData("securestream_issuer.i.jwt_hs256_key_ciphertext", "securestream_secret.s.id", "securestream_secret.s.function_name", "")
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
	keyID, _ := e.userKey(t)
	now := time.Now().UTC().Truncate(time.Second)
	doc := &keyring.Document{Version: keyring.Version, Keys: []keyring.Key{
		{ID: "k-old-ring", Secret: []byte("an-old-ring-key-of-at-least-32-bytes!!"), Created: now.Add(-time.Hour)}}}
	pt, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	legacy := e.legacySeal(t, keyID, fn, pt)
	code := func(ciphertext string) string {
		return functionCodeData(ciphertext, fmt.Sprintf("%q", keyID), fmt.Sprintf("%q", fn), "")
	}
	secret := secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q\n", fn, keyID))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// No consumer opens the old form: it says to apply the secret.
				Config:      e.provider() + code(fmt.Sprintf("%q", legacy)),
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
				Config: secret + code("securestream_secret.s.ciphertext"),
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
	_, keyARN := e.userKey(t)
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
