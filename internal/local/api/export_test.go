package api

// Post and StartCounting are post and startCounting, for the external
// tests.
var (
	Post          = post
	StartCounting = startCounting
)
