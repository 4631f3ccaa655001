package cfruntime

import (
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/dop251/goja"
)

// The Buffer class of cloudfront-js-2.0, global and the buffer module's
// Buffer. It is written in JavaScript (buffer.js) on top of Uint8Array,
// with its string encodings done here.

//go:embed buffer.js
var bufferJS string

var bufferProg = goja.MustCompile("buffer.js", bufferJS, true)

// installBuffer defines the global Buffer, which loads the class on first
// use.
func (e *env) installBuffer() {
	_ = e.vm.GlobalObject().DefineAccessorProperty("Buffer", e.vm.ToValue(func(goja.FunctionCall) goja.Value { return e.bufferClass() }),
		nil, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// bufferModule is require('buffer'): an object holding Buffer.
func (e *env) bufferModule() goja.Value {
	obj := e.vm.NewObject()
	_ = obj.Set("Buffer", e.bufferClass())
	return obj
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
