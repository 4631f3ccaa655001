package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The oldest Terraform and OpenTofu the provider supports: write-only
// arguments (secret_wo, jwt_hs256_key_wo) came in Terraform 1.11 (ephemeral
// resources in 1.10) and in OpenTofu 1.11 (both). README.md, the examples'
// required_version and the acceptance tests' binary are checked against
// these, so that what the README promises is what the tests run.
const (
	minTerraform = "1.11"
	minOpenTofu  = "1.11"
)

// cliVersion matches the line of `terraform version` and `tofu version`
// that names the binary and its version.
var cliVersion = regexp.MustCompile(`(?m)^(Terraform|OpenTofu) v(\d+\.\d+\.\d+)`)

// cliVersionOf runs bin version: kind is "Terraform" or "OpenTofu".
func cliVersionOf(bin string) (kind, version string, err error) {
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("%s version: %w\n%s", bin, err, out)
	}
	m := cliVersion.FindStringSubmatch(string(out))
	if m == nil {
		return "", "", fmt.Errorf("%s version printed %q, which names neither Terraform nor OpenTofu", bin, out)
	}
	return m[1], m[2], nil
}

// providerHostFor is the registry host on which bin resolves a source
// address without one (terraform-plugin-testing's configurations name the
// provider "securestream", that is hashicorp/securestream, in import steps):
// TestMain gives it to terraform-plugin-testing (TF_ACC_PROVIDER_HOST),
// which serves the provider there. "" when bin cannot say what it is: the
// tests then fail on it with its error (TestAccCLIVersionSupported).
func providerHostFor(bin string) string {
	if kind, _, err := cliVersionOf(bin); err == nil && kind == "OpenTofu" {
		return "registry.opentofu.org"
	}
	return ""
}

// The binary the acceptance tests run (TF_ACC_TERRAFORM_PATH) is not older
// than the documented minimum of its kind.
func TestAccCLIVersionSupported(t *testing.T) {
	requireTerraform(t)
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	kind, got, err := cliVersionOf(bin)
	if err != nil {
		t.Fatal(err)
	}
	minimum, install := minTerraform, "install Terraform "+minTerraform+" or later (https://developer.hashicorp.com/terraform/install)"
	if kind == "OpenTofu" {
		minimum, install = minOpenTofu, "make tofu builds the OpenTofu the tests pin (GNUmakefile TOFU_VERSION)"
	}
	if compareVersions(got, minimum) < 0 {
		t.Fatalf("TF_ACC_TERRAFORM_PATH=%s is %s %s, older than %s, the oldest the provider supports (README.md): %s",
			bin, kind, got, minimum, install)
	}
	t.Logf("acceptance tests run under %s %s (supported from %s)", kind, got, minimum)
}

// README.md's requirement line, the examples' required_version and the
// OpenTofu that make testacc-tofu builds agree with the minimums above.
func TestSupportedVersionsDocumented(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pin := regexp.MustCompile(`(?m)^TOFU_VERSION := v(\S+)$`).FindStringSubmatch(read("GNUmakefile"))
	if pin == nil {
		t.Fatal("GNUmakefile sets no TOFU_VERSION := v<version> (the OpenTofu make testacc-tofu runs)")
	}
	readme := read("README.md")
	for _, want := range []string{"Terraform " + minTerraform + " or later", "OpenTofu " + minOpenTofu + " or later", "OpenTofu " + pin[1]} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say %q: its requirement line (## Set up) must name the supported and the tested versions "+
				"(minTerraform and minOpenTofu in %s, TOFU_VERSION in GNUmakefile)", want, "internal/provider/cli_version_test.go")
		}
	}
	// Each example that states a required_version states the minimum.
	req := regexp.MustCompile(`required_version\s*=\s*"([^"]*)"`)
	err = filepath.WalkDir(filepath.Join(root, "examples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range req.FindAllStringSubmatch(string(b), -1) {
			if m[1] != ">= "+minTerraform {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s: required_version = %q, want \">= %s\", the documented minimum", rel, m[1], minTerraform)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// compareVersions compares dotted numeric versions ("1.11.4", "1.11"),
// a missing part counting as 0.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x < y {
			return -1
		}
		if x > y {
			return 1
		}
	}
	return 0
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"1.11.4", "1.11", 1}, {"1.11.0", "1.11", 0}, {"1.10.9", "1.11", -1}, {"1.9.0", "1.11", -1}, {"2.0.0", "1.11", 1}} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
