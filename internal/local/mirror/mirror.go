// Package mirror lays a build of this provider into a Terraform
// filesystem mirror, under a version that says it is a development build,
// and writes the CLI configuration that installs it from there beside
// hashicorp/aws (from its own mirror, or from the Registry): the way to run
// a configuration that needs both providers, such as examples/complete,
// with the provider just built. dev_overrides cannot: under it terraform
// init fails for every provider that is not overridden.
//
// make mirror (internal/local/cmd/mirror) runs it; the acceptance test of
// examples/complete (internal/local/awsprovidertest) does too.
package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
)

// Source is the provider's address in a mirror and in a CLI configuration.
const Source = "registry.terraform.io/securestream/securestream"

// AWSSource is hashicorp/aws's.
const AWSSource = "registry.terraform.io/hashicorp/aws"

// BaseVersion is the version of every development build. It is a release
// version with build metadata (0.0.0+dev.<commit>), not a prerelease
// (0.0.0-dev): Terraform selects a prerelease only when a constraint names
// it exactly, and examples/complete requires securestream/securestream with
// no constraint; build metadata is ignored when versions are compared.
const BaseVersion = "0.0.0"

// metadata is what semver allows after the +: dot-separated [0-9A-Za-z-].
var metadata = regexp.MustCompile(`^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$`)

// DevVersion is the version of a build of the module at root:
// 0.0.0+dev.<short commit>, with .dirty when the working tree has changes,
// or 0.0.0+dev.<UTC time> when git cannot say (no git, not a clone).
func DevVersion(ctx context.Context, root string) string {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = root
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	commit, err := git("rev-parse", "--short=12", "HEAD")
	if err != nil || !metadata.MatchString(commit) {
		return BaseVersion + "+dev." + time.Now().UTC().Format("20060102150405")
	}
	v := BaseVersion + "+dev." + commit
	if status, err := git("status", "--porcelain", "--untracked-files=no"); err != nil || status != "" {
		v += ".dirty"
	}
	return v
}

// Platform is this machine's, as a mirror names it (linux_amd64).
func Platform() string { return runtime.GOOS + "_" + runtime.GOARCH }

// BinaryPath is where a mirror at dir holds version for platform.
func BinaryPath(dir, version, platform string) string {
	return filepath.Join(dir, filepath.FromSlash(Source), version, platform, "terraform-provider-securestream_v"+version)
}

