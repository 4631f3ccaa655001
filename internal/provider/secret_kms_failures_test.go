package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

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
