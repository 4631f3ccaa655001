package cfruntime

import (
	"runtime"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// The compute budget counts the CPU time the invocation uses, as
// CloudFront's compute limit does, not the time that passes: on a loaded
// machine (a laptop building, CI running tests in parallel) an invocation
// that needs a millisecond can wait hundreds of milliseconds for a core,
// and a wall-clock budget would answer 503 to a request CloudFront serves.
// The invocation runs on its own OS thread (runtime.LockOSThread), whose
// CPU time the watchdog reads (threadCPU, Linux); where that is not
// available the budget is wall-clock, as before.

// wallCap bounds an invocation's wall-clock time in multiples of its
// budget, whatever its CPU time: a function that cannot be descheduled
// that long on any machine this runs on is stuck.
const wallCap = 40

// watchdog interrupts vm once the thread tid has used budget of CPU time
// since the start (or after wallCap budgets of wall-clock time). stop
// must be called when the invocation ends.
type watchdog struct {
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func startWatchdog(vm *goja.Runtime, budget time.Duration) *watchdog {
	w := &watchdog{}
	start := time.Now()
	tid, cpu0, ok := threadCPUStart()
	interrupt := func() { vm.Interrupt("the function exceeded its compute budget") }
	var check func()
	check = func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.stopped {
			return
		}
		if ok && time.Since(start) < wallCap*budget {
			if used, ok := threadCPU(tid); ok && used-cpu0 < budget {
				// Descheduled, not computing: look again when the rest of
				// the budget could have been used.
				w.timer = time.AfterFunc(max(budget-(used-cpu0), budget/10), check)
				return
			}
		}
		interrupt()
	}
	w.timer = time.AfterFunc(budget, check)
	return w
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
}

// threadCPUStart pins the calling goroutine to its OS thread (released by
// the caller's runtime.UnlockOSThread) and returns the thread's id and
// CPU time, with ok false where per-thread CPU time cannot be read.
func threadCPUStart() (tid int, cpu time.Duration, ok bool) {
	runtime.LockOSThread()
	tid = gettid()
	if tid <= 0 {
		return 0, 0, false
	}
	cpu, ok = threadCPU(tid)
	return tid, cpu, ok
}
