package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The tests of securestream_secret's KMS key: the settings of a key it
// creates, handing it over, and checks of a key the user names.

// keyTags returns a key's tags.
func (e *accEnv) keyTags(id string) (map[string]string, error) {
	out, err := e.clients.KMS.ListResourceTags(context.Background(), &kms.ListResourceTagsInput{KeyId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, t := range out.Tags {
		tags[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
	}
	return tags, nil
}

// checkKMSKey checks the created key's description, tags, rotation and alias.
func (e *accEnv) checkKMSKey(function string, tags map[string]string, rotation bool, alias string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, "securestream_secret.s")
		if err != nil {
			return err
		}
		id := a["id"]
		m, err := e.describeKey(id)
		if err != nil {
			return err
		}
		if want := keyDescription(function); aws.ToString(m.Description) != want {
			return fmt.Errorf("key description %q; want %q", aws.ToString(m.Description), want)
		}
		got, err := e.keyTags(id)
		if err != nil {
			return err
		}
		want := map[string]string{functionTag: function}
		for k, v := range tags {
			want[k] = v
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("key tags %v; want %v", got, want)
		}
		rs, err := e.clients.KMS.GetKeyRotationStatus(context.Background(), &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)})
		if err != nil {
			return err
		}
		if rs.KeyRotationEnabled != rotation {
			return fmt.Errorf("key rotation %v; want %v", rs.KeyRotationEnabled, rotation)
		}
		aliases, err := e.clients.KMS.ListAliases(context.Background(), &kms.ListAliasesInput{KeyId: aws.String(id)})
		if err != nil {
			return err
		}
		var names []string
		for _, al := range aliases.Aliases {
			names = append(names, aws.ToString(al.AliasName))
		}
		if strings.Join(names, ",") != alias {
			return fmt.Errorf("key aliases %v; want %q", names, alias)
		}
		return nil
	}
}

// A created key carries tags (the provider's default_tags under the
// resource's), yearly rotation, an alias and a description naming the
// function; each follows the configuration, and a new function name.
func TestAccSecret_keySettings(t *testing.T) {
	e := newAccEnv(t)
	fn, fn2 := name("issuer"), name("renamed")
	alias, alias2 := "alias/"+name("ss-keys"), "alias/"+name("ss-keys")
	// The provider block with default_tags; the resource's team wins.
	p := strings.TrimSuffix(strings.TrimSpace(e.provider()), "}") + "\n  default_tags {\n    tags = { owner = \"media\", team = \"platform\" }\n  }\n}\n"
	secretConfig := func(_ *accEnv, body string) string {
		return p + "\nresource \"securestream_secret\" \"s\" {\n" + body + "\n}\n"
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nalias = %q\ntags = { team = \"video\" }", fn, alias)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{
						"team": knownvalue.StringExact("video"), "owner": knownvalue.StringExact("media")})),
				}},
				Check: e.checkKMSKey(fn, map[string]string{"team": "video", "owner": "media"}, true, alias),
			},
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nalias = %q\ntags = { team = \"ott\", cost = \"media\" }\n"+
					"enable_key_rotation = false\ndeletion_window_in_days = 7", fn2, alias2)),
				Check: resource.ComposeTestCheckFunc(e.checkKMSKey(fn2, map[string]string{"team": "ott", "cost": "media", "owner": "media"}, false, alias2),
					e.checkKeyPolicy("securestream_secret.s", fn2)),
			},
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q", fn2)),
				Check:  e.checkKMSKey(fn2, map[string]string{"owner": "media", "team": "platform"}, true, ""),
			},
		},
	})
}

// Naming the key the resource created hands it over: manages_kms_key is
// planned false, and destroy leaves the key (CheckDestroy: a key that is
// not the resource's must stay enabled). Removing kms_key_id afterwards
// keeps the user's key, not managed.
func TestAccSecret_handOver(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	alias := "alias/" + name("ss-handover")
	var keyID string
	t.Cleanup(func() {
		if keyID != "" {
			_, _ = e.clients.KMS.DeleteAlias(context.Background(), &kms.DeleteAliasInput{AliasName: aws.String(alias)})
			_, _ = e.clients.KMS.ScheduleKeyDeletion(context.Background(), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
		}
	})
	manages := func(want bool) plancheck.PlanCheck {
		return plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("manages_kms_key"), knownvalue.Bool(want))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nalias = %q", fn, alias)),
				Check:  capture("securestream_secret.s", "id", &keyID),
			},
			{
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, alias)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("securestream_secret.s", plancheck.ResourceActionUpdate),
						manages(false),
						plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("ciphertext"), knownvalue.NotNull()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				// The alias stays with the key: it is the user's now.
				Check: e.checkKMSKey(fn, nil, true, alias),
			},
			{
				Config:           secretConfig(e, fmt.Sprintf("function_name = %q", fn)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{manages(false)}},
			},
		},
	})
}

// A key named in kms_key_id is checked at plan, on kms_key_id: another
// region, a key that does not exist, an asymmetric key, a disabled key.
// Pairings and values the schema refuses are refused at plan too.
func TestAccSecret_refusedAtPlan(t *testing.T) {
	e := newAccEnv(t)
	ctx := context.Background()
	newKey := func(in *kms.CreateKeyInput) string {
		out, err := e.clients.KMS.CreateKey(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = e.clients.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: out.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)})
		})
		return aws.ToString(out.KeyMetadata.KeyId)
	}
	asymmetric := newKey(&kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	disabled := newKey(&kms.CreateKeyInput{})
	if _, err := e.clients.KMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(disabled)}); err != nil {
		t.Fatal(err)
	}
	fn := name("issuer")
	var steps []resource.TestStep
	for _, c := range []struct{ body, want string }{
		{`kms_key_id = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"`, `kms_key_id.*in us-west-2, the\s+provider is in us-east-1`},
		{`kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"`, `KMS key does not exist.*kms_key_id`},
		{fmt.Sprintf("kms_key_id = %q", asymmetric), `Unusable KMS key.*symmetric`},
		{fmt.Sprintf("kms_key_id = %q", disabled), `KMS key is disabled.*enable-key`},
		{`secret_wo = "an-original-deployment-secret-of-32+"`, `secret_wo_version.*must be specified`},
		{"secret_wo_version = -1", `secret_wo_version.*at least 1`},
		{`rotation_triggers = { a = null }`, `Null value.*rotation_triggers`},
		{fmt.Sprintf("kms_key_id = %q\ntags = { a = \"b\" }", disabled), `tags = .*"kms_key_id" cannot be specified when "tags" is specified`},
		{`alias = "alias/aws/mine"`, `alias.*alias/aws/`},
	} {
		steps = append(steps, resource.TestStep{Config: secretConfig(e, fmt.Sprintf("function_name = %q\n%s", fn, c.body)),
			PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)` + c.want)})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
