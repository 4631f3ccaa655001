package cfruntime

import "testing"

// BenchmarkInvocation measures what the runtime adds to every request: a
// fresh global state, the event built into it, the handler called, and the
// result serialised and checked. The handler does nothing, so this is the
// per-invocation overhead of reusing a compiled function; compiling each
// time is the baseline that reuse avoids.
func BenchmarkInvocation(b *testing.B) {
	code := []byte("import crypto from 'crypto';\nfunction handler(event) { return event.request; }")
	ev := testEvent()
	b.Run("baseline_compile_each_time", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := Compile("f", code, JS20)
			if err != nil {
				b.Fatal(err)
			}
			f.Run(ev, Options{})
		}
	})
	f, err := Compile("f", code, JS20)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("compiled_once", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := f.Run(ev, Options{}); r.Outcome != Continue {
				b.Fatal(r.Error)
			}
		}
	})
}
