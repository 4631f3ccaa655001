package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// Import round-trips (issue 20 item 8): a secret whose key it created
// imports as managing it, with its alias, tags, rotation and decrypt roles;
// the configuration that made it then plans no change, and so does the one
// terraform plan -generate-config-out writes.
func TestAccImport_secretRoundTrip(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	alias := "alias/" + name("ss-import")
	role := "arn:aws:iam::123456789012:role/securestream/" + fn
	body := fmt.Sprintf(`function_name       = %q
alias               = %q
tags                = { team = "video" }
enable_key_rotation = false
decrypt_role_arns   = [%q]`, fn, alias, role)
	importID := func(s *terraform.State) (string, error) {
		a, err := attrs(s, "securestream_secret.s")
		return a["id"] + "," + a["function_name"] + "," + a["ciphertext"], err
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: secretConfig(e, body)},
			{
				ResourceName:      "securestream_secret.s",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateIdFunc: importID,
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					if len(is) != 1 || is[0].Attributes["manages_kms_key"] != "true" {
						return fmt.Errorf("want one secret with manages_kms_key = true, got %v", is)
					}
					return nil
				},
			},
			{
				// An import block: the plan imports and changes nothing.
				ResourceName:      "securestream_secret.s",
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: importID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("manages_kms_key"), knownvalue.Bool(true)),
					plancheck.ExpectKnownValue("securestream_secret.s", tfjsonpath.New("alias"), knownvalue.StringExact(alias)),
				}},
			},
			{
				// The configuration Terraform generates is valid and plans
				// no change.
				ResourceName:      "securestream_secret.s",
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: importID,
				GenerateConfig:    true,
				Config:            e.provider(),
			},
		},
	})
}

// A secret under the user's key imports as not managing it, keeps the
// kms_key_id of the id, and its configuration plans no change.
func TestAccImport_secretUserKeyRoundTrip(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	keyID, _ := e.userKey(t, "brought by the user")
	importID := func(s *terraform.State) (string, error) {
		a, err := attrs(s, "securestream_secret.s")
		return a["kms_key_id"] + "," + a["function_name"] + "," + a["ciphertext"], err
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, keyID))},
			{ResourceName: "securestream_secret.s", ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importID},
			{ResourceName: "securestream_secret.s", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateIdFunc: importID},
			{
				ResourceName: "securestream_secret.s", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateIdFunc: importID,
				GenerateConfig: true, Config: e.provider(),
			},
		},
	})
}

// importFunctionConfig is a secret and a function on two behaviors of a
// distribution.
func importFunctionConfig(e *cfEnv, fn, issuer, dist string) string {
	return e.provider() + secretHCL(issuer, "") + functionHCL("f", fn, assocOn(dist))
}

// explicitFunctionImportID is the import id of the securestream_function
// named fn that names its ring itself:
// <name>,<kms_key_id>,<function_name>,<ciphertext> of securestream_secret.s's
// key_ring (whose kms_key_id is the key's ARN).
func explicitFunctionImportID(fn string) resource.ImportStateIdFunc {
	return func(s *terraform.State) (string, error) {
		a, err := attrs(s, "securestream_secret.s")
		return fn + "," + a["key_ring.kms_key_id"] + "," + a["key_ring.function_name"] + "," + a["key_ring.ciphertext"], err
	}
}

