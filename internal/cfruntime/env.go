package cfruntime

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// env is one invocation's global state.
type env struct {
	vm      *goja.Runtime
	rt      Runtime
	logs    []string
	logSize int
	kvs     *KVS
	modules map[string]goja.Value
	buffer  *goja.Object // the Buffer class, once loaded
	origin  []map[string]any
	// features is the table of that name, which module reads through e:
	// the table, whose require calls module, cannot refer to itself.
	features []feature
}

// newEnv sets up an invocation's global state for f: the built-ins
// CloudFront lacks removed, and the globals f needs installed.
func newEnv(f *Function, now time.Time, kvs *KVS) *env {
	rt := f.runtime
	e := &env{vm: goja.New(), rt: rt, kvs: kvs, modules: map[string]goja.Value{}, features: features}
	vm := e.vm
	vm.SetTimeSource(func() time.Time { return now }) // Date is frozen at the start
	global := vm.GlobalObject()
	for _, name := range absentGlobals {
		if f.names[name] || f.names["globalThis"] {
			_ = global.Delete(name)
		}
	}
	for path, names := range absentMethods {
		for _, n := range names {
			if f.names[n] {
				_ = e.path(path).Delete(n)
			}
		}
	}
	if f.names["Function"] || f.names["constructor"] {
		e.forbidFunctionConstructors()
	}
	for _, install := range f.globals {
		install(e)
	}
	return e
}

func (e *env) path(p string) *goja.Object {
	obj := e.vm.GlobalObject()
	for _, part := range strings.Split(p, ".") {
		obj = obj.Get(part).ToObject(e.vm)
	}
	return obj
}

// forbidFunctionConstructors makes Function, and the constructors reachable
// through function prototypes, throw as CloudFront's do.
func (e *env) forbidFunctionConstructors() {
	vm := e.vm
	thrower := func(what string) goja.Value {
		return vm.ToValue(func(goja.ConstructorCall) *goja.Object {
			panic(vm.NewTypeError(what + " constructor is not supported in CloudFront Functions"))
		})
	}
	fnCtor := thrower("Function")
	_ = fnCtor.ToObject(vm).Set("prototype", e.path("Function.prototype"))
	_ = e.path("Function.prototype").DefineDataProperty("constructor", fnCtor, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = vm.GlobalObject().DefineDataProperty("Function", fnCtor, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	if e.rt == JS20 {
		proto, err := vm.RunString("Object.getPrototypeOf(async function () {})")
		if err == nil {
			_ = proto.ToObject(vm).DefineDataProperty("constructor", thrower("AsyncFunction"), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		}
	}
}

func (e *env) installRequire() {
	_ = e.vm.GlobalObject().Set("require", func(c goja.FunctionCall) goja.Value { return e.module(c.Argument(0).String(), false) })
}

func (e *env) installImport() {
	_ = e.vm.GlobalObject().Set("__import", func(c goja.FunctionCall) goja.Value { return e.module(c.Argument(0).String(), true) })
}

// module returns the module name, loading it on first use, as require or
// an import statement finds it in this runtime (see features).
func (e *env) module(name string, viaImport bool) goja.Value {
	if m, ok := e.modules[name]; ok {
		return m
	}
	load, ok := findModule(e.features, name, e.rt, viaImport)
	if !ok {
		panic(e.vm.NewGoError(fmt.Errorf("Cannot find module '%s'", name))) //nolint:staticcheck // ST1005: node's wording, which functions may match
	}
	m := load(e)
	e.modules[name] = m
	return m
}

// Conversions between JavaScript strings and bytes that the modules share.

// decodeUTF8 decodes bytes as text, one U+FFFD for each invalid byte.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}

// toWellFormed replaces what cannot be encoded as UTF-8 (lone surrogates
// reach Go as U+FFFD already).
func toWellFormed(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// bytesOf converts a string, Buffer or typed array argument to bytes.
func (e *env) bytesOf(v goja.Value, what string) []byte {
	switch x := v.Export().(type) {
	case string:
		if e.rt == JS10 {
			return latin1OrUTF8(x)
		}
		return []byte(toWellFormed(x))
	case []byte:
		return x
	case goja.ArrayBuffer:
		return x.Bytes()
	}
	panic(e.vm.NewTypeError("The " + what + " argument must be of type string or an instance of Buffer, TypedArray or DataView"))
}

// latin1OrUTF8 treats a 1.0 string whose characters are all below 256 as
// a byte string (as String.bytesFrom makes them) and anything else as text.
func latin1OrUTF8(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return []byte(s)
		}
		b = append(b, byte(r)) //nolint:gosec // G115: r <= 0xff here
	}
	return b
}

func latin1String(b []byte) string {
	ascii := true
	for _, c := range b {
		ascii = ascii && c < 0x80
	}
	if ascii { // the common case: the bytes are the string
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
