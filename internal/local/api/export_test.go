package api

// Post is post, for the external tests.
var Post = post
