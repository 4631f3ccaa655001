package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
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
	p := e.provider("default_tags {\n    tags = { owner = \"media\", team = \"platform\" }\n  }")
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

// Read reports a disabled KMS key as a warning that names the fix and
// keeps the state; a deleted key as a warning that removes it.
func TestReadWarnsOfDisabledKey(t *testing.T) {
	testenv.Acceptance(t) // against moto_server
	ctx := context.Background()
	moto := localtest.StartMoto(t)
	c, err := awsclients.New(ctx, awsclients.Options{Region: "us-east-1", Endpoint: moto.Endpoint, AccessKey: "testing", SecretKey: "testing"})
	if err != nil {
		t.Fatal(err)
	}
	r := &secretResource{resourceBase: resourceBase{providerData{clients: c, now: time.Now}}}
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
	// A key that does not exist at all (a local stack that restarted empty)
	// has no deletion to cancel: the advice must not say to cancel one.
	const missing = "0b1e6f4a-9d2c-4c1e-8f3a-5d7e9a1b2c3d"
	resp = read(missing)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 || !resp.State.Raw.IsNull() {
		t.Fatalf("missing key: diagnostics %v, state removed: %v", resp.Diagnostics, resp.State.Raw.IsNull())
	}
	if w := resp.Diagnostics.Warnings()[0]; !strings.Contains(w.Detail(), "no longer exists") || strings.Contains(w.Detail(), "cancel-key-deletion") {
		t.Errorf("missing key's warning %q: %q", w.Summary(), w.Detail())
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
			r := &secretResource{resourceBase: resourceBase{providerData{clients: c, now: time.Now}}}
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
