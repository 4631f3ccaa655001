resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The edge function's code for an aws_cloudfront_function. The code holds
# the ring's keys: it is stored in this state and in that resource's.
data "securestream_function_code" "edge" {
  key_ring = securestream_secret.video.key_ring
}

output "edge_code_sha256" {
  value = data.securestream_function_code.edge.code_sha256
}
