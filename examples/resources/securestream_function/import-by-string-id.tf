# Adopt an edge function deployed some other way, with its key ring read from
# the issuer's SECURESTREAM_KEYRING and SECURESTREAM_KMS_KEY_ID: every required
# argument is filled, so `terraform plan -generate-config-out=generated.tf`
# writes a configuration that plans no change. The associations are read from
# the distributions that run the function on viewer requests.
import {
  to = securestream_function.edge
  id = "video-edge,lambda:video-issuer"
}
