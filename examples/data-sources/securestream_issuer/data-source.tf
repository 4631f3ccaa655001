# In another workspace: the issuer another workspace applied, by its
# function name, for the player's configuration and IAM policies.
data "securestream_issuer" "video" {
  function_name = "video-issuer"
}

output "stream_key_url" {
  value = data.securestream_issuer.video.invoke_url
}

output "issuer_role_arn" {
  value = data.securestream_issuer.video.role_arn
}
