package cfruntime

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
)

// cf.cwt, CloudFront Functions' CBOR Web Token module (runtime 2.0,
// DG:cwt-support-cloudfront-functions.html), on package cat's OpenMac0 and
// SealMac0: HS256 COSE_Mac0 only, tag 17 required and 61 optional, no
// claim checked. node/harness.js has the same module for node; the tests
// (cwt_test.go) run both. Where AWS's page is silent or contradicts
// itself the choices below are the emulator's, each pinned by a test and
// marked UNVERIFIED until checked against CloudFront (TestFunction):
//
//   - The "1 KB" limit is cat.MaxTokenBytes (768 bytes of CBOR, 1024
//     base64url characters), the stricter reading, as cat.Mint applies
//     it: what passes here passes either reading at AWS.
//   - validateToken refuses any alg but the integer 5 (HS256) in the
//     protected header, so the page's own sample (alg 4, RFC 8392 A.4) is
//     refused; whether AWS checks alg at all is UNVERIFIED.
//   - generateToken takes (generatorContext, payload), as the page's
//     signature says; its examples pass (payload, context), which throws
//     here with a message saying so. The payload is a CWTObject
//     {protectedHeaders, unprotectedHeaders, payload}, as validateToken
//     returns; the examples' {protected, unprotected} spelling throws too,
//     as does their alg "5" (a string): protectedHeaders must hold alg 5.
//   - Claim keys are strings (documented), at every depth (nested maps
//     too, as playon's sample reads payload["401"]["2"]["1"]); negative
//     keys are "-1" etc.; a map holding both 1 and "1" throws.
//   - A byte string is a Buffer (cti, kid); an integer beyond 2^53 throws
//     (CloudFront has no BigInt); a tag other than 0 to 3 stands for its
//     content (catnip's 52/54 are dropped); tags 0 to 3 and simple values
//     other than true, false, null and undefined throw.
//   - generateToken writes core deterministic CBOR; object keys that are
//     canonical integers ("1", "-7") become integer keys, others text; a
//     number that is a safe integer is an integer, another a float; a
//     Buffer or Uint8Array a byte string; an undefined property is left
//     out.
//   - key is a string (its UTF-8 bytes) or a Buffer, and not empty;
//     token must be a Buffer (a Uint8Array or a string throws TypeError).

// cwtMembers are cf.cwt's members.
var cwtMembers = []string{"validateToken", "generateToken"}

func (e *env) cwtMember(name string) goja.Value {
	if name == "validateToken" {
		return e.vm.ToValue(e.cwtValidate)
	}
	return e.vm.ToValue(e.cwtGenerate)
}

// jsError returns an Error of this invocation's realm (not goja's
// GoError), as node's harness throws, so that e.name reads the same.
func (e *env) jsError(msg string) *goja.Object {
	ctor, _ := goja.AssertConstructor(e.vm.Get("Error"))
	ev, err := ctor(nil, e.vm.ToValue(msg))
	if err != nil {
		panic(err)
	}
	return ev
}

func (e *env) cwtFail(err error) {
	panic(e.jsError(strings.TrimPrefix(err.Error(), cat.ErrMac0.Error()+": ")))
}

// cwtKey reads the context's key: a string or a Buffer, not empty.
func (e *env) cwtKey(ctx goja.Value, fn string) []byte {
	obj, ok := ctx.(*goja.Object)
	if !ok {
		panic(e.vm.NewTypeError(fn + ": the context must be an object holding key"))
	}
	k := obj.Get("key")
	var key []byte
	switch {
	case k == nil || goja.IsUndefined(k) || goja.IsNull(k):
	case e.isBuffer(k):
		b, _ := k.Export().([]byte)
		key = append([]byte(nil), b...)
	default:
		if s, ok := k.Export().(string); ok {
			key = []byte(toWellFormed(s))
		} else {
			panic(e.vm.NewTypeError(fn + ": key must be a string or a Buffer"))
		}
	}
	if len(key) == 0 {
		panic(e.vm.NewTypeError(fn + ": key is required and must not be empty"))
	}
	return key
}

func (e *env) isBuffer(v goja.Value) bool {
	_, isObj := v.(*goja.Object)
	return isObj && e.vm.InstanceOf(v, e.bufferClass())
}

