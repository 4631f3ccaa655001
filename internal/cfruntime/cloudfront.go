package cfruntime

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// KVS is an in-memory CloudFront KeyValueStore, read by functions through
// cf.kvs(). It is safe for concurrent use.
type KVS struct {
	// ID is the store's id, which cf.kvs(id) must name; empty accepts
	// any id.
	ID string

	mu      sync.RWMutex
	data    map[string][]byte
	created time.Time
	updated time.Time
	// failReads, when set, fails every read (FailReads).
	failReads error
}

// KeyValueStore limits.
const (
	MaxKVSKeyBytes   = 512
	MaxKVSValueBytes = 1024
	MaxKVSBytes      = 5 << 20
)

// NewKVS returns an empty store.
func NewKVS() *KVS {
	now := time.Now().UTC()
	return &KVS{data: map[string][]byte{}, created: now, updated: now}
}

// NewKVSFrom returns a store holding data (which it takes: the caller
// must not change it afterwards), created and last updated at the times
// given, without checking the limits: for a copy of a store whose writes
// were checked (the local CloudFront's edge).
func NewKVSFrom(id string, data map[string][]byte, created, updated time.Time) *KVS {
	if data == nil {
		data = map[string][]byte{}
	}
	return &KVS{ID: id, data: data, created: created.UTC(), updated: updated.UTC()}
}

// FailReads makes every read of the store (get, exists, meta) reject
// with err, as a store CloudFront cannot read; nil makes reads work
// again. For tests of how a function handles a store error.
func (s *KVS) FailReads(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failReads = err
}

// Put stores a value, enforcing CloudFront's key and value limits.
func (s *KVS) Put(key string, value []byte) error {
	if len(key) == 0 || len(key) > MaxKVSKeyBytes {
		return fmt.Errorf("ValidationException: key %q must be 1 to %d bytes", key, MaxKVSKeyBytes)
	}
	if len(value) > MaxKVSValueBytes {
		return fmt.Errorf("ValidationException: the value of %q is %d bytes; the limit is %d", key, len(value), MaxKVSValueBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	size := len(key) + len(value)
	for k, v := range s.data {
		if k != key {
			size += len(k) + len(v)
		}
	}
	if size > MaxKVSBytes {
		return fmt.Errorf("ServiceQuotaExceededException: the store would hold %d bytes; the limit is %d", size, MaxKVSBytes)
	}
	s.data[key] = append([]byte(nil), value...)
	s.updated = time.Now().UTC()
	return nil
}

// Delete removes a key.
func (s *KVS) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, key)
	s.updated = time.Now().UTC()
}

// get reads a key; err is the injected read failure.
func (s *KVS) get(key string) (v []byte, ok bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.failReads != nil {
		return nil, false, s.failReads
	}
	v, ok = s.data[key]
	return v, ok, nil
}

// kvsMeta is what meta() answers.
type kvsMeta struct {
	created, updated time.Time
	keys             int
}

func (s *KVS) meta() (kvsMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.failReads != nil {
		return kvsMeta{}, s.failReads
	}
	return kvsMeta{created: s.created, updated: s.updated, keys: len(s.data)}, nil
}

// snapshot returns the store's contents and times, and its read failure.
func (s *KVS) snapshot() (map[string][]byte, kvsMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.data), kvsMeta{created: s.created, updated: s.updated, keys: len(s.data)}, s.failReads
}

// isoTime renders a meta() time as an ISO 8601 string, as JavaScript's
// Date.prototype.toISOString does (the node harness uses it).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// cloudfrontModule is `import cf from 'cloudfront'`: the key value store
// helpers, the CWT module (cwt.go), the edge location, and the origin
// modification helpers (which are recorded, as TestFunction does not test
// them either). Its members are made on first use (lazyObject): most
// invocations touch one of them.
func (e *env) cloudfrontModule() goja.Value {
	return e.lazyObject(cloudfrontMembers, e.cloudfrontMember)
}

// cloudfrontMembers are the module's members, in the order of its keys.
var cloudfrontMembers = []string{"kvs", "edgeLocation", "updateRequestOrigin", "selectRequestOriginById", "createRequestOriginGroup", "cwt"}

