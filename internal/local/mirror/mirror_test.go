package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

func TestDevVersion(t *testing.T) {
	v := DevVersion(context.Background(), testenv.RepoRoot(t))
	// A commit (.dirty when the tree has changes), or the time when git
	// cannot say (make go-only runs without git on PATH).
	if !regexp.MustCompile(`^0\.0\.0\+dev\.([0-9a-f]{4,40}(\.dirty)?|[0-9]{14})$`).MatchString(v) {
		t.Fatalf("DevVersion: %q; want 0.0.0+dev.<commit>[.dirty] or 0.0.0+dev.<time>", v)
	}
}

// A prerelease (0.0.0-dev) would never be installed: Terraform selects one
// only when a constraint names it, and examples/complete has none.
func TestBuildRefusesOtherVersions(t *testing.T) {
	for _, v := range []string{"0.0.0-dev", "0.0.0", "1.2.3+dev", "0.0.0+", "0.0.0+dev..x", "0.0.0+dev/../x"} {
		if _, err := Build(context.Background(), t.TempDir(), t.TempDir(), v); err == nil || !strings.Contains(err.Error(), "want 0.0.0+") {
			t.Errorf("Build with version %q: %v; want it refused", v, err)
		}
	}
}

func TestCLIConfig(t *testing.T) {
	with := CLIConfig("/m", "/opt/aws")
	for _, want := range []string{
		"path    = \"/m\"\n    include = [\"registry.terraform.io/securestream/securestream\"]",
		"path    = \"/opt/aws\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]",
		"exclude = [\"registry.terraform.io/securestream/securestream\", \"registry.terraform.io/hashicorp/aws\"]",
	} {
		if !strings.Contains(with, want) {
			t.Errorf("CLIConfig with an AWS mirror lacks %q:\n%s", want, with)
		}
	}
	without := CLIConfig("/m", "")
	if strings.Contains(without, "registry.terraform.io/hashicorp/aws") || !strings.Contains(without, "exclude = [\"registry.terraform.io/securestream/securestream\"]") {
		t.Errorf("CLIConfig without an AWS mirror: hashicorp/aws must come from the Registry:\n%s", without)
	}
}

// CopyConfig copies the configuration's .tf files alone (not its state,
// lock file or .terraform, nor a directory whose name ends in .tf), and
// refuses a directory with none.
func TestCopyConfig(t *testing.T) {
	src := t.TempDir()
	for name, body := range map[string]string{"main.tf": "# main\n", "vars.tf": "# vars\n", "terraform.tfstate": "{}", ".terraform.lock.hcl": "#"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{".terraform", "modules.tf"} {
		if err := os.Mkdir(filepath.Join(src, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "work")
	if err := CopyConfig(src, dst); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "main.tf vars.tf" {
		t.Errorf("copied %v, want main.tf and vars.tf alone", names)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "vars.tf")); string(b) != "# vars\n" {
		t.Errorf("vars.tf copied as %q", b)
	}
	empty := t.TempDir()
	if err := CopyConfig(empty, t.TempDir()); err == nil || !strings.Contains(err.Error(), empty+" holds no .tf file") {
		t.Errorf("CopyConfig of a directory without .tf files: %v; want it refused, naming the directory", err)
	}
}

// make mirror's result, as a user meets it: terraform init of a
// configuration that needs both providers, with no version constraint on
// securestream (as examples/complete), installs the build from the mirror
// and hashicorp/aws from its own; an earlier build is gone from the mirror.
func TestMirrorInit(t *testing.T) {
	testenv.Cross(t)
	testenv.Acceptance(t)
	awsMirror, err := FindAWS()
	if err != nil {
		t.Fatal(err)
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("terraform is not installed: install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install) and put it on PATH or set TF_ACC_TERRAFORM_PATH")
		}
	}
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	old := filepath.Dir(BinaryPath(dir, "0.0.0+dev.old", Platform()))
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	version := DevVersion(ctx, root)
	bin, err := Build(ctx, root, dir, version)
	if err != nil {
		t.Fatal(err)
	}
	if bin != BinaryPath(dir, version, Platform()) {
		t.Errorf("Build: %s; want %s", bin, BinaryPath(dir, version, Platform()))
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the earlier build %s is still in the mirror (%v)", old, err)
	}

	work := t.TempDir()
	rc := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(rc, []byte(CLIConfig(dir, awsMirror)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \">= 5.0\"\n    }\n" +
		"    securestream = {\n      source = \"securestream/securestream\"\n    }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(work, "versions.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tf, "init", "-input=false", "-no-color")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Installed securestream/securestream v"+version) || !strings.Contains(string(out), "Installed hashicorp/aws v5.") {
		t.Fatalf("terraform init did not install the build %s and hashicorp/aws from the mirrors:\n%s", version, out)
	}
}

// On a fresh clone (no make issuer), the provider built into the mirror
// still embeds the issuer's packages: Build overlays packages it builds,
// the same bytes make issuer writes; with the packages there, no overlay.
func TestPackagesOverlay(t *testing.T) {
	testenv.Cross(t)
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	overlay, err := packagesOverlay(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if overlay == "" {
		t.Fatal("no overlay for a dist directory without packages")
	}
	defer os.RemoveAll(filepath.Dir(overlay))
	b, err := os.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	var o struct{ Replace map[string]string }
	if err := json.Unmarshal(b, &o); err != nil || len(o.Replace) != 2 {
		t.Fatalf("the overlay: %v %s; want the two packages", err, b)
	}
	for target, built := range o.Replace {
		arch := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(target), "issuer-linux-"), ".zip")
		pkg, err := os.ReadFile(built)
		if err != nil {
			t.Fatal(err)
		}
		if want, err := issuerpkg.Build(ctx, root, arch); err != nil || !bytes.Equal(pkg, want) {
			t.Errorf("the overlaid %s package differs from issuerpkg.Build's (%v)", arch, err)
		}
	}
	full := t.TempDir()
	for _, arch := range []string{"arm64", "x86_64"} {
		if err := os.WriteFile(filepath.Join(full, issuerpkg.FileName(arch)), []byte("zip"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if overlay, err := packagesOverlay(ctx, root, full); err != nil || overlay != "" {
		t.Errorf("with both packages in dist: overlay %q, %v; want none", overlay, err)
	}
}
