output "issuer_url" {
  description = "Where players POST for a key: the HTTP API's $default stage on the local API."
  value       = "${trimsuffix(var.local_api_url, "/")}/${securestream_issuer.demo.api_id}/"
}

output "issuer_invoke_url" {
  description = "The HTTP API's URL as AWS would give it."
  value       = securestream_issuer.demo.invoke_url
}

output "edge_function_arn" {
  value = securestream_function.demo.arn
}

output "revocation_list_arn" {
  description = "The revocation list (a CloudFront KeyValueStore on the local CloudFront)."
  value       = securestream_revocation_list.demo.arn
}
