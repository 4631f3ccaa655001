variable "aws_endpoint" {
  description = "moto_server's URL (or LocalStack's): KMS, IAM, Lambda, API Gateway, CloudWatch Logs."
  type        = string
}

variable "cloudfront_endpoint" {
  description = "The local CloudFront's control plane (make local prints it)."
  type        = string
}

variable "local_api_url" {
  description = "The local API, which runs the issuer behind its HTTP API (make local prints it)."
  type        = string
}

variable "distribution_id" {
  description = "The distribution in front of the video origin, which the edge function is attached to."
  type        = string
}

variable "playback_host" {
  description = "The host players fetch the stream from, which keys are bound to (no port: the edge's port is not part of it)."
  type        = string
  default     = "127.0.0.1"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "function_name" {
  description = "The issuer's Lambda function; the edge function is named after it."
  type        = string
  default     = "securestream-demo"
}

variable "architecture" {
  description = "The issuer's architecture: this machine's (x86_64 or arm64), since the local API runs it here."
  type        = string
  default     = "x86_64"
}

variable "issuer_package_path" {
  description = "An issuer package to deploy instead of the one built into the provider (a provider built without `make issuer` has none)."
  type        = string
  default     = null
}

variable "jwt_hs256_key" {
  description = "The key the players' identity provider signs their JWTs with (HS256, at least 32 bytes)."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "jwt_issuer" {
  description = "The iss of the players' JWTs."
  type        = string
  default     = "securestream-demo"
}

variable "jwt_audience" {
  description = "The aud of the players' JWTs."
  type        = string
  default     = "securestream-demo-player"
}

variable "admin_scope" {
  description = "The scope a JWT needs to use the issuer's admin routes (revoking a session)."
  type        = string
  default     = "securestream:revoke"
}

variable "rotation_triggers" {
  description = "Values whose change rotates the key ring (securestream_secret's rotation_triggers); null: no trigger. The soak test (internal/soak) rotates through it."
  type        = map(string)
  default     = null
}

variable "activation_delay" {
  description = "How old a new key must be before the issuer signs with it (securestream_secret's activation_delay); null: the provider's default (10m)."
  type        = string
  default     = null
}

variable "max_token_lifetime" {
  description = "The longest lifetime of a stream key (securestream_secret's max_token_lifetime); null: the provider's default (24h)."
  type        = string
  default     = null
}
