package cfruntime

import (
	"encoding/base64"
	"fmt"
	"math"
	"strings"

	"github.com/dop251/goja"
)

// eventValue builds the event as JavaScript objects directly, which costs a
// fraction of encoding it to JSON and parsing it back.
func eventValue(vm *goja.Runtime, ev *Event) goja.Value {
	obj := vm.NewObject()
	_ = obj.Set("version", ev.Version)
	ctx := vm.NewObject()
	if ev.Context.DistributionDomainName != "" {
		_ = ctx.Set("distributionDomainName", ev.Context.DistributionDomainName)
	}
	if ev.Context.DistributionID != "" {
		_ = ctx.Set("distributionId", ev.Context.DistributionID)
	}
	_ = ctx.Set("eventType", ev.Context.EventType)
	if ev.Context.RequestID != "" {
		_ = ctx.Set("requestId", ev.Context.RequestID)
	}
	_ = obj.Set("context", ctx)
	viewer := vm.NewObject()
	_ = viewer.Set("ip", ev.Viewer.IP)
	_ = obj.Set("viewer", viewer)
	q := vm.NewObject()
	_ = q.Set("method", ev.Request.Method)
	_ = q.Set("uri", ev.Request.URI)
	_ = q.Set("querystring", fieldsValue(vm, ev.Request.Querystring))
	_ = q.Set("headers", fieldsValue(vm, ev.Request.Headers))
	_ = q.Set("cookies", fieldsValue(vm, ev.Request.Cookies))
	_ = obj.Set("request", q)
	return obj
}

func fieldsValue(vm *goja.Runtime, f Fields) *goja.Object {
	obj := vm.NewObject()
	for name, v := range f {
		fv := vm.NewObject()
		_ = fv.Set("value", v.Value)
		if len(v.MultiValue) > 0 {
			items := make([]any, len(v.MultiValue))
			for i, mv := range v.MultiValue {
				item := vm.NewObject()
				_ = item.Set("value", mv.Value)
				items[i] = item
			}
			_ = fv.Set("multiValue", vm.NewArray(items...))
		}
		_ = obj.Set(name, fv)
	}
	return obj
}

// invalid is a validation failure: the viewer gets a 502.
type invalid string

func get(obj *goja.Object, name string) goja.Value {
	v := obj.Get(name)
	if v == nil || goja.IsUndefined(v) {
		return nil
	}
	return v
}

func asString(v goja.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := v.Export().(string)
	return s, ok
}

func asObject(v goja.Value) (*goja.Object, bool) {
	obj, ok := v.(*goja.Object)
	return obj, ok && obj.ClassName() != "Array" && obj.ClassName() != "Function"
}

// readFields reads a {name: {value, multiValue}} object.
func readFields(what string, v goja.Value, headers bool) Fields {
	out := Fields{}
	if v == nil || goja.IsNull(v) {
		return out
	}
	obj, ok := asObject(v)
	if !ok {
		panic(invalid(what + " must be an object"))
	}
	for _, name := range obj.Keys() {
		if headers && name != strings.ToLower(name) {
			panic(invalid("header names must be lower case: " + name))
		}
		if headers && isDisallowedHeader(name) {
			panic(invalid("The function cannot add or read the header " + name))
		}
		fo, ok := asObject(obj.Get(name))
		if !ok {
			panic(invalid(what + "." + name + " must be an object with a value"))
		}
		var f Field
		value, hasValue := asString(get(fo, "value"))
		if mv := get(fo, "multiValue"); mv != nil && !goja.IsNull(mv) {
			list, ok := mv.(*goja.Object)
			if !ok || list.ClassName() != "Array" {
				panic(invalid(what + "." + name + ".multiValue must be an array"))
			}
			n := list.Get("length").ToInteger()
			for i := int64(0); i < n; i++ {
				item, ok := asObject(list.Get(fmt.Sprint(i)))
				s, isStr := asString(get(item, "value"))
				if !ok || !isStr {
					panic(invalid(what + "." + name + ".multiValue items must be objects with a string value"))
				}
				f.MultiValue = append(f.MultiValue, FieldValue{Value: s})
			}
		} else if !hasValue {
			panic(invalid(what + "." + name + ".value must be a string"))
		}
		f.Value = value
		if !hasValue && len(f.MultiValue) > 0 {
			f.Value = f.MultiValue[0].Value
		}
		out[name] = f
	}
	return out
}

