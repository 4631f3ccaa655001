// Package durationtext writes durations as the documentation, the
// diagnostics and Terraform configurations show them: "10m", "1h30m",
// "24 hours". The provider and the issuer's settings table both use it, so
// that a default documented in one reads as in the other.
package durationtext

import (
	"fmt"
	"strings"
	"time"
)

// Short writes d as a user would, without time.Duration's trailing zero
// units: "0s", "90s" is "1m30s", "10m", "1h30m", "168h". Go's
// time.ParseDuration (and so Terraform's duration strings) reads it back.
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Hours writes a whole number of hours in words: "1 hour", "24 hours".
func Hours(d time.Duration) string {
	if h := d / time.Hour; h != 1 {
		return fmt.Sprintf("%d hours", h)
	}
	return "1 hour"
}
