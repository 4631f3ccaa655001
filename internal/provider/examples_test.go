package provider

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
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
	if _, err := e.clients.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/video-keys"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil &&
		!strings.Contains(err.Error(), "AlreadyExists") {
		t.Fatal(err)
	}
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
