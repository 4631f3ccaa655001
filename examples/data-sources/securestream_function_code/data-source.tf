resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The edge function's code for an aws_cloudfront_function. The code holds
# the ring's keys: it is stored in this state and in that resource's.
data "securestream_function_code" "edge" {
  ciphertext    = securestream_secret.video.ciphertext
  kms_key_id    = securestream_secret.video.id
  function_name = securestream_secret.video.function_name
}

output "edge_code_sha256" {
  value = data.securestream_function_code.edge.code_sha256
}
