resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The edge function, rendered from the secret's key ring, published and
# run on the viewer requests of a distribution managed elsewhere.
resource "securestream_function" "edge" {
  name          = "video-edge"
  ciphertext    = securestream_secret.video.ciphertext
  kms_key_id    = securestream_secret.video.id
  function_name = securestream_secret.video.function_name

  # Tokens come in the path prefix (native HLS players keep it on relative
  # URLs) or the header; the query and cookie channels are off.
  token_query  = ""
  token_cookie = ""

  exempt_paths = ["/favicon.ico", "/posters/*"]
  max_lifetime = securestream_secret.video.max_token_lifetime

  association {
    distribution_id = "E2QWRUHAPOMQZL"
  }
  association {
    distribution_id = "E2QWRUHAPOMQZL"
    path_pattern    = "/live/*"
  }
}
