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

// Parse reads a duration in the one grammar every duration of the
// provider and the issuer's settings take: Go's (time.ParseDuration), a
// number with a unit such as 90s, 15m, 1h30m or 24h. A bare number other
// than 0 is refused, saying which unit to add: "600" could be seconds or
// minutes, and reads as neither.
func Parse(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil && BareNumber(s) {
		return 0, fmt.Errorf("%q has no unit: write %ss for seconds, or use m or h", s, strings.TrimSpace(s))
	}
	return d, err
}

// BareNumber reports whether s is a number without a unit, such as "600".
func BareNumber(s string) bool {
	s = strings.TrimLeft(strings.TrimSpace(s), "+-")
	if s == "" {
		return false
	}
	digits := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' && i > 0:
		default:
			return false
		}
	}
	return digits
}
