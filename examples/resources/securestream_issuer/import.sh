# Import by the function's name: the role, log group, grant and HTTP API (by
# its securestream:issuer tag) or function URL are found from it, and the
# settings are read back from the function's environment.
terraform import securestream_issuer.video video-issuer
