package cfruntime

import (
	"slices"

	"github.com/dop251/goja"
)

// lazyObject is an object whose own properties (names, in order) are
// made by build on first use, for module objects with more members than
// an invocation uses: in goja every function object costs a dozen
// allocations, and a fresh global state is built per invocation. It
// behaves as a plain object with those data properties (get, set, delete,
// in, keys, enumeration, JSON), except that, as every goja dynamic
// object, it cannot be frozen, sealed, made non-extensible or given
// read-only, non-enumerable, accessor or symbol properties (a TypeError).
type lazyObject struct {
	names []string
	vals  []goja.Value // vals[i] is names[i]'s value; nil: not made yet
	build func(name string) goja.Value
	owned bool // names is this object's own copy (after a set or delete)
}

// lazyObject returns an object with the properties names, each made by
// build on first use. names is shared, never written.
func (e *env) lazyObject(names []string, build func(string) goja.Value) *goja.Object {
	return e.vm.NewDynamicObject(&lazyObject{names: names, vals: make([]goja.Value, len(names)), build: build})
}

func (o *lazyObject) Get(key string) goja.Value {
	i := slices.Index(o.names, key)
	if i < 0 {
		return nil
	}
	if o.vals[i] == nil {
		o.vals[i] = o.build(key)
	}
	return o.vals[i]
}

func (o *lazyObject) Set(key string, val goja.Value) bool {
	if val == nil {
		val = goja.Undefined()
	}
	if i := slices.Index(o.names, key); i >= 0 {
		o.vals[i] = val
		return true
	}
	o.own()
	o.names = append(o.names, key)
	o.vals = append(o.vals, val)
	return true
}

func (o *lazyObject) Has(key string) bool { return slices.Contains(o.names, key) }

func (o *lazyObject) Delete(key string) bool {
	if i := slices.Index(o.names, key); i >= 0 {
		o.own()
		o.names = slices.Delete(o.names, i, i+1)
		o.vals = slices.Delete(o.vals, i, i+1)
	}
	return true
}

func (o *lazyObject) Keys() []string { return slices.Clone(o.names) }

// own copies names before the first change, since it starts shared.
func (o *lazyObject) own() {
	if !o.owned {
		o.names, o.owned = slices.Clone(o.names), true
	}
}
