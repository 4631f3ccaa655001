output "bucket" {
  description = "The media bucket: upload streams under one of allowed_path_prefixes."
  value       = aws_s3_bucket.media.bucket
}

output "media_domain" {
  description = "The distribution's domain: the host of every playback URL."
  value       = aws_cloudfront_distribution.media.domain_name
}

output "issuer_url" {
  description = "Where players ask for stream keys (POST {\"playback_url\": \"...\"} with the user's JWT)."
  value       = securestream_issuer.video.invoke_url
}

output "signing_key_ids" {
  description = "The ring's keys, oldest first (no secret)."
  value       = securestream_secret.video.keys[*].kid
}
