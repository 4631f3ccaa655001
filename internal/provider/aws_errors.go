package provider

import "errors"

// isA reports whether err is, or wraps, an error of type T: an AWS API
// error such as *kmstypes.NotFoundException. Each service names "not
// found" its own way, so a caller names the type it means.
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
