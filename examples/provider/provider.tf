terraform {
  required_providers {
    securestream = {
      source = "securestream/securestream"
    }
  }
}

# AWS settings are read as the AWS SDK reads them (AWS_REGION, AWS_PROFILE,
# ~/.aws/config, instance roles); arguments here override them.
provider "securestream" {
  region = "eu-west-1"

  # Optional: act through a role.
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/video-deployer"
    session_name = "terraform-securestream"
  }

  # Optional: tags for every AWS object the provider creates.
  default_tags {
    tags = {
      team = "video"
    }
  }
}

# Against LocalStack (or moto), one endpoint serves every service.
provider "securestream" {
  alias      = "local"
  region     = "us-east-1"
  endpoint   = "http://localhost:4566"
  access_key = "test"
  secret_key = "test"
}
