package cfruntime

import (
	"encoding/hex"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// querystringModule is the runtime's querystring: parse (alias decode),
// stringify (alias encode), escape and unescape, as in Node.
func (e *env) querystringModule() goja.Value {
	vm := e.vm
	m := vm.NewObject()
	unescape := func(s string) string {
		if u, err := url.PathUnescape(s); err == nil {
			return toWellFormed(u)
		}
		return decodeUTF8(unescapeLoose(s))
	}
	escape := func(s string) string {
		return strings.NewReplacer("+", "%20", "%7E", "~", "%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*").
			Replace(url.QueryEscape(s))
	}
	argOr := func(v goja.Value, def string) string {
		if goja.IsUndefined(v) || goja.IsNull(v) || v.String() == "" {
			return def
		}
		return v.String()
	}
	parse := func(c goja.FunctionCall) goja.Value {
		out := vm.NewObject()
		sep, eq := argOr(c.Argument(1), "&"), argOr(c.Argument(2), "=")
		maxKeys := int64(1000)
		dec := unescape
		if opts, ok := c.Argument(3).(*goja.Object); ok {
			if v := opts.Get("maxKeys"); v != nil && !goja.IsUndefined(v) {
				maxKeys = v.ToInteger()
			}
			dec = stringFunc(vm, opts, "decodeURIComponent", dec)
		}
		src := c.Argument(0)
		if goja.IsUndefined(src) || goja.IsNull(src) || src.String() == "" {
			return out
		}
		pairs := strings.Split(src.String(), sep)
		if maxKeys > 0 && int64(len(pairs)) > maxKeys {
			pairs = pairs[:maxKeys]
		}
		seen := map[string]bool{}
		for _, p := range pairs {
			k, v, _ := strings.Cut(p, eq)
			k, v = dec(strings.ReplaceAll(k, "+", " ")), dec(strings.ReplaceAll(v, "+", " "))
			prev := out.Get(k)
			switch {
			case !seen[k]:
				seen[k] = true
				_ = out.Set(k, v)
			case isArray(prev):
				arr := prev.ToObject(vm)
				_ = arr.Set(itoa(arr.Get("length").ToInteger()), v)
			default:
				_ = out.Set(k, vm.NewArray(prev, v))
			}
		}
		return out
	}
	stringify := func(c goja.FunctionCall) goja.Value {
		obj, ok := c.Argument(0).(*goja.Object)
		if !ok {
			return vm.ToValue("")
		}
		sep, eq := argOr(c.Argument(1), "&"), argOr(c.Argument(2), "=")
		enc := escape
		if opts, ok := c.Argument(3).(*goja.Object); ok {
			enc = stringFunc(vm, opts, "encodeURIComponent", enc)
		}
		var parts []string
		prim := func(v goja.Value) string {
			switch x := v.Export().(type) {
			case string, bool, int64:
				return v.String()
			case float64:
				if !math.IsInf(x, 0) && !math.IsNaN(x) {
					return v.String()
				}
			}
			return ""
		}
		for _, k := range obj.Keys() {
			v := obj.Get(k)
			if isArray(v) {
				arr := v.ToObject(vm)
				for i := int64(0); i < arr.Get("length").ToInteger(); i++ {
					parts = append(parts, enc(k)+eq+enc(prim(arr.Get(itoa(i)))))
				}
				continue
			}
			parts = append(parts, enc(k)+eq+enc(prim(v)))
		}
		return vm.ToValue(strings.Join(parts, sep))
	}
	_ = m.Set("parse", parse)
	_ = m.Set("decode", parse)
	_ = m.Set("stringify", stringify)
	_ = m.Set("encode", stringify)
	_ = m.Set("escape", func(c goja.FunctionCall) goja.Value { return vm.ToValue(escape(c.Argument(0).String())) })
	_ = m.Set("unescape", func(c goja.FunctionCall) goja.Value { return vm.ToValue(unescape(c.Argument(0).String())) })
	return m
}

// stringFunc returns the string-to-string JavaScript function opts[name]
// as a Go function, or def when there is none.
func stringFunc(vm *goja.Runtime, opts *goja.Object, name string, def func(string) string) func(string) string {
	f, ok := goja.AssertFunction(opts.Get(name))
	if !ok {
		return def
	}
	return func(s string) string {
		r, err := f(goja.Undefined(), vm.ToValue(s))
		if err != nil {
			panic(err)
		}
		return r.String()
	}
}

// unescapeLoose decodes valid %XX escapes and keeps everything else.
func unescapeLoose(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := hex.DecodeString(s[i+1 : i+3]); err == nil {
				b = append(b, v[0])
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return b
}

func isArray(v goja.Value) bool {
	obj, ok := v.(*goja.Object)
	return ok && obj.ClassName() == "Array"
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
