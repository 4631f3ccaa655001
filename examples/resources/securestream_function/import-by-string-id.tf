import {
  to = securestream_function.edge
  id = "video-edge"
}
