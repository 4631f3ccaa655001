package api

// Post and StartCounting are post and startCounting, for the external
// tests.
var (
	Post          = post
	StartCounting = startCounting
)

// FakeRIE and StubPackage are fakeRIE and stubPackage, for the external
// tests that run the stand-in emulator over moto.
var (
	FakeRIE     = fakeRIE
	StubPackage = stubPackage
)
