# A key ring for the issuer "video-issuer", in a new KMS key.
resource "securestream_secret" "video" {
  function_name = "video-issuer"

  # Rotate every 90 days (found due at the refresh before a plan), or when the
  # trigger changes. The edge function has a new key for 10 minutes before
  # the issuer signs with it, and a previous key stays until every stream
  # key it signed has expired: issuer keys live at most 24 hours here.
  rotation_days      = 90
  rotation_triggers  = { epoch = "2026-11" }
  activation_delay   = "10m"
  max_token_lifetime = "24h"

  # Only Terraform and the issuer's role may decrypt the ring, and only
  # under the encryption context of "video-issuer".
  decrypt_role_arns = ["arn:aws:iam::123456789012:role/video-issuer"]
}

# Migrating from the original (blog post) deployment: bring its secret as
# a write-only argument, never stored in the plan or the state, so keys its
# issuer minted keep working. Terraform 1.11 or later.
variable "original_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "securestream_secret" "migrated" {
  function_name     = "video-issuer-v2"
  kms_key_id        = "alias/video-keys" # a key you manage; it is not deleted with the secret
  secret_wo         = var.original_secret
  secret_wo_version = 1 # bump to apply a new value of secret_wo
}
