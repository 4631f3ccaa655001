// Package pause waits a while unless a context ends first: the issuer's
// backoff, the soak test's pacing and the latency the fault engine adds
// to a call.
package pause

import (
	"context"
	"time"
)

// For waits d or until ctx ends; false when ctx ended.
func For(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
