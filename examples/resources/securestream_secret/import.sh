# Import with the KMS key and the function name the ring is encrypted for,
# and the ring's ciphertext:
terraform import securestream_secret.video "1234abcd-12ab-34cd-56ef-1234567890ab,video-issuer,AQICAHh...base64..."

# or read the ciphertext from the deployed issuer's SECURESTREAM_KEYRING:
terraform import securestream_secret.video "1234abcd-12ab-34cd-56ef-1234567890ab,video-issuer,lambda:video-issuer"

# A KMS key this resource created (it carries the tag securestream:function =
# the function name) is managed again: manages_kms_key = true, and its alias,
# tags, yearly rotation and decrypt_role_arns are read back. Any other key is
# yours: it is never deleted with the secret, and the configuration names it
# in kms_key_id. deletion_window_in_days, rotation_days, rotation_triggers,
# activation_delay and max_token_lifetime are not in AWS: they come from the
# configuration (the lifetimes take their defaults until it sets them).
