# The configuration `make demo` applies (internal/local/cmd/demo), against
# the local stack: moto_server for KMS, IAM, Lambda and API Gateway, the
# local CloudFront for the function. The distribution in front of the
# video origin is made beforehand, as the AWS provider or the AWS SDK
# would make it; its id comes in as var.distribution_id.
#
# It deploys what protects the stream: the key ring, the issuer (a Lambda
# function behind an HTTP API, checking the player's JWT itself), the edge
# function attached to the distribution, and the revocation list (a
# CloudFront KeyValueStore) through which one session is cut off.

terraform {
  required_version = ">= 1.11" # write-only arguments (jwt_hs256_key_wo)
  required_providers {
    securestream = {
      source = "securestream/securestream"
    }
  }
}

provider "securestream" {
  region                      = var.region
  access_key                  = "test"
  secret_key                  = "test"
  endpoint                    = var.aws_endpoint
  skip_credentials_validation = true
  endpoints {
    cloudfront = var.cloudfront_endpoint
  }
}

# The key ring, in a new KMS key, encrypted for the issuer's function.
resource "securestream_secret" "demo" {
  function_name = var.function_name

  # All null unless set (the soak test sets them): no trigger, and the
  # provider's defaults.
  rotation_triggers  = var.rotation_triggers
  activation_delay   = var.activation_delay
  max_token_lifetime = var.max_token_lifetime
}

# The revocation list: the issuer's admin route writes a revoked session
# to it, and the edge function refuses that session's keys once the write
# has reached the edge.
resource "securestream_revocation_list" "demo" {
  name = "${var.function_name}-revoked"

  # CloudFront refuses to delete a store a function still uses: a new name
  # makes the new store and updates the function before the old one goes.
  lifecycle {
    create_before_destroy = true
  }
}

# The issuer: players POST {"playback_url": ...} with their identity
# provider's JWT (HS256 here, so that the demo can act as the identity
# provider) and get a stream key for the title's directory, bound to their
# address (/24), User-Agent and the playback host.
resource "securestream_issuer" "demo" {
  function_name = securestream_secret.demo.function_name
  key_ring      = securestream_secret.demo.key_ring
  architecture  = var.architecture        # the local API runs the function on this machine
  package_path  = var.issuer_package_path # null: the package built into the provider

  api_type                 = "http"
  jwt_hs256_key_wo         = var.jwt_hs256_key
  jwt_hs256_key_wo_version = 1

  settings = {
    auth         = "jwt"
    jwt_issuer   = var.jwt_issuer
    jwt_audience = var.jwt_audience
    # The local edge serves HTTP; CloudFront would be https.
    allowed_schemes       = ["http"]
    allowed_hosts         = [var.playback_host]
    allowed_path_prefixes = ["/videos"]
    cors_origins          = ["*"] # a player page on any origin may ask
    max_ttl               = securestream_secret.demo.max_token_lifetime
    activation_delay      = securestream_secret.demo.activation_delay
    # A key asked for without a lifetime lives the maximum when
    # var.max_token_lifetime is set (it may be below the issuer's default
    # of 1h); null: that default.
    default_ttl = var.max_token_lifetime

    # POST (revoke) and DELETE (lift) /revocations/{session_id}, for a JWT
    # of the same identity provider whose scope includes admin_scope; a
    # player's JWT is refused there. A key request that continues a
    # revoked session (its session_id) is refused too.
    revocation_kvs_arn = securestream_revocation_list.demo.arn
    admin_scope        = var.admin_scope
  }
}

# The edge function, rendered from the ring, published and run on every
# viewer request of the distribution.
resource "securestream_function" "demo" {
  name         = "${var.function_name}-edge"
  key_ring     = securestream_secret.demo.key_ring
  max_lifetime = securestream_secret.demo.max_token_lifetime

  # The precise reason of a 403 (ip, path, bad_mac...) in its
  # x-stream-key-error header, which the demo's table shows. Leave it off
  # in production: it tells a token thief which tokens are genuine.
  debug_reasons = true

  # Every key carries a session id: refuse a session the list holds.
  revocation_list = securestream_revocation_list.demo.arn

  association = [
    { distribution_id = var.distribution_id },
  ]
}
