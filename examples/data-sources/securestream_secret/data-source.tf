# In another workspace: the key ring the issuer runs with. Key ids, times
# and the ring's KMS ciphertext (key_ring) are read into the state, never a
# key.
data "securestream_secret" "video" {
  function_name = "video-issuer"
}

output "ring_kms_key_arn" {
  value = data.securestream_secret.video.kms_key_arn
}

output "newest_key_id" {
  value = data.securestream_secret.video.newest_key_id
}

# The deployed ring, as the consumers take it.
data "securestream_function_code" "edge" {
  key_ring = data.securestream_secret.video.key_ring
}
