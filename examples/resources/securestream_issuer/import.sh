# Import by the function's name: the role, log group, grant and HTTP API (by
# its securestream:issuer tag) or function URL are found from it, and the
# settings are read back from the function's environment.
# Every argument is read back (tags, permissions_boundary, role_path,
# description, tracing, access_log, the settings, the key ring and its key),
# but package_path and the versions of the write-only secrets, which are not in
# AWS: the function keeps its sealed secrets until a version is set. With an
# import block, `terraform plan -generate-config-out=issuer.tf` writes a
# configuration that plans no change; replace its literal key_ring with
# securestream_secret.<name>.key_ring.
terraform import securestream_issuer.video video-issuer