// Build builds the provider of the module at root (as make build does: go
// build -trimpath, the version set through main.version) into the mirror at
// dir under version, for this machine, and removes the other versions of
// the provider from the mirror: a mirror that held two development builds
// would let Terraform pick either (their versions differ only by build
// metadata, which Terraform ignores when it compares them). It returns the
// binary's path.
func Build(ctx context.Context, root, dir, version string) (string, error) {
	if !strings.HasPrefix(version, BaseVersion+"+") || !metadata.MatchString(strings.TrimPrefix(version, BaseVersion+"+")) {
		return "", fmt.Errorf("version %q: want %s+<build metadata> (dot-separated [0-9A-Za-z-])", version, BaseVersion)
	}
	bin := BinaryPath(dir, version, Platform())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	args := []string{"build", "-trimpath", "-ldflags", "-s -w -X main.version=" + version}
	overlay, err := packagesOverlay(ctx, root, filepath.Join(root, "internal", "issuerpkg", "dist"))
	if err != nil {
		return "", err
	}
	if overlay != "" {
		defer os.RemoveAll(filepath.Dir(overlay))
		args = append(args, "-overlay", overlay)
	}
	tmp := filepath.Join(dir, ".build-"+version)
	cmd := exec.CommandContext(ctx, "go", append(args, "-o", tmp, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("building the provider (go build in %s): %w\n%s", root, err, out)
	}
	versions := filepath.Join(dir, filepath.FromSlash(Source))
	old, err := os.ReadDir(versions)
	if err != nil && !os.IsNotExist(err) {
		_ = os.Remove(tmp)
		return "", err
	}
	for _, e := range old {
		if e.Name() != version {
			if err := os.RemoveAll(filepath.Join(versions, e.Name())); err != nil {
				_ = os.Remove(tmp)
				return "", err
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, bin); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return bin, nil
}

// packagesOverlay makes sure the provider built at root embeds the
// issuer's Lambda packages, as make build does after make issuer: when
// dist (internal/issuerpkg/dist) lacks one (a fresh clone, where make test builds
// no package), it builds the missing ones (issuerpkg.Build, reproducible:
// the bytes make issuer writes) into a temporary directory and returns a go
// build -overlay file that places them in dist without writing into the
// checkout; "" when none is missing. The caller removes the overlay's
// directory.
func packagesOverlay(ctx context.Context, root, dist string) (string, error) {
	replace := map[string]string{}
	var tmp string
	for _, arch := range []string{"arm64", "x86_64"} {
		target := filepath.Join(dist, issuerpkg.FileName(arch))
		if _, err := os.Stat(target); err == nil {
			continue
		}
		if tmp == "" {
			var err error
			if tmp, err = os.MkdirTemp("", "securestream-mirror-"); err != nil {
				return "", err
			}
		}
		pkg, err := issuerpkg.Build(ctx, root, arch)
		if err == nil {
			err = os.WriteFile(filepath.Join(tmp, issuerpkg.FileName(arch)), pkg, 0o600)
		}
		if err != nil {
			_ = os.RemoveAll(tmp)
			return "", fmt.Errorf("building the issuer package for %s (make issuer does): %w", arch, err)
		}
		replace[target] = filepath.Join(tmp, issuerpkg.FileName(arch))
	}
	if len(replace) == 0 {
		return "", nil
	}
	b, err := json.Marshal(map[string]any{"Replace": replace})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, "overlay.json"), b, 0o600)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	return filepath.Join(tmp, "overlay.json"), nil
}

// CLIConfig is a Terraform CLI configuration (for TF_CLI_CONFIG_FILE) that
// installs this provider from the mirror at dir, hashicorp/aws from the
// mirror at awsMirror ("": from the Registry) and anything else from the
// Registry. Both paths should be absolute: Terraform resolves a relative
// one against the directory it runs in.
func CLIConfig(dir, awsMirror string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# The securestream provider from the development build in the mirror that
# make mirror wrote; hashicorp/aws from %s. After each make mirror, run
# terraform init -upgrade: each build has a version of its own.
provider_installation {
  filesystem_mirror {
    path    = %q
    include = [%q]
  }
`, map[bool]string{true: "its mirror", false: "the Registry"}[awsMirror != ""], dir, Source)
	exclude := fmt.Sprintf("%q", Source)
	if awsMirror != "" {
		fmt.Fprintf(&b, `  filesystem_mirror {
    path    = %q
    include = [%q]
  }
`, awsMirror, AWSSource)
		exclude += fmt.Sprintf(", %q", AWSSource)
	}
	fmt.Fprintf(&b, `  direct {
    exclude = [%s]
  }
}
`, exclude)
	return b.String()
}

// CopyConfig copies the *.tf files of the configuration at src (not its
// .terraform, lock file or state) into dst, creating dst, so that it runs
// there, with a CLI configuration of its own, leaving src as it was.
func CopyConfig(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("reading the configuration to copy: %w", err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil { //nolint:gosec // a name ReadDir gave, in dst
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s holds no .tf file", src)
	}
	return nil
}

// AWSMirrorVar overrides DefaultAWSMirror: a Terraform filesystem mirror
// directory holding registry.terraform.io/hashicorp/aws.
const AWSMirrorVar = "SECURESTREAM_AWS_PROVIDER_MIRROR"

// DefaultAWSMirror is where the project's machine images keep hashicorp/aws.
const DefaultAWSMirror = "/opt/tf-plugins"

// FindAWS returns the filesystem mirror that holds a hashicorp/aws 5.x
// build for this platform (AWSMirrorVar, else DefaultAWSMirror), or an
// error that says how to provide one.
func FindAWS() (string, error) {
	dir, from := os.Getenv(AWSMirrorVar), AWSMirrorVar
	if dir == "" {
		dir, from = DefaultAWSMirror, "the default"
	}
	platform := Platform()
	pattern := filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", "5.*", platform, "terraform-provider-aws_v5*")
	found, err := filepath.Glob(pattern)
	if err == nil && len(found) > 0 {
		return dir, nil
	}
	return "", errors.New(strings.Join([]string{
		fmt.Sprintf("no hashicorp/aws 5.x provider for %s in the Terraform filesystem mirror %s (%s): want %s.", platform, dir, from, pattern),
		"Provide one: on a machine with internet access run",
		"  terraform providers mirror -platform=" + platform + " <dir>",
		"in a directory whose configuration requires hashicorp/aws ~> 5.0, copy <dir> here, and set " + AWSMirrorVar + "=<dir>",
		"(or unpack terraform-provider-aws_5.x_" + platform + ".zip from releases.hashicorp.com into",
		"  <dir>/registry.terraform.io/hashicorp/aws/<version>/" + platform + "/).",
	}, "\n"))
}
