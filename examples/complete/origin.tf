# The media: a private S3 bucket that only this distribution reads, through
# an origin access control.
resource "aws_s3_bucket" "media" {
  bucket_prefix = "${var.name}-media-"
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# S3 adds CORS headers to the GET responses of requests from these origins
# (CloudFront forwards Origin with the Managed-CORS-S3Origin policy below).
# The CORS preflight a browser sends before a request with the token header
# never gets here: the edge function answers it itself.
resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = var.player_origins
    allowed_headers = ["x-stream-token"]
    max_age_seconds = 600
  }
}

resource "aws_cloudfront_origin_access_control" "media" {
  name                              = "${var.name}-media"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

data "aws_iam_policy_document" "media" {
  statement {
    sid       = "ReadThroughCloudFront"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.media.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = data.aws_iam_policy_document.media.json

  depends_on = [aws_s3_bucket_public_access_block.media]
}

# The cache key holds no query string, header or cookie: the edge function
# has taken the token out of the request before CloudFront computes it, so
# every viewer shares one cached copy of each segment.
data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "cors_s3" {
  name = "Managed-CORS-S3Origin"
}

# CORS headers on every response, cached or not (a copy cached from a request
# without Origin would otherwise lack them); x-stream-key-error tells a
# player whether its key expired.
resource "aws_cloudfront_response_headers_policy" "cors" {
  name = "${var.name}-cors"

  cors_config {
    access_control_allow_credentials = false
    access_control_max_age_sec       = 600
    origin_override                  = true

    access_control_allow_headers {
      items = ["x-stream-token"]
    }
    access_control_allow_methods {
      items = ["GET", "HEAD", "OPTIONS"]
    }
    access_control_allow_origins {
      items = var.player_origins
    }
    access_control_expose_headers {
      items = ["x-stream-key-error"]
    }
  }
}

resource "aws_cloudfront_distribution" "media" {
  enabled     = true
  comment     = "${var.name}: stream keys checked by securestream"
  price_class = "PriceClass_100"

  # Address-bound keys need the issuer and the edge to see the same address
  # family: the issuer's HTTP API answers over IPv4, so the distribution does
  # too.
  is_ipv6_enabled = false

  origin {
    origin_id                = "media"
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media.id
  }

  # OPTIONS is allowed only for the browsers' CORS preflights (before a
  # request with the x-stream-token header): CloudFront refuses a method the
  # behavior does not allow before any function runs, and the edge function
  # answers preflights itself. Without browser players, allow GET and HEAD
  # only.
  default_cache_behavior {
    target_origin_id           = "media"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.cors_s3.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.cors.id

    # The edge function checks the key of every request, cache hit or not.
    # (Alternative B in securestream.tf: remove this block, and let
    # securestream_function attach the function.)
    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.edge.arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  # Alternative B: securestream_function adds the association itself; keep
  # the AWS provider from removing it.
  # lifecycle {
  #   ignore_changes = [default_cache_behavior[0].function_association]
  # }
}
