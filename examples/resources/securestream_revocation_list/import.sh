# Import by the KeyValueStore's name (aws cloudfront list-key-value-stores);
# its comment, id, ARN and status are read back. Its contents (the revoked
# sessions) are the issuer's: Terraform never reads or changes them.
terraform import securestream_revocation_list.revoked video-revoked
