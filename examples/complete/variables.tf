variable "name" {
  description = "Prefix of every name: the bucket, the issuer (\"<name>-issuer\"), the edge function (\"<name>-edge\")."
  type        = string
  default     = "video"
}

variable "region" {
  description = "Region of the bucket, the key ring and the issuer."
  type        = string
  default     = "eu-west-1"
}

variable "player_origins" {
  description = "Origins of the web pages that play the streams, for CORS, such as https://www.example.com."
  type        = list(string)
}

variable "jwt_issuer" {
  description = "Issuer URL (iss) of the identity provider whose JWTs the issuer's API accepts."
  type        = string
}

variable "jwt_audience" {
  description = "Audience (aud) those JWTs must carry: the player's client id."
  type        = string
}

variable "allowed_path_prefixes" {
  description = "Path prefixes the issuer signs keys for (a prefix covers a directory)."
  type        = list(string)
  default     = ["/vod"]
}
