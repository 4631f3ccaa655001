terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    securestream = {
      source = "securestream/securestream"
    }
  }
}

provider "aws" {
  region = var.region
}

# The key ring, its KMS key and the issuer live in this region; CloudFront
# and its functions are global.
provider "securestream" {
  region = var.region
}
