# The revocation list: a CloudFront KeyValueStore that the issuer writes
# revoked sessions to and the edge function reads.
resource "securestream_revocation_list" "revoked" {
  name    = "video-revoked"
  comment = "revoked video sessions"

  # CloudFront refuses to delete a store a function still uses, and
  # Terraform deletes before it updates what referred to it: with this, a
  # new name, or removing the list with the function's revocation_list in
  # one apply, updates the function first and deletes the old store last.
  lifecycle {
    create_before_destroy = true
  }
}

resource "securestream_secret" "video" {
  function_name = "video-issuer"
}

# The edge function checks every key with a session id against the list,
# after every other check has passed. A list it cannot read lets the
# request through (and logs it) unless revocation_fail_closed = true.
resource "securestream_function" "edge" {
  name            = "video-edge"
  key_ring        = securestream_secret.video.key_ring
  revocation_list = securestream_revocation_list.revoked.arn
}
