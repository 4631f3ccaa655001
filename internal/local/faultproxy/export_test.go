package faultproxy

// WriteError lets the external tests' stand-in for moto answer errors as
// the proxy does.
var WriteError = writeError
