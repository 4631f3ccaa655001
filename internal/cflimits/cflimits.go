// Package cflimits holds the limits CloudFront puts on CloudFront
// Functions, for the code that renders functions (the provider, which
// must not depend on a JavaScript engine) and the code that runs them
// locally. It imports nothing.
package cflimits

// FunctionCodeSize is the most a function's code may take, in bytes:
// CloudFront refuses larger code with FunctionSizeLimitExceeded.
const FunctionCodeSize = 10240
