# The key ring: signing keys encrypted with a KMS key the resource creates,
# rotated every 90 days (at the first apply after they are due). Stream keys
# live at most 12 hours; a previous key leaves the ring once none it signed
# can still be valid.
resource "securestream_secret" "video" {
  function_name      = "${var.name}-issuer"
  alias              = "alias/${var.name}-stream-keys"
  rotation_days      = 90
  activation_delay   = "10m"
  max_token_lifetime = "12h"
}

# The issuer: the Lambda function built into the provider, behind an HTTP API
# whose JWT authorizer admits the player's signed-in users.
resource "securestream_issuer" "video" {
  function_name = securestream_secret.video.function_name
  key_ring      = securestream_secret.video.key_ring

  jwt_authorizer = {
    issuer    = var.jwt_issuer
    audiences = [var.jwt_audience]
  }

  settings = {
    auth                  = "authorizer"
    allowed_hosts         = [aws_cloudfront_distribution.media.domain_name]
    allowed_path_prefixes = var.allowed_path_prefixes
    cors_origins          = var.player_origins
    default_ttl           = "1h"
    max_ttl               = securestream_secret.video.max_token_lifetime
    activation_delay      = securestream_secret.video.activation_delay
  }

  throttle_rate_limit  = 20
  throttle_burst_limit = 40
}

# Alternative A (used here): the AWS provider deploys the edge function, and
# the distribution's function_association (origin.tf) attaches it. The code
# holds the ring's keys, and it is stored in this state twice (the data
# source and aws_cloudfront_function): keep the state encrypted and
# restricted.
data "securestream_function_code" "edge" {
  key_ring     = securestream_secret.video.key_ring
  max_lifetime = securestream_secret.video.max_token_lifetime

  # Keys travel in the x-stream-token header (web players) or the path
  # prefix /t/<key>/ (native Safari and iOS players).
  token_query  = ""
  token_cookie = ""

  # The function answers the browsers' CORS preflights itself (never
  # forwarding them): from these origins only.
  cors_origins = var.player_origins
}

resource "aws_cloudfront_function" "edge" {
  name    = "${var.name}-edge"
  runtime = data.securestream_function_code.edge.runtime
  code    = data.securestream_function_code.edge.code
  comment = "securestream edge function"
  publish = true
}

# Alternative B: securestream_function deploys the function, stores only its
# code's hash, and attaches it to the distribution itself. To use it, delete
# the data source and aws_cloudfront_function above, the function_association
# block in origin.tf (and uncomment the lifecycle block there), and uncomment:
#
# resource "securestream_function" "edge" {
#   name         = "${var.name}-edge"
#   key_ring     = securestream_secret.video.key_ring
#   max_lifetime = securestream_secret.video.max_token_lifetime
#   token_query  = ""
#   token_cookie = ""
#   cors_origins = var.player_origins
#
#   wait_for_deployment = true
#
#   association = [
#     { distribution_id = aws_cloudfront_distribution.media.id },
#   ]
# }
