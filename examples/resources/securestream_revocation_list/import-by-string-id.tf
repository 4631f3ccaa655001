# Adopt a KeyValueStore made some other way (such as an
# aws_cloudfront_key_value_store removed from its state) by its name: every
# argument is read back, so `terraform plan -generate-config-out=generated.tf`
# writes a configuration that plans no change.
import {
  to = securestream_revocation_list.revoked
  id = "video-revoked"
}
