# In another workspace: the key ring the issuer runs with. Only key ids
# and times are read into the state, never a key.
data "securestream_secret" "video" {
  function_name = "video-issuer"
}

output "ring_kms_key_arn" {
  value = data.securestream_secret.video.kms_key_arn
}

output "newest_key_id" {
  value = data.securestream_secret.video.newest_key_id
}
