package issuer

// ReadEvent is readEvent, for the tests of the bootstrap under
// aws-lambda-rie (package issuer_test).
var ReadEvent = readEvent
