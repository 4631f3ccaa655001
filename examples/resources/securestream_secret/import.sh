# Import with the KMS key and the function name the ring is encrypted for,
# and the ring's ciphertext:
terraform import securestream_secret.video "1234abcd-12ab-34cd-56ef-1234567890ab,video-issuer,AQICAHh...base64..."

# or read the ciphertext from the deployed issuer's SECURESTREAM_KEYRING:
terraform import securestream_secret.video "1234abcd-12ab-34cd-56ef-1234567890ab,video-issuer,lambda:video-issuer"

# An imported secret never deletes its KMS key.
