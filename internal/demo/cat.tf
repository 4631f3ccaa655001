# The same protection in the Common Access Token format (CTA-5007), for
# players and CDNs that speak CAT: an issuer that mints CATs and an edge
# function that checks them, on a second distribution in front of the
# same origin (var.cat_distribution_id). The format is chosen per
# deployment, so the CAT deployment has its own key ring, issuer and
# function; it shares the revocation list, since a CAT's cti is its
# session id (revoking the session refuses its CATs).
#
# make demo adds this file to examples/local when applying it.

variable "cat_distribution_id" {
  description = "The distribution whose edge function checks Common Access Tokens (CTA-5007)."
  type        = string
}

resource "securestream_secret" "cat" {
  function_name = "${var.function_name}-cat"
}

resource "securestream_issuer" "cat" {
  function_name = securestream_secret.cat.function_name
  key_ring      = securestream_secret.cat.key_ring
  architecture  = var.architecture
  package_path  = var.issuer_package_path

  api_type                 = "http"
  jwt_hs256_key_wo         = var.jwt_hs256_key
  jwt_hs256_key_wo_version = 1

  settings = {
    token_format = "cat"
    # A CAT has no User-Agent claim: the issuer refuses to start while it
    # is asked to bind one.
    bind_user_agent = false

    auth                  = "jwt"
    jwt_issuer            = var.jwt_issuer
    jwt_audience          = var.jwt_audience
    allowed_schemes       = ["http"]
    allowed_hosts         = [var.playback_host]
    allowed_path_prefixes = ["/videos"]
    cors_origins          = ["*"]
    activation_delay      = securestream_secret.cat.activation_delay

    revocation_kvs_arn = securestream_revocation_list.demo.arn
    admin_scope        = var.admin_scope
  }
}

resource "securestream_function" "cat" {
  name         = "${var.function_name}-cat-edge"
  key_ring     = securestream_secret.cat.key_ring
  token_format = "cat" # the CTA-Common-Access-Token header, CAT query parameter or cookie

  debug_reasons   = true
  revocation_list = securestream_revocation_list.demo.arn

  association = [
    { distribution_id = var.cat_distribution_id },
  ]
}

output "cat_issuer_url" {
  description = "Where players POST for a Common Access Token: the CAT issuer's HTTP API on the local API."
  value       = "${trimsuffix(var.local_api_url, "/")}/${securestream_issuer.cat.api_id}/"
}
