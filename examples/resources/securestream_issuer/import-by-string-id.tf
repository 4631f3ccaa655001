import {
  to = securestream_issuer.video
  id = "video-issuer"
}
