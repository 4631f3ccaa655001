package provider

import (
	"context"
	"time"
)

// backoff is the pacing of a retry or a poll: a pause of first after the
// first call, doubling up to max. Resources hold theirs, so that a test
// sets its own schedule on the instance it builds; the zero backoff does
// not pause.
type backoff struct {
	first, max time.Duration
	// calls bounds the calls of retry; 0 retries until ctx ends.
	calls int
}

// The schedules of the resources.
var (
	// A read-modify-write of a distribution or function that lost a race
	// to another change (412) is tried again soon, 6 times in all.
	preconditionRetry = backoff{first: 100 * time.Millisecond, max: 500 * time.Millisecond, calls: 6}
	// A distribution often deploys a change in seconds, but may take
	// minutes: poll soon at first, then every 5 seconds.
	distributionDeployWait = backoff{first: time.Second, max: 5 * time.Second}
	// Lambda's answers that pass: a conflict with an update usually
	// passes in a second, a new role in ten.
	lambdaPassRetry = backoff{first: 200 * time.Millisecond, max: 2 * time.Second}
	// A function being created or updated is polled every 2 seconds.
	lambdaFunctionPoll = backoff{first: 2 * time.Second, max: 2 * time.Second}
)

// retry calls f until it succeeds, fails with an error again refuses, b's
// calls are used up or ctx ends, and returns f's last error. Callers tell
// the last two apart by ctx.Err().
func (b backoff) retry(ctx context.Context, again func(error) bool, f func() error) error {
	wait := min(b.first, b.max)
	for n := 1; ; n++ {
		err := f()
		if err == nil || !again(err) || n == b.calls || !pause(ctx, wait) {
			return err
		}
		wait = min(2*wait, b.max)
	}
}

// poll calls f until it reports done or fails, or ctx ends (ctx.Err()).
func (b backoff) poll(ctx context.Context, f func() (done bool, err error)) error {
	wait := min(b.first, b.max)
	for {
		done, err := f()
		if err != nil || done {
			return err
		}
		if !pause(ctx, wait) {
			return ctx.Err()
		}
		wait = min(2*wait, b.max)
	}
}

// pause waits d, and reports false when ctx ends first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
