# Adopt the key ring of an issuer deployed some other way: the KMS key, the
# function name the ring is encrypted for, and where the ciphertext is (here,
# the issuer's own SECURESTREAM_KEYRING). `terraform plan
# -generate-config-out=generated.tf` writes a configuration that plans no
# change.
import {
  to = securestream_secret.video
  id = "1234abcd-12ab-34cd-56ef-1234567890ab,video-issuer,lambda:video-issuer"
}
