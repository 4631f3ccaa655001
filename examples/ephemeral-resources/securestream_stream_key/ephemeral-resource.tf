resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# A fresh key at every run, never stored in the plan or the state
# (Terraform 1.10+).
ephemeral "securestream_stream_key" "smoke" {
  key_ring         = securestream_secret.video.key_ring
  activation_delay = securestream_secret.video.activation_delay

  playback_url = "https://video.example.com/live/channel-1/index.m3u8"
  ip_binding   = "off" # the test runs wherever Terraform runs
  user_agent   = "smoke-test/1.0"
  ttl          = "5m"
}

# After every rotation, check that the edge accepts a fresh key.
resource "terraform_data" "smoke_test" {
  triggers_replace = [securestream_secret.video.newest_key_id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error --output /dev/null -A smoke-test/1.0 -H \"x-stream-token: $TOKEN\" https://video.example.com/live/channel-1/index.m3u8"
    environment = {
      TOKEN = ephemeral.securestream_stream_key.smoke.token
    }
  }
}