// A function imports with its associations (read from the distributions)
// and, given where its ring is, with every required argument: the
// configuration that made it plans no change. The old id, the name alone,
// still imports; a malformed id is refused naming the forms.
func TestAccImport_functionRoundTrip(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	e.distribution(t) // another, which runs nothing of the function's: not an association
	dist := e.distribution(t)
	cfg := importFunctionConfig(e, fn, issuer, dist)
	byIssuer := func(s *terraform.State) (string, error) {
		a, err := attrs(s, "securestream_secret.s")
		if err != nil {
			return "", err
		}
		// The issuer, deployed some other way, runs with the ring.
		if err := e.createIssuerFunctionEnv(t, issuer, map[string]string{envKeyring: a["ciphertext"], envKMSKeyID: a["kms_key_arn"]}); err != nil {
			return "", err
		}
		return fn + ",lambda:" + issuer, nil
	}
	explicit := explicitFunctionImportID(fn)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{ResourceName: "securestream_function.f", ImportState: true, ImportStateVerify: true, ImportStateIdFunc: byIssuer},
			{ResourceName: "securestream_function.f", ImportState: true, ImportStateVerify: true, ImportStateIdFunc: explicit},
			{
				// The name alone, as before: the associations are read, the
				// ring is the configuration's.
				ResourceName: "securestream_function.f", ImportState: true, ImportStateVerify: true, ImportStateId: fn,
				// Not in the id, so not in the imported state: the next plan
				// takes them from the configuration.
				ImportStateVerifyIgnore: []string{"key_ring", "key_ids"},
			},
			{
				ResourceName: "securestream_function.f", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateIdFunc: explicit,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("association"), knownvalue.ListSizeExact(2)),
				}},
			},
			{ResourceName: "securestream_function.f", ImportState: true, ImportStateId: fn + ",lambda:",
				ExpectError: regexp.MustCompile(`(?s)Unexpected import id.*<name>,lambda:<issuer function name>.*<name>,<kms_key_id>,<function_name>,<ciphertext>`)},
			{ResourceName: "securestream_function.f", ImportState: true, ImportStateId: fn + ",a,b",
				ExpectError: regexp.MustCompile(`(?s)Unexpected import id.*has 3 parts`)},
			{ResourceName: "securestream_function.f", ImportState: true, ImportStateId: "no such/name",
				ExpectError: regexp.MustCompile(`(?s)Unexpected import id.*CloudFront Function name`)},
		},
	})
}

// The configuration terraform plan -generate-config-out writes for an
// imported function is valid (every required argument is filled, the
// ring's ciphertext included) and plans no change.
func TestAccImport_functionGeneratedConfig(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	dist := e.distribution(t)
	explicit := explicitFunctionImportID(fn)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: importFunctionConfig(e, fn, issuer, dist)},
			{
				ResourceName: "securestream_function.f", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateIdFunc: explicit,
				GenerateConfig: true, Config: e.provider() + secretHCL(issuer, ""),
			},
		},
	})
}

// stateAttrs are the attributes of a resource in the state Terraform wrote.
func (tf *tfProcess) stateAttrs(addr string) map[string]any {
	tf.t.Helper()
	var st struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct{ Attributes map[string]any }
		}
	}
	if err := json.Unmarshal([]byte(tf.state()), &st); err != nil {
		tf.t.Fatalf("reading the state: %v", err)
	}
	for _, r := range st.Resources {
		if r.Mode == "managed" && r.Type+"."+r.Name == addr && len(r.Instances) == 1 {
			return r.Instances[0].Attributes
		}
	}
	tf.t.Fatalf("%s is not in the state", addr)
	return nil
}

