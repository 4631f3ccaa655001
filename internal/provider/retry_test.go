package provider

import (
	"context"
	"errors"
	"testing"
)

var errAgain = errors.New("again")

func again(err error) bool { return errors.Is(err, errAgain) }

// retry stops at success, at an error it may not retry, after its calls,
// and when ctx ends; poll stops when done, on an error and when ctx ends.
func TestBackoff(t *testing.T) {
	ctx := context.Background()
	var b backoff // no pause
	count := func(fail int, last error) (func() error, *int) {
		n := 0
		return func() error {
			if n++; n <= fail {
				return errAgain
			}
			return last
		}, &n
	}
	f, n := count(2, nil)
	if err := b.retry(ctx, again, f); err != nil || *n != 3 {
		t.Errorf("retry: %v after %d calls; want success after 3", err, *n)
	}
	other := errors.New("other")
	f, n = count(1, other)
	if err := b.retry(ctx, again, f); !errors.Is(err, other) || *n != 2 {
		t.Errorf("retry: %v after %d calls; want other after 2", err, *n)
	}
	b.calls = 4
	f, n = count(10, nil)
	if err := b.retry(ctx, again, f); !errors.Is(err, errAgain) || *n != 4 {
		t.Errorf("retry with 4 calls: %v after %d calls", err, *n)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	slow := backoff{first: 1 << 40, max: 1 << 40} // ctx ends first
	f, n = count(10, nil)
	if err := slow.retry(done, again, f); !errors.Is(err, errAgain) || *n != 1 {
		t.Errorf("retry past ctx: %v after %d calls; want the last error after 1", err, *n)
	}

	polls := 0
	if err := b.poll(ctx, func() (bool, error) { polls++; return polls == 3, nil }); err != nil || polls != 3 {
		t.Errorf("poll: %v after %d polls; want done after 3", err, polls)
	}
	if err := b.poll(ctx, func() (bool, error) { return false, other }); !errors.Is(err, other) {
		t.Errorf("poll: %v; want other", err)
	}
	if err := slow.poll(done, func() (bool, error) { return false, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("poll past ctx: %v; want context.Canceled", err)
	}
}
