package cfruntime

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// The encoding globals of cloudfront-js-2.0: TextEncoder and TextDecoder
// (UTF-8 only), atob and btoa.

func (e *env) installAtob() { _ = e.vm.GlobalObject().Set("atob", e.atob) }

func (e *env) installBtoa() { _ = e.vm.GlobalObject().Set("btoa", e.btoa) }

func (e *env) installTextEncoder() { _ = e.vm.GlobalObject().Set("TextEncoder", e.textEncoder) }

func (e *env) installTextDecoder() { _ = e.vm.GlobalObject().Set("TextDecoder", e.textDecoder) }

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