// importWithCLI imports each address of ids (address: import id) with
// import blocks added to config, as a user would: with generate, config
// has no block for them and terraform plan -generate-config-out writes
// them, which must validate. The apply imports them and changes nothing,
// and the plan after it is empty; neither says a warning.
func importWithCLI(t *testing.T, tf *tfProcess, config string, ids map[string]string, generate bool) {
	t.Helper()
	var blocks []string
	for addr, id := range ids {
		blocks = append(blocks, fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", addr, id))
	}
	sort.Strings(blocks)
	tf.write(config + "\n" + strings.Join(blocks, "\n"))
	if generate {
		if out, err := tf.run("plan", "-no-color", "-generate-config-out=generated.tf"); err != nil {
			t.Fatalf("terraform plan -generate-config-out: %v\n%s", err, out)
		}
		gen, err := os.ReadFile(filepath.Join(tf.dir, "generated.tf"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("generated.tf:\n%s", gen)
		if out, err := tf.run("validate", "-no-color"); err != nil {
			t.Fatalf("the generated configuration does not validate: %v\n%s", err, out)
		}
	}
	out, err := tf.run("apply", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatalf("terraform apply of the import: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("%d imported, 0 added, 0 changed, 0 destroyed", len(ids)); !strings.Contains(out, want) {
		t.Fatalf("the import apply did not say %q:\n%s", want, out)
	}
	if strings.Contains(out, "Warning:") {
		t.Fatalf("the import apply warns:\n%s", out)
	}
	if err := tf.planIsEmpty(); err != nil {
		t.Fatal(err)
	}
	if out, err := tf.run("plan", "-no-color"); err != nil || strings.Contains(out, "Warning:") {
		t.Fatalf("the plan after the import warns or fails (%v):\n%s", err, out)
	}
}

// Import through the CLI, as a user would, with the configuration that
// made the secret and the function, and with the configuration Terraform
// generates for a secret: the import changes nothing, and neither it nor
// the next plan warns (before issue 20 item 8, "The secret keeps your KMS
// key" on every plan, and the function planned "+ association").
func TestAccImport_cliNoChangesNoWarnings(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	dist := e.distribution(t)
	cfg := importFunctionConfig(e, fn, issuer, dist)
	tf := newTFProcess(t, cfg)
	if out, err := tf.run("apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	s := tf.stateAttrs("securestream_secret.s")
	secretID := fmt.Sprintf("%s,%s,%s", s["id"], s["function_name"], s["ciphertext"])
	if out, err := tf.run("state", "rm", "-no-color", "securestream_secret.s", "securestream_function.f"); err != nil {
		t.Fatalf("terraform state rm: %v\n%s", err, out)
	}
	importWithCLI(t, tf, cfg, map[string]string{
		"securestream_secret.s":   secretID,
		"securestream_function.f": fmt.Sprintf("%s,%s,%s,%s", fn, s["kms_key_arn"], s["function_name"], s["ciphertext"]),
	}, false)

	// The same secret into another state, from generated configuration.
	gen := newTFProcess(t, e.provider())
	importWithCLI(t, gen, e.provider(), map[string]string{"securestream_secret.g": secretID}, true)
}

// The same for a function, from generated configuration (needs the
// function's ciphertext not to be sensitive: Terraform writes a sensitive
// argument as null).
func TestAccImport_cliFunctionGeneratedConfig(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	dist := e.distribution(t)
	tf := newTFProcess(t, importFunctionConfig(e, fn, issuer, dist))
	if out, err := tf.run("apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	s := tf.stateAttrs("securestream_secret.s")
	if err := e.createIssuerFunctionEnv(t, issuer, map[string]string{envKeyring: fmt.Sprint(s["ciphertext"]), envKMSKeyID: fmt.Sprint(s["kms_key_arn"])}); err != nil {
		t.Fatal(err)
	}
	gen := newTFProcess(t, e.provider())
	importWithCLI(t, gen, e.provider(), map[string]string{
		"securestream_secret.g":   fmt.Sprintf("%s,%s,%s", s["id"], s["function_name"], s["ciphertext"]),
		"securestream_function.g": fn + ",lambda:" + issuer,
	}, true)
}

// securestream_function's import ids: the name alone (as before), with the
// issuer's function, or with the ring itself; anything else is refused
// with the forms.
func TestParseFunctionImportID(t *testing.T) {
	for _, c := range []struct {
		id   string
		want functionImportID
	}{
		{"video-edge", functionImportID{name: "video-edge"}},
		{"video-edge,lambda:video-issuer", functionImportID{name: "video-edge", issuer: "video-issuer"}},
		{"video-edge,1234abcd,video-issuer,AQIC+/==", functionImportID{name: "video-edge", kmsKeyID: "1234abcd", function: "video-issuer", ciphertext: "AQIC+/=="}},
		{"video-edge,alias/video-keys,video-issuer,AQIC", functionImportID{name: "video-edge", kmsKeyID: "alias/video-keys", function: "video-issuer", ciphertext: "AQIC"}},
	} {
		got, diags := parseFunctionImportID(c.id)
		if diags.HasError() || got != c.want {
			t.Errorf("%q: got %+v %v; want %+v", c.id, got, diags, c.want)
		}
	}
	for id, why := range map[string]string{
		"":                        "CloudFront Function name",
		"video edge":              "CloudFront Function name",
		"video-edge,video-issuer": "lambda:<issuer function name>",
		"video-edge,lambda:":      "lambda:<issuer function name>",
		"video-edge,a,b":          "has 3 parts",
		"video-edge,key,,AQIC":    "empty part",
		"video-edge,,video,AQIC":  "empty part",
		"video-edge,key,video,":   "empty part",
		",lambda:video-issuer":    "CloudFront Function name",
		strings.Repeat("x", 65):   "CloudFront Function name",
	} {
		_, diags := parseFunctionImportID(id)
		if !diags.HasError() {
			t.Errorf("%q: accepted", id)
			continue
		}
		detail := diags[0].Detail()
		if !strings.Contains(detail, why) || !strings.Contains(detail, functionImportForms) {
			t.Errorf("%q: %q does not say %q and the forms", id, detail, why)
		}
	}
}

// decrypt_role_arns are read back from the policy the resource writes.
func TestDecryptRolesOf(t *testing.T) {
	roles := []string{"arn:aws:iam::123456789012:role/b", "arn:aws:iam::123456789012:role/a"}
	doc, err := keyPolicy("arn:aws:iam::123456789012:user/terraform", roles, []string{"video-issuer"})
	if err != nil {
		t.Fatal(err)
	}
	got := decryptRolesOf(doc)
	if strings.Join(got, " ") != "arn:aws:iam::123456789012:role/a arn:aws:iam::123456789012:role/b" {
		t.Errorf("got %v; want both roles, sorted as the policy lists them", got)
	}
	if doc, _ := keyPolicy("arn:aws:iam::123456789012:user/terraform", nil, []string{"video-issuer"}); decryptRolesOf(doc) != nil {
		t.Errorf("a policy without decrypt roles gave %v", decryptRolesOf(doc))
	}
	if decryptRolesOf("not json") != nil {
		t.Error("a policy that is not JSON gave roles")
	}
}

// issuerRingEnv is the one reading of the issuer's ring for both imports
// (by its function's name, lambda:<issuer function name>): a variable
// missing names the import, the function, the variable and the import id
// that does without the function; a failed call names
// lambda:GetFunctionConfiguration and what the import reads.
func TestIssuerRingEnv(t *testing.T) {
	var env map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/functions/video-issuer/configuration") {
			w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"Message":"not authorized to perform lambda:GetFunctionConfiguration"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"FunctionName": "video-issuer", "Environment": map[string]any{"Variables": env}})
	}))
	t.Cleanup(srv.Close)
	c := &awsclients.Clients{Lambda: lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})}
	const secretForm, functionForm = "<kms_key_id>,<function_name>,<ciphertext>", "<name>,<kms_key_id>,<function_name>,<ciphertext>"
	ring := []string{envKeyring}
	both := []string{envKeyring, envKMSKeyID}
	for _, tc := range []struct {
		resource, fn, explicit string
		env                    map[string]string
		vars                   []string
		want                   string // a regexp of the error; "" for none
	}{
		{"securestream_secret", "video-issuer", secretForm, map[string]string{envKeyring: "sealed"}, ring, ""},
		{"securestream_function", "video-issuer", functionForm, map[string]string{envKeyring: "sealed", envKMSKeyID: "alias/k"}, both, ""},
		{"securestream_secret", "video-issuer", secretForm, map[string]string{envKMSKeyID: "alias/k"}, ring,
			`No key ring in the issuer function: securestream_secret import: the function "video-issuer" has no SECURESTREAM_KEYRING variable.*import with <kms_key_id>,<function_name>,<ciphertext>\.$`},
		{"securestream_function", "video-issuer", functionForm, map[string]string{envKeyring: "sealed"}, both,
			`securestream_function import: the function "video-issuer" has no SECURESTREAM_KMS_KEY_ID variable.*import with <name>,<kms_key_id>,<function_name>,<ciphertext>\.$`},
		{"securestream_secret", "nope", secretForm, nil, ring,
			`(?s)lambda:GetFunctionConfiguration.*The securestream_secret import reads SECURESTREAM_KEYRING from the issuer function "nope"`},
		{"securestream_function", "nope", functionForm, nil, both,
			`(?s)lambda:GetFunctionConfiguration.*reads SECURESTREAM_KEYRING and SECURESTREAM_KMS_KEY_ID from the issuer function "nope"`},
	} {
		env = tc.env
		got, diags := issuerRingEnv(context.Background(), c, tc.resource, tc.fn, tc.explicit, tc.vars...)
		var msgs []string
		for _, d := range diags.Errors() {
			msgs = append(msgs, d.Summary()+": "+d.Detail())
		}
		msg := strings.Join(msgs, "\n")
		switch {
		case tc.want == "" && (diags.HasError() || got[envKeyring] != "sealed"):
			t.Errorf("%s %s %v: got %v, %q; want the environment", tc.resource, tc.fn, tc.vars, got, msg)
		case tc.want != "" && !regexp.MustCompile(tc.want).MatchString(msg):
			t.Errorf("%s %s %v: error %q does not match %s", tc.resource, tc.fn, tc.vars, msg, tc.want)
		case tc.want != "" && got != nil:
			t.Errorf("%s %s %v: an error, and the environment %v", tc.resource, tc.fn, tc.vars, got)
		}
	}
}

