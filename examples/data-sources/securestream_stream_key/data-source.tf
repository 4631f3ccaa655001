resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# A key for a test player at 203.0.113.10, exactly as the issuer would mint
# it. The key is stored in the state: keep it short-lived, or use the
# ephemeral resource of the same name.
data "securestream_stream_key" "test" {
  ciphertext       = securestream_secret.video.ciphertext
  kms_key_id       = securestream_secret.video.id
  function_name    = securestream_secret.video.function_name
  activation_delay = securestream_secret.video.activation_delay

  playback_url = "https://video.example.com/live/channel-1/index.m3u8"
  client_ip    = "203.0.113.10"
  user_agent   = "smoke-test/1.0"
  ttl_seconds  = 900
}

output "smoke_test" {
  description = "Fetch the manifest with the key: sh -c \"$(terraform output -raw smoke_test)\""
  value       = data.securestream_stream_key.test.curl
  sensitive   = true
}
