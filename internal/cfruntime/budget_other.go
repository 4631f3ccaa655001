//go:build !linux

package cfruntime

import "time"

// Elsewhere the budget is wall-clock time (threadCPU reports no value).
func gettid() int { return 0 }

func threadCPU(int) (time.Duration, bool) { return 0, false }