func (e *env) cloudfrontMember(name string) goja.Value {
	vm := e.vm
	switch name {
	case "kvs":
		return vm.ToValue(func(c goja.FunctionCall) goja.Value {
			if e.kvs == nil {
				panic(vm.NewGoError(errors.New("no key value store is associated with this function")))
			}
			// cf.kvs(id) names the associated store by its id; a function
			// has one store, so another id is an error.
			if id := c.Argument(0); !goja.IsUndefined(id) && e.kvs.ID != "" && id.String() != e.kvs.ID {
				panic(vm.NewGoError(fmt.Errorf("the key value store %s is not associated with this function", id.String())))
			}
			return e.lazyObject(kvsMembers, e.kvsMember)
		})
	case "cwt":
		return e.lazyObject(cwtMembers, e.cwtMember)
	case "edgeLocation":
		loc := vm.NewObject()
		_ = loc.Set("name", "LCL")
		_ = loc.Set("serverIp", "127.0.0.1")
		_ = loc.Set("region", "local")
		return loc
	}
	op := name
	return vm.ToValue(func(c goja.FunctionCall) goja.Value {
		e.origin = append(e.origin, map[string]any{"op": op, "args": c.Argument(0).Export()})
		return goja.Undefined()
	})
}

// settle returns a promise settled with v, or rejected with an Error
// whose message is err's text, as node's harness makes it, so that code
// reading e.message sees the same. The store is in memory: every promise
// is settled before it is returned.
func (e *env) settle(v goja.Value, err error) goja.Value {
	vm := e.vm
	p, resolve, reject := vm.NewPromise()
	if err != nil {
		errCtor, _ := goja.AssertConstructor(vm.Get("Error"))
		ev, cerr := errCtor(nil, vm.ToValue(err.Error()))
		if cerr != nil {
			panic(cerr)
		}
		_ = reject(ev)
	} else {
		_ = resolve(v)
	}
	return vm.ToValue(p)
}

// kvsMembers are the members of what cf.kvs() returns: get, exists and
// meta, each answering a settled promise (settle).
var kvsMembers = []string{"get", "exists", "meta"}

func (e *env) kvsMember(name string) goja.Value {
	vm := e.vm
	switch name {
	case "get":
		return vm.ToValue(func(c goja.FunctionCall) goja.Value {
			key := c.Argument(0).String()
			format := "string"
			if opts, ok := c.Argument(1).(*goja.Object); ok {
				if f := opts.Get("format"); f != nil && !goja.IsUndefined(f) {
					format = f.String()
				}
			}
			return e.settle(e.kvsGet(key, format))
		})
	case "exists":
		return vm.ToValue(func(c goja.FunctionCall) goja.Value {
			_, ok, err := e.kvs.get(c.Argument(0).String())
			return e.settle(vm.ToValue(ok), err)
		})
	}
	return vm.ToValue(func(goja.FunctionCall) goja.Value {
		m, err := e.kvs.meta()
		if err != nil {
			return e.settle(nil, err)
		}
		meta := vm.NewObject()
		_ = meta.Set("creationDateTime", isoTime(m.created))
		_ = meta.Set("lastUpdatedDateTime", isoTime(m.updated))
		_ = meta.Set("keyCount", m.keys)
		return e.settle(meta, nil)
	})
}

// kvsGet is get(key, {format}): the value, or why the promise rejects.
func (e *env) kvsGet(key, format string) (goja.Value, error) {
	vm := e.vm
	v, ok, err := e.kvs.get(key)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("Key %s not found", key) //nolint:staticcheck // ST1005: the runtime's wording
	}
	switch format {
	case "string":
		return vm.ToValue(decodeUTF8(v)), nil
	case "json":
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, fmt.Errorf("the value of %s is not JSON: %v", key, err)
		}
		return vm.ToValue(x), nil
	case "bytes":
		return e.newBuffer(append([]byte(nil), v...)), nil
	}
	return nil, fmt.Errorf("unknown format %q: use string, json or bytes", format)
}