// cwtValidate is cf.cwt.validateToken(token, {key}).
func (e *env) cwtValidate(c goja.FunctionCall) goja.Value {
	tok := c.Argument(0)
	if !e.isBuffer(tok) {
		panic(e.vm.NewTypeError("validateToken: the token must be a Buffer"))
	}
	raw, _ := tok.Export().([]byte)
	m, err := cat.OpenMac0(raw, e.cwtKey(c.Argument(1), "validateToken"))
	if err != nil {
		e.cwtFail(err)
	}
	out := e.vm.NewObject()
	for _, p := range []struct {
		name string
		m    map[any]any
	}{{"protectedHeaders", m.Protected}, {"unprotectedHeaders", m.Unprotected}, {"payload", m.Payload}} {
		v, err := e.cborToJS(p.m)
		if err != nil {
			e.cwtFail(fmt.Errorf("%s: %w", p.name, err))
		}
		_ = out.Set(p.name, v)
	}
	return out
}

// maxSafe is Number.MAX_SAFE_INTEGER.
const maxSafe = 1<<53 - 1

// cborToJS converts a value OpenMac0 decoded (see cat.Mac0).
func (e *env) cborToJS(v any) (goja.Value, error) {
	vm := e.vm
	switch x := v.(type) {
	case nil:
		return goja.Null(), nil
	case bool, string, float64:
		return vm.ToValue(x), nil
	case uint64:
		if x > maxSafe {
			return nil, fmt.Errorf("the integer %d is beyond 2^53", x)
		}
		return vm.ToValue(int64(x)), nil //nolint:gosec // G115: x <= 2^53 here
	case int64:
		if x < -maxSafe {
			return nil, fmt.Errorf("the integer %d is beyond -2^53", x)
		}
		return vm.ToValue(x), nil
	case []byte:
		return e.newBuffer(append([]byte(nil), x...)), nil
	case []any:
		items := make([]any, len(x))
		for i, it := range x {
			jv, err := e.cborToJS(it)
			if err != nil {
				return nil, err
			}
			items[i] = jv
		}
		return vm.NewArray(items...), nil
	case map[any]any:
		keys, err := jsKeys(x)
		if err != nil {
			return nil, err
		}
		obj := vm.NewObject()
		for _, k := range keys {
			jv, err := e.cborToJS(x[k.orig])
			if err != nil {
				return nil, err
			}
			_ = obj.Set(k.name, jv)
		}
		return obj, nil
	}
	return nil, fmt.Errorf("a CBOR value of type %T, which is not supported", v)
}

type jsKey struct {
	orig  any
	name  string
	isInt bool
	n     float64
}

