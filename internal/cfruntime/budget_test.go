package cfruntime

import (
	"runtime"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// The compute budget counts CPU time: an invocation that waits for a core
// (here: sleeps, which uses none) longer than its budget is not
// interrupted, while one that computes past it is (TestOutcomes' runaway
// loop). This is what keeps the local edge from answering 503 on a
// loaded machine.
func TestBudgetCountsCPUTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the budget counts CPU time on Linux only; elsewhere it is wall-clock time (budget_other.go)")
	}
	vm := goja.New()
	defer runtime.UnlockOSThread()
	wd := startWatchdog(vm, 20*time.Millisecond)
	// Five budgets of wall-clock time without computing.
	time.Sleep(100 * time.Millisecond)
	_, err := vm.RunString("1 + 1")
	wd.stop()
	if err != nil {
		t.Fatalf("an invocation that used no CPU time was interrupted: %v", err)
	}
}

// threadCPU reads the calling thread's CPU time, which grows as it
// computes.
func TestThreadCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("per-thread CPU time is read on Linux only")
	}
	defer runtime.UnlockOSThread()
	tid, start, ok := threadCPUStart()
	if !ok {
		t.Fatal("cannot read this thread's CPU time from /proc/self/task/<tid>/stat")
	}
	// Compute until two clock ticks of CPU time have passed; the hang
	// guard (ten seconds of wall-clock time) only stops a broken reader.
	x, deadline := 0, time.Now().Add(10*time.Second)
	for {
		for i := range 1_000_000 {
			x += i
		}
		if used, _ := threadCPU(tid); used-start >= 2*clockTick {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ten seconds of computing added no CPU time to thread %d", tid)
		}
	}
	_ = x
}
