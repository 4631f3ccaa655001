# Import by the function's name and the issuer function whose
# SECURESTREAM_KEYRING and SECURESTREAM_KMS_KEY_ID hold the key ring (and
# whose SECURESTREAM_TOKEN_FORMAT=cat sets token_format = "cat"); the
# associations are read from the distributions that run the function:
terraform import securestream_function.edge "video-edge,lambda:video-issuer"

# or name the ring itself: <name>,<kms_key_id>,<function_name>,<ciphertext>,
# the three values of securestream_secret's key_ring (the KMS key, as its ARN
# there, the issuer's function name the ring is encrypted for, and the
# ciphertext):
terraform import securestream_function.edge "video-edge,arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab,video-issuer,AQICAHh...base64..."

# or by the function's name alone (as before): key_ring then comes from the
# configuration, which must be written by hand (a generated one lacks it).
terraform import securestream_function.edge video-edge

# The settings that render the code (token channels, exempt_paths, ...) are
# not read back: the first plan shows a change only if the deployed code
# differs from what the configuration renders.
