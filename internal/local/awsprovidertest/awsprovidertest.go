// Package awsprovidertest drives the local stack with the real
// hashicorp/aws provider, as users do: Terraform with hashicorp/aws from
// a filesystem mirror (no download), its endpoints pointed at moto_server
// and the local CloudFront. Its tests run in the cross and acceptance
// tiers (SECURESTREAM_CROSS=1 TF_ACC=1, as make test sets them).
package awsprovidertest

import (
	"fmt"

	"github.com/securestream/terraform-provider-securestream/internal/local/mirror"
)

// MirrorVar overrides DefaultMirror: a Terraform filesystem mirror
// directory holding registry.terraform.io/hashicorp/aws.
const MirrorVar = mirror.AWSMirrorVar

// DefaultMirror is where the project's machine images keep hashicorp/aws.
const DefaultMirror = mirror.DefaultAWSMirror

// FindMirror returns the filesystem mirror that holds a hashicorp/aws 5.x
// build for this platform (MirrorVar, else DefaultMirror), or an error
// that says how to provide one (mirror.FindAWS).
func FindMirror() (string, error) { return mirror.FindAWS() }

// CLIConfig is a Terraform CLI configuration that installs hashicorp/aws
// from mirror only: no direct installation, since there may be no
// internet.
func CLIConfig(dir string) string {
	return fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, dir)
}
