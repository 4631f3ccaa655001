resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# A key for a test player at 203.0.113.10, exactly as the issuer would mint
# it. Its times are fixed, from the ring's last rotation, and it has no
# random session id: the key stays the same at every plan until the ring
# rotates, so plans show no change. It works for an hour after the rotation
# (later plans warn that it has expired).
#
# The key is stored in the state. For a fresh key at every run, never
# stored, use the ephemeral resource securestream_stream_key instead.
data "securestream_stream_key" "test" {
  key_ring         = securestream_secret.video.key_ring
  activation_delay = securestream_secret.video.activation_delay

  playback_url = "https://video.example.com/live/channel-1/index.m3u8"
  client_ip    = "203.0.113.10"
  user_agent   = "smoke-test/1.0"
  not_before   = securestream_secret.video.rotated_at
  expires_at   = timeadd(securestream_secret.video.rotated_at, "1h")
}

# The same key as a Common Access Token (CTA-5007), for an edge function
# with token_format = "cat". A CAT binds no User-Agent and has no
# path-prefix form: its url carries it in the CAT query parameter, and its
# headers and cookie name cta-common-access-token.
data "securestream_stream_key" "test_cat" {
  key_ring         = securestream_secret.video.key_ring
  activation_delay = securestream_secret.video.activation_delay
  format           = "cat"

  playback_url = "https://video.example.com/live/channel-1/index.m3u8"
  client_ip    = "203.0.113.10"
  not_before   = securestream_secret.video.rotated_at
  expires_at   = timeadd(securestream_secret.video.rotated_at, "1h")
}

output "smoke_test" {
  description = "Fetch the manifest with the key: sh -c \"$(terraform output -raw smoke_test)\""
  value       = data.securestream_stream_key.test.curl
  sensitive   = true
}
