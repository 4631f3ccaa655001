resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The issuer Lambda built into the provider, behind an HTTP API whose JWT
# authorizer checks the caller's token before the function runs.
resource "securestream_issuer" "video" {
  function_name     = securestream_secret.video.function_name
  secret_ciphertext = securestream_secret.video.ciphertext
  kms_key_arn       = securestream_secret.video.kms_key_arn

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
}

output "issuer_url" {
  value = securestream_issuer.video.invoke_url
}
