package cfruntime

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// KVS is an in-memory CloudFront KeyValueStore, read by functions through
// cf.kvs(). It is safe for concurrent use.
type KVS struct {
	mu      sync.RWMutex
	data    map[string][]byte
	created time.Time
	updated time.Time
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

func (s *KVS) get(key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.data[key]
	return v, ok
}

// cloudfrontModule is `import cf from 'cloudfront'`: the key value store
// helpers, the edge location, and the origin modification helpers (which
// are recorded, as TestFunction does not test them either).
func (e *env) cloudfrontModule() goja.Value {
	vm := e.vm
	m := vm.NewObject()
	settle := func(f func() (goja.Value, error)) goja.Value {
		p, resolve, reject := vm.NewPromise()
		if v, err := f(); err != nil {
			_ = reject(vm.NewGoError(err))
		} else {
			_ = resolve(v)
		}
		return vm.ToValue(p)
	}
	_ = m.Set("kvs", func(goja.FunctionCall) goja.Value {
		if e.kvs == nil {
			panic(vm.NewGoError(fmt.Errorf("no key value store is associated with this function")))
		}
		h := vm.NewObject()
		_ = h.Set("get", func(c goja.FunctionCall) goja.Value {
			key := c.Argument(0).String()
			format := "string"
			if opts, ok := c.Argument(1).(*goja.Object); ok {
				if f := opts.Get("format"); f != nil && !goja.IsUndefined(f) {
					format = f.String()
				}
			}
			return settle(func() (goja.Value, error) {
				v, ok := e.kvs.get(key)
				if !ok {
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
			})
		})
		_ = h.Set("exists", func(c goja.FunctionCall) goja.Value {
			_, ok := e.kvs.get(c.Argument(0).String())
			return settle(func() (goja.Value, error) { return vm.ToValue(ok), nil })
		})
		_ = h.Set("meta", func(goja.FunctionCall) goja.Value {
			return settle(func() (goja.Value, error) {
				e.kvs.mu.RLock()
				defer e.kvs.mu.RUnlock()
				meta := vm.NewObject()
				_ = meta.Set("creationDateTime", e.kvs.created.Format(time.RFC3339))
				_ = meta.Set("lastUpdatedDateTime", e.kvs.updated.Format(time.RFC3339))
				_ = meta.Set("keyCount", len(e.kvs.data))
				return meta, nil
			})
		})
		return h
	})
	loc := vm.NewObject()
	_ = loc.Set("name", "LCL")
	_ = loc.Set("serverIp", "127.0.0.1")
	_ = loc.Set("region", "local")
	_ = m.Set("edgeLocation", loc)
	record := func(op string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			e.origin = append(e.origin, map[string]any{"op": op, "args": c.Argument(0).Export()})
			return goja.Undefined()
		}
	}
	_ = m.Set("updateRequestOrigin", record("updateRequestOrigin"))
	_ = m.Set("selectRequestOriginById", record("selectRequestOriginById"))
	_ = m.Set("createRequestOriginGroup", record("createRequestOriginGroup"))
	return m
}
