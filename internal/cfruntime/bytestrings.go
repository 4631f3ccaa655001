package cfruntime

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// installByteStrings adds cloudfront-js-1.0's byte-string methods. A byte
// string is represented as a string of characters U+0000 to U+00FF.
func (e *env) installByteStrings() {
	vm := e.vm
	str := e.path("String")
	proto := e.path("String.prototype")
	_ = str.Set("bytesFrom", func(c goja.FunctionCall) goja.Value {
		switch v := c.Argument(0).Export().(type) {
		case string:
			var b []byte
			var err error
			switch enc := c.Argument(1).String(); enc {
			case "hex":
				b, err = hex.DecodeString(v)
			case "base64":
				b, err = base64.StdEncoding.DecodeString(padBase64(v))
			case "base64url":
				b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
			default:
				panic(vm.NewTypeError("Unknown encoding: " + enc))
			}
			if err != nil {
				return vm.ToValue("")
			}
			return vm.ToValue(latin1String(b))
		case []any:
			b := make([]byte, len(v))
			for i, x := range v {
				b[i] = byte(vm.ToValue(x).ToInteger()) //nolint:gosec // G115: bytes wrap, as in njs
			}
			return vm.ToValue(latin1String(b))
		}
		panic(vm.NewTypeError("String.bytesFrom takes an array or a string and an encoding"))
	})
	slice := func(c goja.FunctionCall) []rune {
		r := []rune(c.This.String())
		start, end := 0, len(r)
		if !goja.IsUndefined(c.Argument(0)) {
			start = clamp(int(c.Argument(0).ToInteger()), len(r))
		}
		if !goja.IsUndefined(c.Argument(1)) {
			end = clamp(int(c.Argument(1).ToInteger()), len(r))
		}
		if start > end {
			start = end
		}
		return r[start:end]
	}
	bytesOf := func(r []rune) ([]byte, bool) {
		b := make([]byte, len(r))
		for i, x := range r {
			if x > 0xff {
				return nil, false
			}
			b[i] = byte(x) //nolint:gosec // G115: x <= 0xff here
		}
		return b, true
	}
	_ = proto.Set("fromBytes", func(c goja.FunctionCall) goja.Value { return vm.ToValue(string(slice(c))) })
	_ = proto.Set("toBytes", func(c goja.FunctionCall) goja.Value {
		if _, ok := bytesOf(slice(c)); !ok {
			return goja.Null()
		}
		return vm.ToValue(string(slice(c)))
	})
	_ = proto.Set("fromUTF8", func(c goja.FunctionCall) goja.Value {
		b, ok := bytesOf(slice(c))
		if !ok || !utf8.Valid(b) {
			return goja.Null()
		}
		return vm.ToValue(string(b))
	})
	_ = proto.Set("toUTF8", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(latin1String([]byte(toWellFormed(string(slice(c))))))
	})
}

func clamp(i, n int) int {
	if i < 0 {
		i += n
		if i < 0 {
			return 0
		}
	}
	if i > n {
		return n
	}
	return i
}

func padBase64(s string) string {
	s = strings.TrimRight(s, "=")
	if n := len(s) % 4; n > 0 {
		s += strings.Repeat("=", 4-n)
	}
	return s
}