// readResponse reads and checks a generated response.
func readResponse(obj *goja.Object) *Response {
	code, ok := get(obj, "statusCode").Export().(int64)
	if f, isFloat := get(obj, "statusCode").Export().(float64); isFloat && f == math.Trunc(f) && !math.IsInf(f, 0) {
		code, ok = int64(f), true
	}
	if !ok || code < 100 || code > 599 {
		panic(invalid(fmt.Sprintf("statusCode must be an integer HTTP status code, got %v", get(obj, "statusCode"))))
	}
	r := &Response{StatusCode: int(code)}
	if d := get(obj, "statusDescription"); d != nil {
		if r.StatusDescription, ok = asString(d); !ok {
			panic(invalid("statusDescription must be a string"))
		}
	}
	r.Headers = readFields("headers", get(obj, "headers"), true)
	if c := get(obj, "cookies"); c != nil && !goja.IsNull(c) {
		co, ok := asObject(c)
		if !ok {
			panic(invalid("cookies must be an object"))
		}
		r.Cookies = map[string]ResponseCookie{}
		for _, name := range co.Keys() {
			cv, ok := asObject(co.Get(name))
			value, isStr := asString(get(cv, "value"))
			if !ok || !isStr {
				panic(invalid("cookie " + name + " must be an object with a string value"))
			}
			attrs, _ := asString(get(cv, "attributes"))
			r.Cookies[name] = ResponseCookie{Value: value, Attributes: attrs}
		}
	}
	switch b := get(obj, "body"); {
	case b == nil || goja.IsNull(b):
	case b.ExportType() != nil && b.ExportType().Kind().String() == "string":
		r.Body = &Body{Encoding: "text", Data: b.String()}
	default:
		bo, ok := asObject(b)
		if !ok {
			panic(invalid("body must be a string or an object with encoding and data"))
		}
		data, ok := asString(get(bo, "data"))
		if !ok {
			panic(invalid("body.data must be a string"))
		}
		enc, _ := asString(get(bo, "encoding"))
		switch enc {
		case "text":
		case "base64":
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				panic(invalid("body.data is not valid base64"))
			}
		default:
			panic(invalid("body.encoding must be text or base64"))
		}
		r.Body = &Body{Encoding: enc, Data: data}
	}
	return r
}

// readRequest reads and checks a returned request against the event.
func readRequest(obj *goja.Object, ev *Event) *Request {
	uri, ok := asString(get(obj, "uri"))
	if !ok || !strings.HasPrefix(uri, "/") {
		panic(invalid("uri must be a string that starts with /"))
	}
	if m, _ := asString(get(obj, "method")); m != ev.Request.Method {
		panic(invalid("The function cannot modify the read-only field method"))
	}
	q := &Request{
		Method:      ev.Request.Method,
		URI:         uri,
		Querystring: readFields("querystring", get(obj, "querystring"), false),
		Headers:     readFields("headers", get(obj, "headers"), true),
		Cookies:     readFields("cookies", get(obj, "cookies"), false),
	}
	for _, name := range readOnlyHeaders {
		before, had := ev.Request.Headers[name]
		after, has := q.Headers[name]
		if had != has || (has && !sameValues(before, after)) {
			panic(invalid("The function cannot modify the read-only header " + name))
		}
	}
	return q
}

func sameValues(a, b Field) bool {
	if a.Value != b.Value || (len(a.MultiValue) > 1 || len(b.MultiValue) > 1) && len(a.MultiValue) != len(b.MultiValue) {
		return false
	}
	for i := range b.MultiValue {
		if i < len(a.MultiValue) && a.MultiValue[i] != b.MultiValue[i] {
			return false
		}
	}
	return true
}