// jsKeys names a map's keys as strings, integers first in ascending order
// and then text in code-point order (the harness's order too), refusing
// two keys with one name.
func jsKeys(m map[any]any) ([]jsKey, error) {
	keys := make([]jsKey, 0, len(m))
	for k := range m {
		switch x := k.(type) {
		case uint64:
			keys = append(keys, jsKey{k, strconv.FormatUint(x, 10), true, float64(x)})
		case int64:
			keys = append(keys, jsKey{k, strconv.FormatInt(x, 10), true, float64(x)})
		case string:
			keys = append(keys, jsKey{k, x, false, 0})
		default:
			return nil, fmt.Errorf("a map key of type %T", k)
		}
	}
	slices.SortFunc(keys, func(a, b jsKey) int {
		switch {
		case a.isInt && b.isInt:
			return cmp.Compare(a.n, b.n)
		case a.isInt != b.isInt:
			if a.isInt {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k.name] {
			return nil, fmt.Errorf("the map key %q appears both as an integer and as text", k.name)
		}
		seen[k.name] = true
	}
	return keys, nil
}

// cwtGenerate is cf.cwt.generateToken(generatorContext, payload): a Buffer.
func (e *env) cwtGenerate(c goja.FunctionCall) goja.Value {
	vm := e.vm
	ctx, _ := c.Argument(0).(*goja.Object)
	if ctx == nil {
		panic(vm.NewTypeError("generateToken(generatorContext, payload): the generatorContext must be an object"))
	}
	if v := ctx.Get("coseTag"); v == nil || goja.IsUndefined(v) {
		if p := ctx.Get("payload"); p != nil && !goja.IsUndefined(p) {
			panic(vm.NewTypeError("generateToken(generatorContext, payload): the first argument is a CWTObject, not the context; " +
				"AWS's examples pass (payload, context), but the documented signature is (generatorContext, payload)"))
		}
		panic(vm.NewTypeError("generateToken: generatorContext.coseTag is required; only \"MAC0\" is supported"))
	} else if s, ok := v.Export().(string); !ok || s != "MAC0" {
		panic(vm.NewTypeError("generateToken: coseTag " + v.String() + " is not supported; only \"MAC0\" is"))
	}
	cwtTag := false
	if v := ctx.Get("cwtTag"); v != nil && !goja.IsUndefined(v) {
		b, ok := v.Export().(bool)
		if !ok {
			panic(vm.NewTypeError("generateToken: cwtTag must be a boolean"))
		}
		cwtTag = b
	}
	key := e.cwtKey(ctx, "generateToken")
	obj, _ := c.Argument(1).(*goja.Object)
	if obj == nil {
		panic(vm.NewTypeError("generateToken: the payload must be a CWTObject {protectedHeaders, unprotectedHeaders, payload}"))
	}
	var m cat.Mac0
	for _, p := range []struct {
		name, alias string
		dst         *map[any]any
	}{{"protectedHeaders", "protected", &m.Protected}, {"unprotectedHeaders", "unprotected", &m.Unprotected}, {"payload", "", &m.Payload}} {
		v := obj.Get(p.name)
		if v == nil || goja.IsUndefined(v) {
			if a := obj.Get(p.alias); p.alias != "" && a != nil && !goja.IsUndefined(a) {
				panic(vm.NewTypeError("generateToken: the CWTObject names its headers protectedHeaders and unprotectedHeaders, as validateToken returns them; AWS's example's " + p.alias + " is not read"))
			}
			if p.name == "payload" {
				panic(vm.NewTypeError("generateToken: the CWTObject has no payload"))
			}
			*p.dst = map[any]any{}
			continue
		}
		g, err := e.jsToCBOR(v, 0)
		if err != nil {
			panic(vm.NewTypeError("generateToken: " + p.name + ": " + err.Error()))
		}
		mv, ok := g.(map[any]any)
		if !ok {
			panic(vm.NewTypeError("generateToken: " + p.name + " must be an object"))
		}
		*p.dst = mv
	}
	raw, err := cat.SealMac0(m, key, cwtTag)
	if err != nil {
		e.cwtFail(err)
	}
	return e.newBuffer(raw)
}

// intKey matches an object key that generateToken writes as an integer.
var intKey = regexp.MustCompile(`^(0|-?[1-9][0-9]{0,15})$`)

// jsToCBOR converts a JavaScript value for SealMac0.
func (e *env) jsToCBOR(v goja.Value, depth int) (any, error) {
	if depth > 10 {
		return nil, errors.New("nested more than 10 deep")
	}
	if v == nil || goja.IsNull(v) || goja.IsUndefined(v) {
		return nil, nil
	}
	obj, isObj := v.(*goja.Object)
	if !isObj {
		switch x := v.Export().(type) {
		case string, bool:
			return x, nil
		case int64:
			return jsInt(float64(x)), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) <= maxSafe {
				return jsInt(x), nil
			}
			return x, nil
		}
		return nil, fmt.Errorf("a %s cannot be encoded", v.ExportType())
	}
	if _, ok := goja.AssertFunction(v); ok {
		return nil, errors.New("a function cannot be encoded")
	}
	if b, ok := obj.Export().([]byte); ok {
		return append([]byte(nil), b...), nil
	}
	if obj.ClassName() == "Array" {
		n := obj.Get("length").ToInteger()
		if n < 0 || n > 256 {
			return nil, fmt.Errorf("an array of %d items; package cat decodes at most 256", n)
		}
		items := make([]any, n)
		for i := range n {
			it, err := e.jsToCBOR(obj.Get(strconv.FormatInt(i, 10)), depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = it
		}
		return items, nil
	}
	out := map[any]any{}
	for _, k := range obj.Keys() {
		pv := obj.Get(k)
		if pv == nil || goja.IsUndefined(pv) {
			continue
		}
		val, err := e.jsToCBOR(pv, depth+1)
		if err != nil {
			return nil, err
		}
		var key any = k
		if intKey.MatchString(k) {
			if n, err := strconv.ParseInt(k, 10, 64); err == nil && n <= maxSafe && n >= -maxSafe {
				key = jsInt(float64(n))
			}
		}
		out[key] = val
	}
	return out, nil
}

// jsInt is a safe integer (|f| <= 2^53) as cat.Mac0 holds integers.
func jsInt(f float64) any {
	if f >= 0 {
		return uint64(f) //nolint:gosec // G115: a safe integer
	}
	return int64(f) //nolint:gosec // G115: a safe integer
}
