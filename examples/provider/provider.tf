terraform {
  required_providers {
    securestream = {
      source = "securestream/securestream"
    }
  }
}

# The provider has no arguments yet: its AWS settings (region, profile,
# assume_role, endpoints) arrive with the securestream_secret resource.
provider "securestream" {}