// A key the user brings, named by its alias, is used and left alone.
func TestAccSecret_existingKeyAndLambdaImport(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	ctx := context.Background()
	keyID, keyARN := e.userKey(t, "brought by the user")
	alias := "alias/" + name("ss-test")
	if _, err := e.clients.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = e.clients.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String(alias)}) })
	otherID, _ := e.userKey(t, "another key of the user's")
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
				Config: secretConfig(e, fmt.Sprintf("function_name = %q\nkms_key_id = %q", fn, keyARN)),
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
		keyIDs[i], _ = e.userKey(t, "brought by the user")
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
	return e.createIssuerFunctionEnv(t, function, map[string]string{"SECURESTREAM_KEYRING": ciphertext})
}

// createIssuerFunctionEnv is createIssuerFunction with the environment env.
func (e *accEnv) createIssuerFunctionEnv(t *testing.T, function string, env map[string]string) error {
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
		Environment: &lambdatypes.Environment{Variables: env},
		// As a securestream_issuer's function, which the data sources
		// that look an issuer up require.
		Tags: map[string]string{issuerTag: function},
	})
	if err != nil {
		return fmt.Errorf("lambda:CreateFunction: %w", err)
	}
	t.Cleanup(func() {
		_, _ = e.clients.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(function)})
	})
	return nil
}

// The issuer the same way, through the CLI: imported by its function name
// into the configuration that made it (with the built-in package, as
// package_path is not in AWS to read back), the import changes nothing, and
// neither it nor the next plan warns; from the configuration Terraform
// generates too.
func TestAccImport_cliIssuerNoWarnings(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	cfg := issuerConfig(e, fn, "", minimalSettings)
	tf := newTFProcess(t, cfg)
	if out, err := tf.run("apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	if out, err := tf.run("state", "rm", "-no-color", "securestream_issuer.i"); err != nil {
		t.Fatalf("terraform state rm: %v\n%s", err, out)
	}
	importWithCLI(t, tf, cfg, map[string]string{"securestream_issuer.i": fn}, false)

	gen := newTFProcess(t, e.provider())
	importWithCLI(t, gen, e.provider(), map[string]string{"securestream_issuer.g": fn}, true)
}
