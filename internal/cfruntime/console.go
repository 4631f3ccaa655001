package cfruntime

import "github.com/dop251/goja"

// The console of both runtimes: console.log only, one argument, logs
// truncated as CloudFront truncates them.

// maxLogBytes is where CloudFront truncates a function's logs.
const maxLogBytes = 10 * 1024

func (e *env) installConsole() {
	console := e.vm.NewObject()
	_ = console.Set("log", e.consoleLog)
	_ = e.vm.GlobalObject().Set("console", console)
}

func (e *env) consoleLog(c goja.FunctionCall) goja.Value {
	if len(c.Arguments) > 1 {
		panic(e.vm.NewTypeError("console.log takes one argument in CloudFront Functions; concatenate strings instead of using commas"))
	}
	line := c.Argument(0).String()
	if e.logSize < maxLogBytes {
		if e.logSize+len(line) > maxLogBytes {
			line = line[:maxLogBytes-e.logSize]
		}
		e.logs = append(e.logs, line)
		e.logSize += len(line)
	}
	return goja.Undefined()
}
