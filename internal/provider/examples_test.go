package provider

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// examplesDir is the repository's examples/, which the documentation
// shows: every example must be formatted, and must work.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExamplesFormatted(t *testing.T) {
	requireTerraform(t)
	out, err := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), "fmt", "-check", "-diff", "-recursive", examplesDir(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt -check examples/: %v\n%s\nrun: terraform fmt -recursive examples", err, out)
	}
}

func readExample(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The resource and data source examples apply against the emulator as
// they are written (the KMS alias they name is created first).
func TestAccExamples(t *testing.T) {
	e := newAccEnv(t)
	ctx := context.Background()
	key, err := e.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("the examples' own key")})
	if err != nil {
		t.Fatal(err)
	}
	// Against LocalStack or AWS the key outlives the run unless deleted
	// (a billed key on AWS): schedule it, with the shortest window.
	t.Cleanup(func() {
		if _, err := e.clients.KMS.ScheduleKeyDeletion(context.Background(), &kms.ScheduleKeyDeletionInput{
			KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
			t.Errorf("scheduling the deletion of the examples' KMS key %s: %v", aws.ToString(key.KeyMetadata.KeyId), err)
		}
	})
	alias := &kms.CreateAliasInput{AliasName: aws.String("alias/video-keys"), TargetKeyId: key.KeyMetadata.KeyId}
	if _, err := e.clients.KMS.CreateAlias(ctx, alias); err != nil {
		if !strings.Contains(err.Error(), "AlreadyExists") {
			t.Fatal(err)
		}
		// Left by an interrupted run against a long-lived emulator or AWS.
		if _, err := e.clients.KMS.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: alias.AliasName, TargetKeyId: alias.TargetKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := e.clients.KMS.DeleteAlias(context.Background(), &kms.DeleteAliasInput{AliasName: alias.AliasName}); err != nil {
			t.Errorf("deleting the examples' KMS alias: %v", err)
		}
	})
	for _, rel := range []string{
		"resources/securestream_secret/resource.tf",
		"data-sources/securestream_stream_key/data-source.tf",
	} {
		t.Run(rel, func(t *testing.T) {
			// A running clock: the data source example must settle, its
			// plan empty after the apply and still half an hour later.
			clock := &testClock{}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: factoriesWithClock(clock),
				CheckDestroy:             e.checkDestroyed,
				Steps: []resource.TestStep{{
					Config:          e.provider() + readExample(t, rel),
					ConfigVariables: variablesOf(readExample(t, rel)),
				}, {
					PreConfig:       func() { clock.advance(30 * time.Minute) },
					Config:          e.provider() + readExample(t, rel),
					ConfigVariables: variablesOf(readExample(t, rel)),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectEmptyPlan(),
					}},
				}},
			})
		})
	}
	// The ephemeral example fetches a real URL after apply; its plan must
	// be valid.
	t.Run("ephemeral-resources/securestream_stream_key", func(t *testing.T) {
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             e.checkDestroyed,
			Steps: []resource.TestStep{{
				Config:             e.provider() + readExample(t, "ephemeral-resources/securestream_stream_key/ephemeral-resource.tf"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			}},
		})
	})
}

// variablesOf gives the examples' input variables test values.
func variablesOf(src string) config.Variables {
	v := config.Variables{}
	if strings.Contains(src, `variable "original_secret"`) {
		v["original_secret"] = config.StringVariable("an-original-deployment-secret-for-the-example")
	}
	return v
}

// The rule for which examples `terraform validate` checks here: an example
// that needs a provider other than securestream (examples/complete/ needs
// hashicorp/aws) is left out, because installing that provider means a
// download, and make test runs on a clean clone without network. Terraform
// itself says which providers an example needs (`terraform providers`),
// counting those it implies from resource names.
func TestExamplesValidate(t *testing.T) {
	requireTerraform(t)
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	dirs := exampleDirs(t)
	env := reattachEnv(t)
	for _, rel := range dirs {
		t.Run(rel, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(examplesDir(t), rel))); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) string {
				t.Helper()
				cmd := exec.Command(tf, append([]string{"-chdir=" + dir}, args...)...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("terraform %s in a copy of examples/%s: %v\n%s", strings.Join(args, " "), rel, err, out)
				}
				return string(out)
			}
			var others []string
			implied := false
			for _, m := range providerAddr.FindAllStringSubmatch(run("providers"), -1) {
				// Terraform and OpenTofu resolve a short source on their own registry hosts.
				host, source, _ := strings.Cut(m[1], "/")
				onRegistry := slices.Contains(registryHosts, host)
				switch {
				case onRegistry && source == "securestream/securestream", m[1] == "terraform.io/builtin/terraform": // this one, and the one built in
				case onRegistry && source == "hashicorp/securestream":
					implied = true
				default:
					others = append(others, m[1])
				}
			}
			if len(others) > 0 {
				t.Skipf("not validated: examples/%s needs %s, which would be downloaded", rel, strings.Join(others, ", "))
			}
			if implied {
				// A snippet without required_providers relies on the
				// user's provider.tf (examples/provider), as in the docs.
				req := "terraform {\n  required_providers {\n    securestream = {\n      source = \"securestream/securestream\"\n    }\n  }\n}\n"
				if err := os.WriteFile(filepath.Join(dir, "required_providers.tf"), []byte(req), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run("init", "-backend=false", "-input=false", "-no-color")
			run("validate", "-no-color")
		})
	}
}

// providerAddr is a provider address as `terraform providers` prints it.
var providerAddr = regexp.MustCompile(`provider\[([^\]]+)\]`)

// exampleDirs returns every directory under examples/ that holds a .tf
// file, relative to examples/: each is a configuration of its own.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	root := examplesDir(t)
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".tf") {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			if len(dirs) == 0 || dirs[len(dirs)-1] != rel {
				dirs = append(dirs, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no example under %s", root)
	}
	return dirs
}

// reattachEnv serves the provider in this process, as Terraform's debug
// mode does, and returns the environment in which Terraform uses it
// (TF_REATTACH_PROVIDERS) instead of installing one: nothing is built or
// downloaded. The CLI configuration is an empty file, so that the user's
// own (dev_overrides, mirrors) plays no part.
func reattachEnv(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(Address, func() tfprotov6.ProviderServer { return providerserver.NewProtocol6(New("test", "none")())() },
			tf6server.WithDebug(ctx, reattach, closed), tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(t)) // its logs as Terraform's TF_LOG says, off by default
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second): // a server that never started has nothing to close
		}
	})
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case err := <-served:
		t.Fatalf("serving the provider in-process: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the provider served in-process gave no reattach configuration within 30s")
	}
	conf, err := reattachProviders(rc)
	if err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(cli, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "TF_REATTACH_PROVIDERS="+conf, "TF_CLI_CONFIG_FILE="+cli,
		"TF_DATA_DIR=", "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
}
