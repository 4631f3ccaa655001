resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The issuer Lambda built into the provider, behind an HTTP API whose JWT
# authorizer checks the caller's token before the function runs.
resource "securestream_issuer" "video" {
  function_name = securestream_secret.video.function_name
  key_ring      = securestream_secret.video.key_ring

  jwt_authorizer = {
    issuer    = "https://login.example.com/"
    audiences = ["video-player"]
  }

  settings = {
    auth                  = "authorizer"
    allowed_hosts         = ["media.example.com"]
    allowed_path_prefixes = ["/vod", "/live"]
    cors_origins          = ["https://www.example.com"]
    max_ttl               = securestream_secret.video.max_token_lifetime
    activation_delay      = securestream_secret.video.activation_delay
  }

  throttle_rate_limit  = 20
  throttle_burst_limit = 40

  description = "Stream keys for the video player"
  tags = {
    team = "video" # merged over the provider's default_tags, into tags_all
  }
  # Where every role needs a boundary (changes in place), or a path of
  # its own (under /securestream/; changing it replaces the issuer):
  # permissions_boundary = "arn:aws:iam::123456789012:policy/workload-boundary"
  # role_path            = "/securestream/video/"
  #
  # API Gateway's access log, to a log group of yours:
  # access_log = {
  #   destination_arn = aws_cloudwatch_log_group.issuer_access.arn
  #   format          = jsonencode({ requestId = "$context.requestId", status = "$context.status" })
  # }
}

output "issuer_url" {
  value = securestream_issuer.video.invoke_url
}
