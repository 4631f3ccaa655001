resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The edge function, rendered from the secret's key ring, published and
# run on the viewer requests of a distribution managed elsewhere.
resource "securestream_function" "edge" {
  name     = "video-edge"
  key_ring = securestream_secret.video.key_ring

  # Tokens come in the path prefix (native HLS players keep it on relative
  # URLs) or the header; the query and cookie channels are off.
  token_query  = ""
  token_cookie = ""

  exempt_paths = ["/favicon.ico", "/posters/*"]
  max_lifetime = securestream_secret.video.max_token_lifetime

  association = [
    { distribution_id = "E2QWRUHAPOMQZL" },
    { distribution_id = "E2QWRUHAPOMQZL", path_pattern = "/live/*" },
  ]

  timeouts = {
    update = "10m"
  }
}
