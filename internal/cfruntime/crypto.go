package cfruntime

import (
	"crypto/hmac"
	"crypto/md5"  //nolint:gosec // the runtime offers md5, so the emulator must
	"crypto/sha1" //nolint:gosec // likewise sha1
	"crypto/sha256"
	"errors"
	"hash"

	"github.com/dop251/goja"
)

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

// cryptoModule is the crypto module: createHash and createHmac with md5,
// sha1 and sha256. In 1.0, strings are byte strings (see bytesOf) and a
// digest without an encoding is one; in 2.0 it is a Buffer.
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
