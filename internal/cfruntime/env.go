package cfruntime

import (
	"crypto/hmac"
	"crypto/md5"  //nolint:gosec // the runtime offers md5, so the emulator must
	"crypto/sha1" //nolint:gosec // likewise sha1
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
)

//go:embed buffer.js
var bufferJS string

var bufferProg = goja.MustCompile("buffer.js", bufferJS, true)

// maxLogBytes is where CloudFront truncates a function's logs.
const maxLogBytes = 10 * 1024

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
}

// absent lists built-ins CloudFront Functions does not have (from AWS's
// runtime pages and measurements with TestFunction); they are removed so
// that code using them fails locally as it would at the edge.
var absentGlobals = []string{"eval", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Proxy", "Reflect", "BigInt", "BigInt64Array", "BigUint64Array"}

var absentMethods = map[string][]string{
	"Array.prototype":  {"flat", "flatMap", "at", "findLast", "findLastIndex", "toSorted", "toReversed", "toSpliced", "with"},
	"String.prototype": {"at", "matchAll", "normalize"},
	"Object":           {"fromEntries", "hasOwn", "groupBy"},
}

func newEnv(f *Function, now time.Time, kvs *KVS) *env {
	rt := f.runtime
	e := &env{vm: goja.New(), rt: rt, kvs: kvs, modules: map[string]goja.Value{}}
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

	console := vm.NewObject()
	_ = console.Set("log", e.consoleLog)
	_ = global.Set("console", console)
	if f.names["require"] {
		_ = global.Set("require", func(c goja.FunctionCall) goja.Value { return e.module(c.Argument(0).String(), false) })
	}
	if len(f.modules) > 0 {
		_ = global.Set("__import", func(c goja.FunctionCall) goja.Value { return e.module(c.Argument(0).String(), true) })
	}
	if rt == JS20 {
		if f.names["Buffer"] {
			_ = global.DefineAccessorProperty("Buffer", vm.ToValue(func(goja.FunctionCall) goja.Value { return e.bufferClass() }),
				nil, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
		for name, fn := range map[string]any{"atob": e.atob, "btoa": e.btoa, "TextEncoder": e.textEncoder, "TextDecoder": e.textDecoder} {
			if f.names[name] {
				_ = global.Set(name, fn)
			}
		}
	} else if f.names["bytesFrom"] || f.names["fromBytes"] || f.names["fromUTF8"] || f.names["toBytes"] || f.names["toUTF8"] {
		e.byteStrings()
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

func (e *env) module(name string, viaImport bool) goja.Value {
	if m, ok := e.modules[name]; ok {
		return m
	}
	var m goja.Value
	switch {
	case name == "crypto":
		m = e.cryptoModule()
	case name == "querystring":
		m = e.querystringModule()
	case name == "cloudfront" && viaImport && e.rt == JS20:
		m = e.cloudfrontModule()
	case name == "buffer" && e.rt == JS20:
		obj := e.vm.NewObject()
		_ = obj.Set("Buffer", e.bufferClass())
		m = obj
	default:
		panic(e.vm.NewGoError(fmt.Errorf("Cannot find module '%s'", name))) //nolint:staticcheck // ST1005: node's wording, which functions may match
	}
	e.modules[name] = m
	return m
}

// bufferClass loads the Buffer class into this invocation on first use.
func (e *env) bufferClass() *goja.Object {
	if e.buffer != nil {
		return e.buffer
	}
	factory, err := e.vm.RunProgram(bufferProg)
	if err != nil {
		panic(err)
	}
	fn, _ := goja.AssertFunction(factory)
	cls, err := fn(goja.Undefined(), e.vm.ToValue(e.bufDecode), e.vm.ToValue(e.bufEncode), e.vm.ToValue(isEncoding))
	if err != nil {
		panic(err)
	}
	e.buffer = cls.ToObject(e.vm)
	return e.buffer
}

// newBuffer returns a Buffer holding b.
func (e *env) newBuffer(b []byte) goja.Value {
	v, err := e.vm.New(e.bufferClass(), e.vm.ToValue(e.vm.NewArrayBuffer(b)))
	if err != nil {
		panic(err)
	}
	return v
}

func normEncoding(enc string) string {
	return strings.ReplaceAll(strings.ToLower(enc), "-", "")
}

func isEncoding(enc string) bool {
	switch normEncoding(enc) {
	case "utf8", "hex", "base64", "base64url":
		return true
	}
	return false
}

func (e *env) bufDecode(s, enc string) goja.ArrayBuffer {
	return e.vm.NewArrayBuffer(decodeString(s, normEncoding(enc)))
}

func (e *env) bufEncode(v goja.Value, enc string) string {
	b, _ := v.Export().([]byte)
	return encodeBytes(b, normEncoding(enc))
}

// decodeString converts a string to bytes the way Node's Buffer.from does:
// hex stops at the first invalid pair, base64 skips characters outside
// either alphabet.
func decodeString(s, enc string) []byte {
	switch enc {
	case "hex":
		out := make([]byte, 0, len(s)/2)
		for i := 0; i+1 < len(s); i += 2 {
			b, err := hex.DecodeString(s[i : i+2])
			if err != nil {
				break
			}
			out = append(out, b[0])
		}
		return out
	case "base64", "base64url":
		var clean []byte
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '-':
				clean = append(clean, '+')
			case c == '_':
				clean = append(clean, '/')
			case c == '=':
				i = len(s)
			case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
				clean = append(clean, c)
			}
		}
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		out, _ := base64.RawStdEncoding.DecodeString(string(clean))
		return out
	default:
		return []byte(toWellFormed(s))
	}
}

func encodeBytes(b []byte, enc string) string {
	switch enc {
	case "hex":
		return hex.EncodeToString(b)
	case "base64":
		return base64.StdEncoding.EncodeToString(b)
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(b)
	default:
		return decodeUTF8(b)
	}
}

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

func newHash(alg string) (func() hash.Hash, bool) {
	switch alg {
	case "md5":
		return md5.New, true
	case "sha1":
		return sha1.New, true
	case "sha256":
		return sha256.New, true
	}
	return nil, false
}

func (e *env) cryptoModule() goja.Value {
	vm := e.vm
	m := vm.NewObject()
	digester := func(h hash.Hash) *goja.Object {
		obj := vm.NewObject()
		done := false
		_ = obj.Set("update", func(c goja.FunctionCall) goja.Value {
			if done {
				panic(vm.NewGoError(errors.New("Digest already called"))) //nolint:staticcheck // ST1005: node's wording
			}
			h.Write(e.bytesOf(c.Argument(0), "data"))
			return obj
		})
		_ = obj.Set("digest", func(c goja.FunctionCall) goja.Value {
			if done {
				panic(vm.NewGoError(errors.New("Digest already called"))) //nolint:staticcheck // ST1005: node's wording
			}
			done = true
			sum := h.Sum(nil)
			if goja.IsUndefined(c.Argument(0)) {
				if e.rt == JS10 {
					return vm.ToValue(latin1String(sum))
				}
				return e.newBuffer(sum)
			}
			switch enc := c.Argument(0).String(); enc {
			case "hex", "base64", "base64url":
				return vm.ToValue(encodeBytes(sum, enc))
			default:
				panic(vm.NewTypeError("Unknown digest encoding: " + enc))
			}
		})
		return obj
	}
	_ = m.Set("createHash", func(c goja.FunctionCall) goja.Value {
		newH, ok := newHash(c.Argument(0).String())
		if !ok {
			panic(vm.NewTypeError("Digest method not supported: " + c.Argument(0).String()))
		}
		return digester(newH())
	})
	_ = m.Set("createHmac", func(c goja.FunctionCall) goja.Value {
		newH, ok := newHash(c.Argument(0).String())
		if !ok {
			panic(vm.NewTypeError("Digest method not supported: " + c.Argument(0).String()))
		}
		return digester(hmac.New(newH, e.bytesOf(c.Argument(1), "key")))
	})
	return m
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

func (e *env) atob(c goja.FunctionCall) goja.Value {
	s := c.Argument(0).String()
	if strings.ContainsAny(s, " \t\n\f\r") { // ASCII whitespace is skipped
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	if len(s)%4 == 0 && strings.HasSuffix(s, "==") {
		s = s[:len(s)-2]
	} else if len(s)%4 == 0 && strings.HasSuffix(s, "=") {
		s = s[:len(s)-1]
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(s)%4 == 1 {
		panic(e.vm.NewTypeError("InvalidCharacterError: The string to be decoded is not correctly encoded."))
	}
	return e.vm.ToValue(latin1String(b))
}

func (e *env) btoa(c goja.FunctionCall) goja.Value {
	s := c.Argument(0).String()
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			panic(e.vm.NewTypeError("InvalidCharacterError: The string to be encoded contains characters outside of the Latin1 range."))
		}
		b = append(b, byte(r)) //nolint:gosec // G115: r <= 0xff here
	}
	return e.vm.ToValue(base64.StdEncoding.EncodeToString(b))
}

func (e *env) uint8Array(b []byte) goja.Value {
	ctor := e.vm.Get("Uint8Array").ToObject(e.vm)
	v, err := e.vm.New(ctor, e.vm.ToValue(e.vm.NewArrayBuffer(b)))
	if err != nil {
		panic(err)
	}
	return v
}

func (e *env) textEncoder(c goja.ConstructorCall) *goja.Object {
	obj := c.This
	_ = obj.Set("encoding", "utf-8")
	_ = obj.Set("encode", func(c goja.FunctionCall) goja.Value {
		s := ""
		if !goja.IsUndefined(c.Argument(0)) {
			s = c.Argument(0).String()
		}
		return e.uint8Array([]byte(toWellFormed(s)))
	})
	_ = obj.Set("encodeInto", func(c goja.FunctionCall) goja.Value {
		src := []byte(toWellFormed(c.Argument(0).String()))
		dst, _ := c.Argument(1).Export().([]byte)
		n, read := 0, 0
		for _, r := range string(src) {
			l := utf8.RuneLen(r)
			if n+l > len(dst) {
				break
			}
			n += utf8.EncodeRune(dst[n:], r)
			read++
			if r > 0xffff {
				read++
			}
		}
		res := e.vm.NewObject()
		_ = res.Set("read", read)
		_ = res.Set("written", n)
		return res
	})
	return nil
}

func (e *env) textDecoder(c goja.ConstructorCall) *goja.Object {
	label := "utf-8"
	if !goja.IsUndefined(c.Argument(0)) {
		label = strings.ToLower(c.Argument(0).String())
	}
	if label != "utf-8" && label != "utf8" {
		panic(e.vm.NewTypeError("The \"" + label + "\" encoding is not supported"))
	}
	fatal, ignoreBOM := false, false
	if opts, ok := c.Argument(1).(*goja.Object); ok {
		fatal = opts.Get("fatal") != nil && opts.Get("fatal").ToBoolean()
		ignoreBOM = opts.Get("ignoreBOM") != nil && opts.Get("ignoreBOM").ToBoolean()
	}
	obj := c.This
	_ = obj.Set("encoding", "utf-8")
	_ = obj.Set("fatal", fatal)
	_ = obj.Set("ignoreBOM", ignoreBOM)
	_ = obj.Set("decode", func(c goja.FunctionCall) goja.Value {
		var b []byte
		if !goja.IsUndefined(c.Argument(0)) {
			b = e.bytesOf(c.Argument(0), "input")
		}
		if fatal && !utf8.Valid(b) {
			panic(e.vm.NewTypeError("The encoded data was not valid for encoding utf-8"))
		}
		s := decodeUTF8(b)
		if !ignoreBOM {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		return e.vm.ToValue(s)
	})
	return nil
}
